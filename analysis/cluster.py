"""Clustering free-text comments into groups an analyst can name.

``CommentClusterer`` follows scikit-learn's conventions: ``__init__`` only stores parameters,
``fit(texts)`` returns the fitted clusterer, and what it learned ends in ``_``.

How it works (the default "tfidf" backend needs nothing beyond scikit-learn):

1. Each comment becomes a sublinear TF-IDF vector of stemmed words and word pairs, without
   stop words (``analysis.text.analyse`` when present, scikit-learn's analyser otherwise).
2. Latent semantic analysis: a truncated SVD to ``n_components`` dimensions, L2-normalised, so
   that comments sharing no word but using related words still end up close.
   With the ``embeddings`` backend the sentence embedding of each comment is joined to it.
3. Ward's agglomerative clustering of the vectors (of a fixed sample of ``sample_size``
   comments when there are more), then k-means over every comment started from the Ward
   centres. Ward's method has no random start, so results do not depend on the seed (unlike
   k-means from random starts, whose groups change from seed to seed on short comments).
4. Every comment is assigned to a cluster (there is no outlier bucket); ``confidence_`` says
   how much closer a comment is to its own cluster centre than to the next one.

With ``n_clusters=None`` the number of clusters is chosen by comparing Ward's tree with trees of
the same comments with their structure shuffled away: the cut whose merges stand highest above
those of chance (``_choose_k``), for k from 2 to ``min(max_clusters, n // 10)``.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

__all__ = [
    "CommentClusterer",
    "CommentSourceError",
    "default_analyzer",
    "embeddings_available",
    "encode_embeddings",
    "read_comments",
    "cluster_label",
    "code_name",
    "label_candidates",
    "theme_description",
    "theme_labels",
]


# --------------------------------------------------------------------------- text features

def default_analyzer() -> Callable[[str], list[str]]:
    """The analyser used for TF-IDF: stemmed words without stop words, plus adjacent word pairs.

    ``analysis.text.Analyser(ngram_range=(1, 2))``: normalised, Snowball stop words removed,
    Snowball-stemmed words and adjacent word pairs.
    """
    from analysis.text import Analyser

    return Analyser(ngram_range=(1, 2))


_PUNCTUATION = re.compile(r"[.,;:!?()\[\]\"\n]+(?:\s|$)|\s[-\u2013\u2014]\s")


class PhraseAnalyzer:
    """Readable phrases for top terms: words and runs of up to ``max_words`` words, as written
    (lower case, not stemmed), that neither start nor end with a stop word.

    ``"more bobbies on the beat"`` gives ``bobbies``, ``beat``, ``more bobbies`` ... but never
    ``bobbies beat``, a pair that nobody wrote.
    """

    def __init__(self, max_words: int = 3):
        self.max_words = max_words

    def __call__(self, text: str) -> list[str]:
        from analysis.text import _PLACEHOLDER, STOP_WORDS, normalise, tokenise

        out = []
        # A phrase never runs across punctuation ("school. Youth" is not "school youth") nor
        # across a redaction placeholder ("[name]", "[email]"), which is no word of the writer's.
        for part in _PUNCTUATION.split(_PLACEHOLDER.sub(" . ", normalise(text, links=True))):
            tokens = tokenise(part)
            ok = [len(t) > 1 and t not in STOP_WORDS and not t.startswith("[") for t in tokens]
            for i in range(len(tokens)):
                if not ok[i]:
                    continue
                for j in range(i, min(i + self.max_words, len(tokens))):
                    if ok[j]:
                        out.append(" ".join(tokens[i:j + 1]))
        return out


def _min_df(n_texts: int) -> int:
    # A term seen once cannot link two comments; with very few comments keep everything.
    return 2 if n_texts >= 30 else 1


def embeddings_available() -> bool:
    """True when the ``embeddings`` extra (sentence-transformers and the offline model) works."""
    try:
        from analysis import embeddings  # type: ignore[attr-defined]
    except ImportError:
        return False
    try:
        return bool(embeddings.available())
    except Exception:  # noqa: BLE001 - a broken optional backend means "not available"
        return False


def encode_embeddings(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised sentence embeddings (one row per text); needs the ``embeddings`` extra."""
    if not embeddings_available():
        raise RuntimeError(
            "The embeddings backend is not installed. Install it with "
            "pip install 'consult[embeddings]', or use backend='tfidf'."
        )
    from analysis import embeddings  # type: ignore[attr-defined]

    return np.asarray(embeddings.encode(list(texts)), dtype=np.float32)


# --------------------------------------------------------------------------- the clusterer

# Choosing k: how many shuffled copies of the comments show the heights of chance, and on how
# many comments (a fixed, evenly spread sample above that) the tree is compared with them.
_N_REFERENCE = 5
_K_SAMPLE = 3000
_K_TOLERANCE = 0.01

class CommentClusterer(ClusterMixin, BaseEstimator):
    """Group comments into clusters with top terms, typical quotes and a confidence per comment.

    Parameters
    ----------
    n_clusters : int or None
        Number of clusters; ``None`` chooses it from the data (:meth:`_choose_k`).
    random_state : int
        Seed of the k-means refinement. The steps that decide the clusters (the SVD, Ward's
        tree, the sample above ``sample_size``) are deterministic, so results for different
        seeds agree (adjusted Rand 1.0 in our benchmarks).
    backend : "tfidf", "embeddings" or "auto"
        "auto" uses embeddings when the extra is installed and TF-IDF otherwise.
    vectorizer : a scikit-learn text vectoriser or None
        Replaces the default sublinear TF-IDF of stemmed words and word pairs.
    n_components : int
        Dimensions kept by the latent semantic analysis (fewer when there are few comments).
    max_clusters : int
        Largest k tried when ``n_clusters`` is None.
    sample_size : int
        At most this many comments build Ward's tree and the SVD (a sample with a fixed seed
        when there are more); k-means then places every comment. Ward's tree needs memory in
        the square of this number (about 0.4 GB for 10,000); keeps 100,000 comments under a
        minute.
    embedding_weight : float
        Share of the joined vector given to the sentence embedding (embeddings backend only).
    n_terms, n_representatives : int
        How many top terms and typical comments to keep per cluster.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        random_state: int = 0,
        backend: str = "tfidf",
        vectorizer=None,
        n_components: int = 100,
        max_clusters: int = 40,
        sample_size: int = 10000,
        embedding_weight: float = 0.7,
        n_terms: int = 8,
        n_representatives: int = 5,
    ):
        self.n_clusters = n_clusters
        self.random_state = random_state
        self.backend = backend
        self.vectorizer = vectorizer
        self.n_components = n_components
        self.max_clusters = max_clusters
        self.sample_size = sample_size
        self.embedding_weight = embedding_weight
        self.n_terms = n_terms
        self.n_representatives = n_representatives

    # ---- features

    def _resolve_backend(self) -> str:
        if self.backend not in {"tfidf", "embeddings", "auto"}:
            raise ValueError(
                f"backend must be 'tfidf', 'embeddings' or 'auto', not {self.backend!r}."
            )
        if self.backend == "auto":
            return "embeddings" if embeddings_available() else "tfidf"
        return self.backend

    def _features(self, texts: list[str], sample: np.ndarray | None = None) -> np.ndarray:
        """Comment vectors: L2-normalised LSA of TF-IDF (joined to embeddings if chosen).

        With ``sample`` (positions of the comments that build the tree) the vectoriser is fitted
        on all comments and the SVD on the sample; without, the fitted ones are applied.
        """
        if sample is not None:
            n = len(texts)
            self.vectorizer_ = clone(self.vectorizer) if self.vectorizer is not None else (
                TfidfVectorizer(analyzer=default_analyzer(), sublinear_tf=True, min_df=_min_df(n),
                                max_df=0.5 if n >= 30 else 1.0, dtype=np.float32))
            try:
                tfidf = self.vectorizer_.fit_transform(texts)
            except ValueError:
                # Every comment was empty or only stop words: fall back to characters.
                self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
                tfidf = self.vectorizer_.fit_transform([t or " " for t in texts])
            dims = min(self.n_components, tfidf.shape[1] - 1, n - 1)
            if dims >= 2:
                # The SVD's own seed is fixed rather than taken from random_state: Ward's tree
                # reacts to small changes of the space, and a space that changed with the seed
                # would change the clusters with it.
                self.svd_ = TruncatedSVD(n_components=dims, n_iter=7, random_state=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    # Identical comments make the explained-variance ratio 0 / 0; harmless.
                    self.svd_.fit(tfidf[sample])
                lsa = self.svd_.transform(tfidf)
            else:
                self.svd_ = None
                lsa = tfidf.toarray()
        else:
            tfidf = self.vectorizer_.transform(texts)
            lsa = self.svd_.transform(tfidf) if self.svd_ is not None else tfidf.toarray()
        lsa = np.asarray(lsa, dtype=np.float64)
        # A comment with no word left ("No", "Not sure": stop words only) has no direction; one
        # dimension of their own keeps such comments together, apart from every topic, rather
        # than in whichever cluster happens to be nearest the origin.
        empty = (np.abs(lsa).sum(axis=1) < 1e-9).astype(np.float64)
        lsa = normalize(np.hstack([lsa, empty[:, None]]))
        self._tfidf_space = lsa  # fit chooses k in the TF-IDF space (see fit), then drops it
        if self.backend_ == "embeddings":
            emb = encode_embeddings(texts).astype(np.float64)
            w = float(self.embedding_weight)
            lsa = normalize(np.hstack([math.sqrt(w) * emb, math.sqrt(1.0 - w) * lsa]))
        return lsa

    # ---- fitting

    def _choose_k(self, tree: np.ndarray | None, X: np.ndarray) -> int:
        """The cut of Ward's tree whose splits stand furthest above those of chance.

        Cutting the tree into k clusters undoes its k - 1 highest merges; the (k - 1)-th of them
        says how far apart the two groups it joined are. The same comments with each dimension's
        values shuffled independently (``_N_REFERENCE`` times, fixed seeds) keep the spread of
        every dimension but lose what makes comments go together: their trees show how high
        merges climb by chance. ``k_scores_[k]`` is the height of the tree's (k - 1)-th highest
        merge over the mean height of the reference trees' (k - 1)-th; k is the one with the
        highest ratio, from 2 to ``min(max_clusters, n // 10)``; of cuts within ``_K_TOLERANCE``
        (1%) of the highest, the finest (groups are easier to merge than to split). The mean
        heights of chance are smoothed over the ranks (a quadratic in log rank, log height).
        It is parallel analysis (the rule that keeps the principal components standing above
        those of shuffled data) applied to the levels of the tree; measured on at most
        ``_K_SAMPLE`` comments.
        """
        from scipy.cluster.hierarchy import ward

        n = X.shape[0]
        kmax = int(min(self.max_clusters, n // 10, n - 1))
        self.k_scores_ = {}
        if kmax < 2:
            return 1
        if n > _K_SAMPLE:
            X = X[np.linspace(0, n - 1, _K_SAMPLE).astype(int)]
            tree = None
        if tree is None:
            tree = ward(X)
        real = tree[::-1, 2][:kmax - 1]
        chance = np.zeros(kmax - 1)
        rng = np.random.RandomState(0)
        for _ in range(_N_REFERENCE):
            shuffled = normalize(np.column_stack([rng.permutation(column) for column in X.T]))
            chance += ward(shuffled)[::-1, 2][:kmax - 1] / _N_REFERENCE
        # The heights of chance fall smoothly with the rank of the merge; a quadratic in
        # log-log through the references' mean removes what is left of their own noise.
        ranks = np.log(np.arange(1, kmax))
        if kmax > 4 and np.all(chance > 0):
            chance = np.exp(np.polyval(np.polyfit(ranks, np.log(chance), 2), ranks))
        ratios = real / np.maximum(chance, 1e-12)
        self.k_scores_ = {k: float(ratios[k - 2]) for k in range(2, kmax + 1)}
        best = max(self.k_scores_.values())
        return max(k for k, score in self.k_scores_.items() if score >= (1 - _K_TOLERANCE) * best)

    def fit(self, texts: Sequence[str], y=None) -> "CommentClusterer":
        """Cluster ``texts`` (a sequence of strings; missing values count as empty comments)."""
        from scipy.cluster.hierarchy import fcluster, ward

        texts = _as_texts(texts)
        if len(texts) == 0:
            raise ValueError("There are no comments to cluster.")
        if self.n_clusters is not None and int(self.n_clusters) < 1:
            raise ValueError("n_clusters must be a whole number of at least 1, or None.")
        self.backend_ = self._resolve_backend()
        n = len(texts)
        # Above sample_size the tree is built on a sample drawn with a fixed seed, not with
        # random_state: the sample decides much of the result on short comments (two random
        # samples of 20,000 headlines agreed only to an adjusted Rand of about 0.57), and an
        # analyst re-running with another seed must get the same clusters.
        fit_idx = np.arange(n) if n <= self.sample_size else np.sort(
            np.random.RandomState(0).choice(n, self.sample_size, replace=False))
        X = self._features(texts, sample=fit_idx)
        tfidf_space = self.__dict__.pop("_tfidf_space")
        X_fit = X[fit_idx]

        # Ward's agglomerative clustering of the (sample of) comments: deterministic, and
        # better than a single k-means run on short texts; then k-means on every comment,
        # started from the Ward centres, refines the groups and assigns the rest.
        if n < 3:
            # One or two comments: each its own cluster when asked for two, else together.
            k = min(int(self.n_clusters or 1), n)
            ward_labels = np.arange(n) % k
        else:
            tree = ward(X_fit)
            if self.n_clusters is not None:
                k = int(self.n_clusters)
            elif len(fit_idx) < 4:
                k = 1
            elif self.backend_ == "embeddings":
                # Sentence embeddings put short comments on a few broad axes; the TF-IDF
                # space separates the topics people raise, so k is chosen there and the
                # joined space is cut at it.
                k = self._choose_k(None, tfidf_space[fit_idx])
            else:
                k = self._choose_k(tree, X_fit)
            k = min(k, len(fit_idx))
        if k > 1 and n >= 3:
            ward_labels = fcluster(tree, k, criterion="maxclust") - 1
            k = int(ward_labels.max()) + 1   # ties in the tree can give fewer clusters
        if k > 1:
            centres = np.vstack([X_fit[ward_labels == c].mean(axis=0) for c in range(k)])
            refine = KMeans(n_clusters=k, init=centres, n_init=1, max_iter=50,
                            random_state=self.random_state)
            labels = refine.fit_predict(X)
            k = int(labels.max()) + 1
            labels = np.unique(labels, return_inverse=True)[1]
            k = int(labels.max()) + 1
        else:
            k = 1
            labels = np.zeros(n, dtype=int)
        # Number clusters by size (0 = largest), so the output reads naturally.
        order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
        relabel = np.empty(k, dtype=int)
        relabel[order] = np.arange(k)
        labels = relabel[labels]
        self.cluster_centers_ = normalize(np.vstack([X[labels == c].mean(axis=0) for c in range(k)]))
        self.labels_ = labels.astype(int)
        self.n_clusters_ = int(k)
        self.confidence_ = self._margin_confidence(X, self.labels_)
        sims = np.einsum("ij,ij->i", X, self.cluster_centers_[self.labels_])
        self.representative_ = {}
        for c in range(k):
            members = np.flatnonzero(self.labels_ == c)
            top = members[np.argsort(-sims[members], kind="stable")]
            self.representative_[c] = _distinct(top, texts, self.n_representatives)
        self.sizes_ = np.bincount(self.labels_, minlength=k)
        # Top terms from the comments that built the tree (all of them up to sample_size): the
        # phrases of a few thousand comments already say what a cluster is about.
        self.top_terms_ = self._top_terms([texts[i] for i in fit_idx], self.labels_[fit_idx], k)
        # Labels from what people wrote: a phrase of the cluster's most typical comments that
        # carries its marking words (theme_labels).
        typical = {}
        for c in range(k):
            members = np.flatnonzero(self.labels_ == c)
            typical[c] = [texts[i] for i in members[np.argsort(-sims[members], kind="stable")][:300]]
        self.theme_labels_ = theme_labels(typical, self.top_terms_, self._closeness(tfidf_space))
        return self

    def _closeness(self, space: np.ndarray) -> Callable[[int, list[str]], np.ndarray]:
        """``closeness(cluster, phrases)``: cosine similarity of each phrase to the cluster's
        centre in the TF-IDF space (where words, not the embedding's broad axes, decide)."""
        centres = normalize(np.vstack([space[self.labels_ == c].mean(axis=0)
                                       for c in range(self.n_clusters_)]))

        def closeness(cluster: int, phrases: list[str]) -> np.ndarray:
            tfidf = self.vectorizer_.transform(phrases)
            vectors = self.svd_.transform(tfidf) if self.svd_ is not None else tfidf.toarray()
            vectors = np.asarray(vectors, dtype=np.float64)
            # the last dimension is that of comments with no words (see _features)
            return normalize(vectors) @ centres[cluster][:vectors.shape[1]]

        return closeness

    def _nearest(self, X: np.ndarray) -> np.ndarray:
        out = np.empty(X.shape[0], dtype=int)
        for start in range(0, X.shape[0], 10000):
            out[start:start + 10000] = np.argmax(X[start:start + 10000] @ self.cluster_centers_.T, axis=1)
        return out

    def _margin_confidence(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """0..1: how much closer a comment is to its own centre than to the next one.

        ``(s1 - s2) / s1`` with s1, s2 the cosine similarities to the own and the nearest other
        centre: 0 for a comment halfway between two clusters, near 1 for a clear member.
        """
        if self.cluster_centers_.shape[0] < 2:
            return np.ones(X.shape[0], dtype=np.float32)
        out = np.empty(X.shape[0], dtype=np.float32)
        for start in range(0, X.shape[0], 10000):
            sims = X[start:start + 10000] @ self.cluster_centers_.T
            rows = np.arange(sims.shape[0])
            own = sims[rows, labels[start:start + 10000]].copy()
            sims[rows, labels[start:start + 10000]] = -np.inf
            second = sims.max(axis=1)
            out[start:start + 10000] = np.clip((own - second) / np.maximum(own, 1e-6), 0, 1)
        return out

    def _top_terms(self, texts: list[str], labels: np.ndarray, k: int) -> dict[int, list[str]]:
        """Readable words and phrases per cluster by class-based TF-IDF (unstemmed).

        A phrase's score is its share of the cluster's words times ``log(1 + A / f)``, with A the
        average number of words per cluster and f its count in all comments (as in BERTopic).
        """
        counter = CountVectorizer(analyzer=PhraseAnalyzer(), min_df=_min_df(len(texts)),
                                  max_features=50000)
        try:
            counts = counter.fit_transform(texts)
        except ValueError:
            return {c: [] for c in range(k)}
        members = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))),
                                shape=(k, len(labels)))
        per_class = (members @ counts).toarray().astype(float)
        tf = per_class / np.maximum(per_class.sum(axis=1, keepdims=True), 1)
        avg_words = per_class.sum() / max(k, 1)
        idf = np.log1p(avg_words / np.maximum(per_class.sum(axis=0), 1))
        scores = tf * idf
        vocab = counter.get_feature_names_out()
        terms = {}
        for c in range(k):
            chosen: list[str] = []
            for j in np.argsort(-scores[c], kind="stable"):
                if scores[c, j] <= 0 or len(chosen) >= self.n_terms:
                    break
                term = vocab[j]
                # Skip a word or phrase already shown inside a chosen phrase; a phrase
                # replaces the words and shorter phrases it contains.
                if any(f" {term} " in f" {other} " for other in chosen):
                    continue
                if " " in term:
                    chosen = [t for t in chosen if f" {t} " not in f" {term} "]
                chosen.append(term)
            terms[c] = chosen
        return terms

    # ---- using a fitted clusterer

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Assign new comments to the nearest cluster centre: one int per text."""
        if not hasattr(self, "cluster_centers_"):
            raise RuntimeError("Call fit(texts) before predict(texts).")
        X = self._features(_as_texts(texts))
        self.__dict__.pop("_tfidf_space", None)
        return self._nearest(X)

    def summary(self, texts: Sequence[str], references: Sequence[str] | None = None,
                quotes: int = 3) -> pd.DataFrame:
        """One row per cluster: size, share, top terms and typical quotes (with references)."""
        texts = _as_texts(texts)
        rows = []
        n = len(self.labels_)
        for c in range(self.n_clusters_):
            reps = self.representative_[c][:quotes]
            rows.append({
                "cluster": c,
                "size": int(self.sizes_[c]),
                "share": float(self.sizes_[c] / n),
                "top_terms": ", ".join(self.top_terms_[c]),
                "quotes": [texts[i] for i in reps],
                "references": [str(references[i]) for i in reps] if references is not None else reps,
            })
        return pd.DataFrame(rows)


    def themes(self, texts: Sequence[str], references: Sequence[str] | None = None,
               examples: int = 3) -> pd.DataFrame:
        """A starting codebook: one row per cluster with ``label`` (a phrase from its comments),
        ``description`` (a sentence saying what it covers and how large it is), ``size``,
        ``share``, ``top_terms`` and ``examples``: its most typical distinct comments as
        ``{"reference", "text"}`` (positions as references when none are given)."""
        texts = _as_texts(texts)
        n = len(self.labels_)
        rows = []
        for c in range(self.n_clusters_):
            reps = self.representative_[c][:examples]
            rows.append({
                "cluster": c,
                "label": self.theme_labels_[c],
                "description": theme_description(self.top_terms_[c], int(self.sizes_[c]), n),
                "size": int(self.sizes_[c]),
                "share": float(self.sizes_[c] / n),
                "top_terms": list(self.top_terms_[c]),
                "examples": [{"reference": str(references[i]) if references is not None else str(i),
                              "text": texts[i]} for i in reps],
            })
        return pd.DataFrame(rows)

    def to_codebook(self, texts: Sequence[str], examples: int = 3):
        """The themes as an :class:`analysis.coding.Codebook` to start coding from: one code per
        cluster, named after its label, described by label and description, with its typical
        comments as examples (which ``ThemeCoder`` learns from)."""
        from analysis.coding import Code, Codebook

        codes, names = [], set()
        for row in self.themes(texts, examples=examples).itertuples():
            name = code_name(row.label, names)
            names.add(name)
            codes.append(Code(name=name, description=f"{row.label}. {row.description}",
                              examples=tuple(" ".join(e["text"].split()) for e in row.examples
                                             if e["text"].strip())))
        return Codebook(codes)


def _as_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a list of comments, not a single string.")
    return ["" if (t is None or (isinstance(t, float) and math.isnan(t))) else str(t) for t in texts]


def _distinct(indices: np.ndarray, texts: list[str], n: int, scan: int = 500) -> list[int]:
    """The first ``n`` indices (of the first ``scan``) whose text shares no more than half its
    words with one already taken (:func:`analysis.text.too_similar`)."""
    from analysis.text import diverse

    candidates = [int(i) for i in indices[:scan]]
    return [candidates[j] for j in diverse([texts[i] for i in candidates], n)]


_LABEL_WORDS = (2, 12)   # a label is a phrase of 2 to 12 words as someone wrote it


def label_candidates(comments: Sequence[str], terms: Sequence[str],
                     closeness: Callable[[list[str]], np.ndarray] | None = None) -> list[str]:
    """Phrases of ``comments`` that could name their group, best first.

    A candidate is a sentence or clause (text between punctuation) of 2 to 12 words, as written,
    that contains at least one of the group's marking ``terms``. Its score is its closeness to
    the group (``closeness(phrases)``: the cosine similarity of each phrase to the group's
    centre; without it, the weights of the terms it contains, 1 for the first, 1/2 for the
    second, ...), plus a tenth of the log of how many comments wrote it and 0.05 when it opens
    a sentence, less 0.02 a word beyond eight. Ties go to the shorter phrase, then the alphabet.
    """
    from analysis.text import _PLACEHOLDER, normalise, tokenise

    weights = {t: 1.0 / (i + 1) for i, t in enumerate(terms) if t}
    found: dict[str, list] = {}
    for comment in comments:
        text = _PLACEHOLDER.sub(" . ", " ".join(str(comment).split()))
        for position, part in enumerate(_PUNCTUATION.split(text)):
            part = _balanced(part.strip(" '\"*-\u2013\u2014.,;:"))
            words = part.split()
            if not _LABEL_WORDS[0] <= len(words) <= _LABEL_WORDS[1]:
                continue
            key = " ".join(tokenise(normalise(part)))
            hit = sum(w for t, w in weights.items() if f" {t} " in f" {key} ")
            if hit:
                opens = position == 0 or part[0].isupper()
                entry = found.setdefault(key, [hit, 0, part, len(words), opens])
                entry[1] += 1
    if not found:
        return []
    keys = list(found)
    base = closeness([found[k][2] for k in keys]) if closeness is not None else \
        np.array([found[k][0] for k in keys])
    score = {k: float(b) + 0.1 * math.log(found[k][1]) + 0.05 * found[k][4]
             - 0.02 * max(0, found[k][3] - 8) for k, b in zip(keys, base)}
    ordered = sorted(keys, key=lambda k: (-score[k], found[k][3], k))
    return [found[k][2][0].upper() + found[k][2][1:] for k in ordered]


def _balanced(phrase: str) -> str:
    """The phrase without quotes or brackets left open by cutting it out of its sentence."""
    for marks in ('"', "\u201c\u201d", "()"):
        opened = phrase.count(marks[0])
        closed = phrase.count(marks[-1]) if len(marks) > 1 else opened
        if (opened != closed) if len(marks) > 1 else opened % 2:
            phrase = phrase.translate({ord(m): " " for m in marks})
    return " ".join(phrase.split()).strip(" .,;:")


def theme_labels(comments: dict[int, Sequence[str]], top_terms: dict[int, Sequence[str]],
                 closeness: Callable[[int, list[str]], np.ndarray] | None = None) -> dict[int, str]:
    """A readable label per cluster, no two alike: the best of :func:`label_candidates` of its
    typical ``comments`` (scored by ``closeness(cluster, phrases)`` when given) not already
    naming a larger cluster; without any, its marking words (:func:`cluster_label`)."""
    fallback = cluster_labels(top_terms)
    labels: dict[int, str] = {}
    for cluster in sorted(top_terms):
        taken = {label.lower() for label in labels.values()}
        near = (lambda phrases, c=cluster: closeness(c, phrases)) if closeness is not None else None
        choice = next((c for c in label_candidates(comments.get(cluster, []), top_terms[cluster], near)
                       if c.lower() not in taken), None)
        labels[cluster] = choice if choice is not None else fallback[cluster]
    return labels


def _and_join(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def theme_description(terms: Sequence[str], size: int, total: int) -> str:
    """``"Comments that speak of speed cameras, speeding and the a14: 120 of 800 (15%)."``"""
    count = f"{size:,} of {total:,} ({size / total:.0%})" if total else f"{size:,}"
    shown = _label_terms(terms, 4)
    if not shown:
        return f"Comments with no distinctive words: {count}."
    return f"Comments that speak of {_and_join(shown)}: {count}."


def code_name(label: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A code name from a label, as codebooks use them: ``"More police on the streets!"`` ->
    ``more_police_on_the_streets`` (at most five words; ``_2``, ``_3`` ... if taken)."""
    from analysis.text import normalise, tokenise

    base = "_".join(re.sub(r"[^0-9a-z]+", "", w) for w in tokenise(normalise(label))[:5])
    base = re.sub(r"_+", "_", base).strip("_") or "theme"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


def cluster_labels(top_terms: dict[int, Sequence[str]], n: int = 3) -> dict[int, str]:
    """A readable label per cluster (:func:`cluster_label`), no two alike: a cluster marked by
    words already naming a larger cluster is named by its other words first."""
    labels: dict[int, str] = {}
    used: set[str] = set()
    for cluster in sorted(top_terms):
        terms = [t for t in top_terms[cluster] if t]
        chosen = _label_terms(terms, n)
        if cluster_label(chosen, n) in labels.values():
            chosen = (_label_terms([t for t in terms if t not in used], n) + _label_terms(terms, n))[:n]
        label = cluster_label(chosen, n)
        if label in labels.values():
            label = f"{label} (group {cluster + 1})"
        labels[cluster] = label
        used.update(chosen)
    return labels


def _label_terms(terms: Sequence[str], n: int) -> list[str]:
    from analysis.text import STOP_WORDS

    # Phrases with a stop word inside ("coursing and farm") read worse than those without
    # ("hare coursing"): those come first, each group in the order of the terms' scores.
    ordered = sorted((t for t in terms if t), key=lambda t: any(w in STOP_WORDS for w in t.split()))
    return list(dict.fromkeys(ordered))[:n]


def cluster_label(terms: Sequence[str], n: int = 3) -> str:
    """A readable name for a group of comments from its marking words and phrases:
    ``["speed cameras", "speeding", "a14"]`` -> ``"Speed cameras, speeding, a14"``."""
    shown = _label_terms(terms, n)
    if not shown:
        return "Comments with no distinctive words"
    text = ", ".join(shown)
    return text[0].upper() + text[1:]


# --------------------------------------------------------------------------- reading comments

class CommentSourceError(Exception):
    """A comment file that cannot be read as asked; the message says what to do."""


def read_comments(source: str | Path, text_col: str | None = None, question: str | None = None,
                  id_col: str = "reference", valid_only: bool = True,
                  consultation: str | None = None, analysis_language: str | None = None,
                  languages: str | None = None) -> pd.DataFrame:
    """Comments from a Consult export (CSV, JSON, XLSX or a database URL, or the frames
    :func:`analysis.load.load` already read from one) or any table of texts
    (:func:`analysis.load.read_table`: a CSV, a JSON list of records or JSON Lines).

    For an export, ``question`` (or ``text_col``) names one of its free-text questions: a
    theme's key (``crime_prevention``), or the column (``comment__crime_prevention``,
    ``missing_from_plan``); it may be left out when there is only one. The export is read by
    :func:`analysis.load.load`, and with ``valid_only`` only the comments a reader may see are
    kept (:meth:`~analysis.load.ConsultationData.quotable_comments`: counted responses, not
    hidden by a moderator). For another CSV, ``text_col`` names the column of comments (or the
    only column that looks like one is taken).

    With ``analysis_language`` (the command line's ``--analysis-language``, default ``en``), an
    export's comments in another language are left out unless staff translated them, and then
    their translation is used (:func:`analysis.languages.split_comments`); ``attrs["other_language"]``
    says how many were left out.

    Returns a DataFrame with ``reference`` and ``text`` (non-empty comments); for an export its
    ``attrs`` hold ``question`` (the question's heading), ``hidden``, ``not_counted`` and
    ``other_language`` (how many answers were left out, and why).
    """
    from analysis.load import ConsultationData, LoadError, is_export, load, read_table

    if text_col and question:
        raise CommentSourceError("Give either --text-col or --question, not both.")
    if isinstance(source, ConsultationData) or is_export(source):
        if id_col not in (None, "reference"):
            raise CommentSourceError("An export is keyed by its reference column: leave out --id-col.")
        try:
            data = source if isinstance(source, ConsultationData) else load(source, consultation)
        except LoadError as error:
            raise CommentSourceError(str(error)) from None
        wanted = question or text_col
        questions = data.free_text_questions
        if wanted is None:
            if len(questions) != 1:
                from analysis.load import describe_questions

                raise CommentSourceError(
                    "Say which question's comments to cluster with --question KEY. "
                    + describe_questions(questions))
            wanted = questions[0].column
        try:
            chosen = data.free_text_question(wanted)
        except LoadError as error:
            raise CommentSourceError(str(error)) from None
        other_language = 0
        if analysis_language:
            from analysis.languages import parse_languages, split_comments

            try:
                split = split_comments(data, analysis_language, parse_languages(languages))
            except LoadError as error:
                raise CommentSourceError(str(error)) from None
            other_language = int((split.for_translation["question"] == chosen.column).sum())
            data = split.data
        part = data.quotable_comments(chosen.column) if valid_only else \
            data.comments[data.comments["question"] == chosen.column]
        part = part[part["text"].astype(str).str.strip() != ""]
        result = pd.DataFrame({"reference": part["reference"].astype(str).to_numpy(),
                               "text": part["text"].astype(str).to_numpy()})
        left_out = data.comments_left_out(chosen.column) if valid_only else {"hidden": 0, "not_counted": 0}
        result.attrs.update(question=chosen.title, other_language=other_language, **left_out)
        return result
    if question:
        raise CommentSourceError("--question needs a Consult export; for another file use --text-col.")
    path = Path(source)
    try:
        frame = read_table(path)
    except LoadError as error:
        raise CommentSourceError(str(error)) from None
    columns = list(frame.columns)
    if text_col:
        if text_col not in columns:
            raise CommentSourceError(
                f"{path} has no column {text_col!r}. Its columns are: {', '.join(map(str, columns))}.")
        col = text_col
    else:
        guesses = [c for c in ("text", "comment", "response", "comment-body") if c in columns]
        if len(guesses) != 1:
            raise CommentSourceError(
                "Say which column holds the comments with --text-col COLUMN. "
                f"Columns found: {', '.join(map(str, columns))}.")
        col = guesses[0]
    if id_col in frame.columns:
        refs = frame[id_col].astype(str)
    elif id_col != "reference":
        raise CommentSourceError(
            f"{path} has no column {id_col!r} for --id-col. Its columns are: "
            f"{', '.join(map(str, columns))}.")
    else:
        refs = pd.Series([str(i + 1) for i in range(len(frame))], index=frame.index)
    texts = frame[col].fillna("").astype(str)
    keep = texts.str.strip() != ""
    return pd.DataFrame({"reference": refs[keep].to_numpy(), "text": texts[keep].to_numpy()})


# --------------------------------------------------------------------------- command line

def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every comment command shares: where the comments are."""
    parser.add_argument("--source", required=True,
                        help="a Consult export (CSV, JSON or XLSX), a database URL, or any table of "
                             "comments (CSV, JSON list of records or JSON Lines)")
    parser.add_argument("--text-col", help="the column holding the comments (a CSV that is not an export)")
    parser.add_argument("--question", metavar="KEY",
                        help="for an export, the free-text question whose comments to use: a theme "
                             "(e.g. crime_prevention) or a question such as missing_from_plan; "
                             "without it, the error lists them")
    parser.add_argument("--consultation", metavar="SLUG",
                        help="which consultation (needed for a database with several)")
    parser.add_argument("--id-col", default="reference",
                        help="the column identifying each response (default: reference)")
    parser.add_argument("--analysis-language", default="en", metavar="CODE",
                        help="for an export, the language comments are analysed in (default: en): "
                             "comments in another language are left out unless staff translated "
                             "them, and then their translation is used")
    parser.add_argument("--languages", metavar="CODES",
                        help="the languages to detect comments in, comma-separated ISO 639-1 codes "
                             "(default: en,pl,lt,ro,pt,ru,lv,bg,sk,hu,ur,pa,bn,ar,ku)")


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--n-clusters", type=int, default=None,
                        help="number of clusters (default: chosen from the data, at most 40)")
    parser.add_argument("--backend", choices=["tfidf", "embeddings", "auto"], default="auto",
                        help="how comments are represented (default: auto, sentence embeddings "
                             "beside TF-IDF when the embeddings extra is installed)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", required=True, help="CSV to write: one row per comment")
    parser.add_argument("--summary", help="also write the readable summary to this file "
                                          "(Markdown); it is always printed")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cli_main(args: argparse.Namespace) -> int:
    try:
        comments = read_comments(args.source, args.text_col, args.question, args.id_col,
                                 consultation=getattr(args, "consultation", None),
                                 analysis_language=getattr(args, "analysis_language", None),
                                 languages=getattr(args, "languages", None))
    except CommentSourceError as error:
        return _fail(str(error))
    out_folder = Path(args.out).parent
    if not out_folder.is_dir():
        return _fail(f"The folder {out_folder} for --out does not exist. Create it first, or choose another.")
    if Path(args.out).is_dir():
        return _fail(f"--out {args.out} is a folder; give a file name such as clusters.csv.")
    if comments.empty:
        what = f"'{comments.attrs['question']}'" if "question" in comments.attrs else "that column"
        return _fail(f"There are no comments to cluster for {what}{_left_out_words(comments.attrs, ' (', ')')}.")
    if args.n_clusters is not None and not 1 <= args.n_clusters <= len(comments):
        return _fail(f"--n-clusters must be between 1 and the number of comments ({len(comments)}).")
    if args.backend == "embeddings" and not embeddings_available():
        return _fail("The embeddings backend is not installed: pip install 'consult[embeddings]', "
                     "or use --backend tfidf.")
    from tqdm import tqdm

    from analysis.text import redact_pii

    # Everything written is for reading: clustered, labelled and quoted from redacted texts.
    comments = comments.assign(text=[redact_pii(t) for t in comments["text"]])
    with tqdm(total=2, desc="clustering", file=sys.stderr, disable=len(comments) < 2000) as bar:
        model = CommentClusterer(n_clusters=args.n_clusters, random_state=args.seed,
                                 backend=args.backend)
        bar.update(1)
        model.fit(comments["text"].tolist())
        bar.update(1)
    texts = comments["text"].tolist()
    out = pd.DataFrame({
        "reference": comments["reference"],
        "cluster": model.labels_,
        "confidence": np.round(model.confidence_, 3),
        "cluster_terms": [", ".join(model.top_terms_[c][:5]) for c in model.labels_],
        "text": texts,
    })
    try:
        out.to_csv(args.out, index=False)
    except OSError as error:
        return _fail(f"Could not write {args.out} ({error.strerror or error}). Check the folder exists.")
    text = cluster_summary_markdown(model, texts, comments["reference"].tolist(),
                                    question=comments.attrs.get("question"),
                                    left_out=_left_out_words(comments.attrs))
    print(text)
    if args.summary:
        Path(args.summary).write_text(text, encoding="utf-8")
    print(f"Wrote {len(out)} comments in {model.n_clusters_} clusters to {args.out}", file=sys.stderr)
    return 0


def _left_out_words(attrs: dict, before: str = "", after: str = "") -> str:
    """"3 hidden by a moderator and 19 in responses not counted were left out", or ""."""
    parts = []
    if attrs.get("hidden"):
        parts.append(f"{attrs['hidden']:,} hidden by a moderator")
    if attrs.get("not_counted"):
        parts.append(f"{attrs['not_counted']:,} in responses not counted (duplicate, campaign or invalid)")
    if attrs.get("other_language"):
        parts.append(f"{attrs['other_language']:,} in another language, not yet translated")
    if not parts:
        return ""
    return f"{before}{' and '.join(parts)} {'was' if sum(attrs.get(k, 0) for k in ('hidden', 'not_counted', 'other_language')) == 1 else 'were'} left out{after}"


def cluster_summary_markdown(model: CommentClusterer, texts: list[str], references: list[str],
                             quotes: int = 3, question: str | None = None, left_out: str = "") -> str:
    """The readable summary: one section per cluster with its label (a phrase from its comments,
    :func:`theme_labels`), a description with its size, its marking words and typical quotes (redacted with :func:`analysis.text.redact_pii`). No two quotes of
    the summary share more than half their words (:func:`analysis.text.too_similar`)."""
    from analysis.text import redact_pii, too_similar, word_set

    n = len(texts)
    about = f" to '{question}'" if question else ""
    lines = [f"# {n:,} {'comment' if n == 1 else 'comments'}{about} in {model.n_clusters_} "
             f"{'cluster' if model.n_clusters_ == 1 else 'clusters'}", ""]
    if left_out:
        lines += [f"Only comments that may be quoted are here: {left_out}.", ""]
    lines += [f"Backend: {'sentence embeddings beside TF-IDF' if model.backend_ == 'embeddings' else 'TF-IDF'}.", ""]
    if model.n_clusters is None:
        lines += [f"Number of clusters chosen from the data (the cut of the tree that stands furthest above "
                  f"chance, at most {model.max_clusters}) "
                  f"(k = {model.n_clusters_}).", ""]
    shown: list[frozenset[str]] = []
    labels = model.theme_labels_
    for row in model.summary(texts, references, model.n_representatives).itertuples():
        lines.append(f"## Cluster {row.cluster}: {labels[row.cluster]}")
        lines.append(theme_description(model.top_terms_[row.cluster], row.size, n)
                     + (f" Marked by: {row.top_terms}." if row.top_terms else ""))
        lines.append("")
        taken = 0
        for ref, quote in zip(row.references, row.quotes):
            words = word_set(quote)
            if taken >= quotes or any(too_similar(words, other) for other in shown):
                continue
            shown.append(words)
            taken += 1
            short = " ".join(redact_pii(quote).split())
            short = short if len(short) <= 300 else short[:297] + "..."
            lines.append(f"- \"{short}\" ({ref})")
        if not taken:
            lines.append("(its typical comments are like one quoted above)")
        lines.append("")
    return "\n".join(lines)
