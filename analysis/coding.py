"""Coding comments against a codebook: the codebook, a supervised coder, agreement figures.

- ``Codebook`` / ``Code``: the codes an analyst applies, kept in YAML (``Codebook.from_yaml``).
- ``ThemeCoder``: learns from comments the analyst has coded (several codes per comment allowed)
  and from the codebook's descriptions and example phrases, then codes the rest
  (``predict``, ``predict_proba``) and says which comments to code next (``suggest_next``).
- Agreement: ``cohen_kappa_per_code``, ``krippendorff_alpha``, ``samples_f1`` with a bootstrap
  interval, ``agreement_report`` (coder against coder, or coder against the model) and the
  cross-validated ``quality_report``.

Codes are given as a list of lists of code names, one list per comment (an empty list: no code).
"""
from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml
from sklearn.base import BaseEstimator, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import KFold
from sklearn.preprocessing import normalize

from analysis.cluster import (
    CommentSourceError,
    _as_texts,
    add_source_arguments,
    embeddings_available,
    encode_embeddings,
    read_comments,
)
from analysis.wording import counted

__all__ = [
    "Code",
    "Codebook",
    "CodebookError",
    "QualityReport",
    "ThemeCoder",
    "agreement_report",
    "bootstrap_samples_f1",
    "cohen_kappa_per_code",
    "krippendorff_alpha",
    "quality_report",
    "samples_f1",
]


# --------------------------------------------------------------------------- codebook

class CodebookError(ValueError):
    """A codebook that cannot be used; the message names the file and the place in it."""


@dataclass(frozen=True)
class Code:
    """One code: a short ``name`` (used in coded files), what it covers, an optional parent
    code it refines, and example phrases that a comment with this code might contain."""

    name: str
    description: str = ""
    parent: str | None = None
    examples: tuple[str, ...] = ()


_CODE_KEYS = {"name", "description", "parent", "examples"}


@dataclass
class Codebook:
    """An ordered list of codes, read from and written to YAML::

        codes:
          - name: more_patrols
            description: Wants more visible police on foot or in the neighbourhood
            examples: ["more bobbies on the beat", "never see police round here"]
          - name: speeding
            parent: road_safety
            ...
    """

    codes: list[Code] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [code.name for code in self.codes]

    def __getitem__(self, name: str) -> Code:
        for code in self.codes:
            if code.name == name:
                return code
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def from_dict(cls, data, source: str = "codebook", lines: Sequence[int] | None = None) -> "Codebook":
        """A codebook from parsed YAML; errors name ``source`` and the code's place in it."""
        if not isinstance(data, dict) or "codes" not in data:
            raise CodebookError(f"{source}: the file must have a top-level 'codes:' list.")
        entries = data["codes"]
        if not isinstance(entries, list) or not entries:
            raise CodebookError(f"{source}: 'codes' must be a list with at least one code.")
        codes: list[Code] = []

        def where(i: int) -> str:
            line = f", line {lines[i]}" if lines is not None and i < len(lines) else ""
            return f"{source}: code {i + 1}{line}"

        for i, entry in enumerate(entries):
            if isinstance(entry, str):
                entry = {"name": entry}
            if not isinstance(entry, dict):
                raise CodebookError(f"{where(i)}: each code must be a mapping with at least 'name'.")
            unknown = set(entry) - _CODE_KEYS
            if unknown:
                raise CodebookError(
                    f"{where(i)}: unknown {'field' if len(unknown) == 1 else 'fields'} "
                    f"{', '.join(sorted(map(str, unknown)))}; "
                    f"a code may have {', '.join(sorted(_CODE_KEYS))}.")
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                raise CodebookError(f"{where(i)}: 'name' is missing or empty.")
            name = name.strip()
            if any(ch in name for ch in ";\n,"):
                raise CodebookError(
                    f"{where(i)} ({name}): a code name cannot contain ';', ',' or a line break.")
            if name in {c.name for c in codes}:
                raise CodebookError(f"{where(i)}: the name {name!r} is used twice.")
            description = entry.get("description") or ""
            if not isinstance(description, str):
                raise CodebookError(f"{where(i)} ({name}): 'description' must be text.")
            parent = entry.get("parent")
            if parent is not None and not isinstance(parent, str):
                raise CodebookError(f"{where(i)} ({name}): 'parent' must be a code name.")
            examples = entry.get("examples") or []
            if isinstance(examples, str):
                examples = [examples]
            if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
                raise CodebookError(f"{where(i)} ({name}): 'examples' must be a list of phrases.")
            codes.append(Code(name, description.strip(), parent.strip() if parent else None,
                              tuple(e.strip() for e in examples if e.strip())))
        names = {c.name for c in codes}
        for i, code in enumerate(codes):
            if code.parent is not None and code.parent not in names:
                raise CodebookError(
                    f"{where(i)} ({code.name}): its parent {code.parent!r} is not a code in "
                    "this codebook.")
        parents = {c.name: c.parent for c in codes}
        for i, code in enumerate(codes):
            seen, current = {code.name}, code.parent
            while current is not None:
                if current in seen:
                    raise CodebookError(f"{where(i)} ({code.name}): its parents go round in a "
                                        "circle; a code cannot be its own ancestor.")
                seen.add(current)
                current = parents[current]
        return cls(codes)

    @classmethod
    def from_yaml(cls, path: str | Path) -> "Codebook":
        """Read a codebook file; raises ``CodebookError`` naming the file and line on a problem."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CodebookError(f"The codebook {path} does not exist.") from None
        except (OSError, UnicodeDecodeError) as error:
            raise CodebookError(f"The codebook {path} could not be read ({error}).") from None
        try:
            data = yaml.safe_load(text)
            lines = _code_lines(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            place = f", line {mark.line + 1}" if mark is not None else ""
            problem = getattr(error, "problem", None) or "it is not valid YAML"
            raise CodebookError(f"{path}{place}: {problem}. Check the indentation and quotes.") from None
        return cls.from_dict(data, str(path), lines)

    def to_dict(self) -> dict:
        out = []
        for code in self.codes:
            entry: dict = {"name": code.name}
            if code.description:
                entry["description"] = code.description
            if code.parent:
                entry["parent"] = code.parent
            if code.examples:
                entry["examples"] = list(code.examples)
            out.append(entry)
        return {"codes": out}

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The codebook as YAML text; also written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _code_lines(text: str) -> list[int] | None:
    """Line number (1-based) of each entry of the top-level ``codes`` list, for messages."""
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if getattr(key, "value", None) == "codes" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return None


# --------------------------------------------------------------------------- the coder

def _check_codes(texts: list[str], codes) -> list[list[str]]:
    if isinstance(codes, (str, bytes)) or len(codes) != len(texts):
        raise ValueError(f"codes must be one list of code names per comment: {len(texts)} "
                         f"comments but {len(codes) if not isinstance(codes, str) else 1} lists.")
    out = []
    for i, row in enumerate(codes):
        if isinstance(row, str):
            row = [row]
        if row is None or (isinstance(row, float) and math.isnan(row)):
            row = []
        out.append([str(c) for c in row])
    return out


#: The coder's backends (ThemeCoder's ``backend``), and the number of coded comments from which
#: "auto" fine-tunes the sentence model rather than using it as it ships: below it there is too
#: little to learn from for the minute of training to pay.
BACKENDS = ("tfidf", "embeddings", "finetuned", "auto")
FINE_TUNE_FROM = 100


class ThemeCoder(BaseEstimator):
    """Multi-label coder: one linear model per code on word and character TF-IDF and, with the
    embeddings backend, a second one per code on sentence embeddings, their probabilities
    averaged with a weight chosen on the coded comments.

    Parameters
    ----------
    codebook : Codebook or None
        When given, its codes are the columns (in its order), its descriptions and example
        phrases are extra training comments (weight ``example_weight``), and a code nobody has
        coded yet is still predicted from them (few-shot).
    C : float
        Inverse regularisation strength of the logistic regressions.
    backend : "tfidf", "embeddings", "finetuned" or "auto"
        "embeddings" adds a model per code on sentence embeddings (the ``embeddings`` extra)
        beside the TF-IDF one; "finetuned" first fine-tunes the sentence model itself on the
        coded comments (:func:`analysis.embeddings.fine_tune`: slower to fit, a minute or two on a
        laptop CPU for a few hundred to a few thousand comments, and closer to people's codes)
        and embeds with it; "auto" (the default) is "finetuned" when the extra is installed and
        ``FINE_TUNE_FROM`` comments or more are coded, "embeddings" with fewer, "tfidf" without
        the extra. The fitted coder's ``backend_`` says which ran.
    inner_cv : int
        Folds of the inner cross-validation that tunes one decision threshold per code to
        maximise samples-F1 on comments the model did not see.
    min_codes : int
        Every comment gets at least this many codes (its most likely ones), since an analyst's
        comment almost always has a code; 0 allows empty predictions.
    example_weight : float
        Weight of each codebook description or example phrase relative to a coded comment.
    fusion_weights : sequence of float
        Candidate weights of the TF-IDF model's probability against the embedding model's
        (embeddings only): the one whose inner cross-validated samples-F1 is best is kept as
        ``fusion_weight_`` (1.0 would mean TF-IDF alone).
    embedding_C : float
        Inverse regularisation strength of the logistic regressions on embeddings.
    class_weight : "balanced" or None
        "balanced" weighs a code's few positive comments up, so rare codes are still learnt.
    random_state : int
        Seed of the inner cross-validation folds.
    """

    def __init__(self, codebook: Codebook | None = None, C: float = 10.0, backend: str = "auto",
                 inner_cv: int = 3, min_codes: int = 1, example_weight: float = 2.0,
                 fusion_weights: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                 embedding_C: float = 1.0, class_weight: str | None = "balanced",
                 random_state: int = 0):
        self.codebook = codebook
        self.C = C
        self.backend = backend
        self.inner_cv = inner_cv
        self.min_codes = min_codes
        self.example_weight = example_weight
        self.fusion_weights = fusion_weights
        self.embedding_C = embedding_C
        self.class_weight = class_weight
        self.random_state = random_state

    # ---- features

    def _fit_features(self, texts: list[str]):
        from analysis.text import Analyser

        n = len(texts)
        self.word_vectorizer_ = TfidfVectorizer(analyzer=Analyser(ngram_range=(1, 2)),
                                                sublinear_tf=True, min_df=1, dtype=np.float32)
        self.char_vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                                sublinear_tf=True, min_df=2 if n >= 50 else 1,
                                                max_features=200000, dtype=np.float32)
        safe = [t if t.strip() else "(empty)" for t in texts]
        self.word_vectorizer_.fit(safe)
        self.char_vectorizer_.fit(safe)

    def _features(self, texts: list[str]):
        safe = [t if t.strip() else "(empty)" for t in texts]
        blocks = [self.word_vectorizer_.transform(safe), self.char_vectorizer_.transform(safe)]
        return normalize(sp.hstack(blocks).tocsr())

    def _embeddings(self, texts: list[str]) -> np.ndarray | None:
        if self.backend_ == "tfidf":
            return None
        safe = [t if t.strip() else "(empty)" for t in texts]
        if self.backend_ == "finetuned":
            return self.encoder_.encode(safe)
        return encode_embeddings(safe)

    # ---- fitting

    def _resolve_backend(self, n_coded: int) -> str:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be 'tfidf', 'embeddings', 'finetuned' or 'auto', "
                             f"not {self.backend!r}.")
        if self.backend == "auto":
            if not embeddings_available():
                return "tfidf"
            return "finetuned" if n_coded >= FINE_TUNE_FROM else "embeddings"
        if self.backend in ("embeddings", "finetuned") and not embeddings_available():
            raise RuntimeError(f"The {self.backend} backend is not installed: pip install "
                               "'consult[embeddings]', or use backend='tfidf'.")
        return self.backend

    def _training_rows(self, texts, codes):
        """Coded comments plus the codebook's descriptions and examples as weighted extra rows."""
        rows, labels, weights = list(texts), [set(c) for c in codes], [1.0] * len(texts)
        if self.codebook is not None and self.example_weight > 0:
            for code in self.codebook.codes:
                phrases = ([code.description] if code.description else []) + list(code.examples)
                for phrase in phrases:
                    rows.append(phrase)
                    labels.append({code.name})
                    weights.append(float(self.example_weight))
        return rows, labels, np.asarray(weights)

    def _fit_models(self, X, Y: np.ndarray, weights: np.ndarray, dense: bool = False) -> list:
        models = []
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():
                models.append(float(y[0]))      # a code always or never present: a constant
                continue
            if dense:   # a few hundred embedding dimensions: the primal problem
                model = LogisticRegression(C=self.embedding_C, class_weight=self.class_weight,
                                           max_iter=2000)
            else:
                # The dual problem: far faster when features (word and character n-grams) far
                # outnumber the coded comments, as they do here.
                model = LogisticRegression(C=self.C, class_weight=self.class_weight,
                                           max_iter=2000, solver="liblinear", dual=True)
            model.fit(X, y, sample_weight=weights)
            models.append(model)
        return models

    @staticmethod
    def _proba(models: list, X) -> np.ndarray:
        out = np.empty((X.shape[0], len(models)))
        for j, model in enumerate(models):
            out[:, j] = model if isinstance(model, float) else model.predict_proba(X)[:, 1]
        return out

    def fit(self, texts: Sequence[str], codes: Sequence[Sequence[str]]) -> "ThemeCoder":
        """Learn from ``texts`` coded with ``codes`` (one list of code names per text)."""
        texts = _as_texts(texts)
        codes = _check_codes(texts, codes)
        if self.codebook is not None:
            unknown = sorted({c for row in codes for c in row} - set(self.codebook.names))
            if unknown:
                raise ValueError(f"{'Code' if len(unknown) == 1 else 'Codes'} not in the codebook: "
                                 f"{', '.join(unknown)}. Add them "
                                 "to the codebook or correct the coded comments.")
            names = self.codebook.names
        else:
            names = sorted({c for row in codes for c in row})
        if not names:
            raise ValueError("There are no codes to learn: code some comments first.")
        self.backend_ = self._resolve_backend(len(texts))
        self.codes_ = list(names)
        rows, labels, weights = self._training_rows(texts, codes)
        Y = np.array([[name in row for name in self.codes_] for row in labels], dtype=int)
        if self.backend_ == "finetuned":
            from analysis.embeddings import fine_tune

            # The coded comments teach the sentence model; the codebook's phrases join the
            # models per code below, as with the other backends.
            self.encoder_ = fine_tune([t if t.strip() else "(empty)" for t in texts],
                                      Y[:len(texts)], seed=self.random_state)
        self._fit_features(rows)
        X = self._features(rows)
        E = self._embeddings(rows)
        self.models_ = self._fit_models(X, Y, weights)
        self.embedding_models_ = None if E is None else self._fit_models(E, Y, weights, dense=True)
        self.fusion_weight_ = 1.0
        self.thresholds_ = self._tune_thresholds(X, E, Y, weights, n_coded=len(texts))
        return self

    def _tune_thresholds(self, X, E, Y, weights, n_coded: int) -> np.ndarray:
        """One threshold per code maximising samples-F1 on inner cross-validated predictions;
        with embeddings, first the weight of the two models that does best there."""
        default = np.full(Y.shape[1], 0.5)
        folds = min(self.inner_cv, n_coded)
        if folds < 2 or n_coded < 20:
            if E is not None:
                self.fusion_weight_ = 0.5
            return default
        oof = np.full((n_coded, Y.shape[1]), np.nan)
        oof_e = None if E is None else np.full((n_coded, Y.shape[1]), np.nan)
        kfold = KFold(folds, shuffle=True, random_state=self.random_state)
        extra = np.arange(n_coded, X.shape[0])      # codebook rows: always in training
        for train, test in kfold.split(np.arange(n_coded)):
            train = np.concatenate([train, extra])
            oof[test] = self._proba(self._fit_models(X[train], Y[train], weights[train]), X[test])
            if E is not None:
                models = self._fit_models(E[train], Y[train], weights[train], dense=True)
                oof_e[test] = self._proba(models, E[test])
        truth = Y[:n_coded]
        if oof_e is None:
            return _tune_for_samples_f1(oof, truth, self.min_codes)
        best = None
        for w in self.fusion_weights:
            P = float(w) * oof + (1.0 - float(w)) * oof_e
            t = _tune_for_samples_f1(P, truth, self.min_codes)
            score = float(_per_comment_f1(truth.astype(bool), _decide(P, t, self.min_codes)).mean())
            if best is None or score > best[0] + 1e-9:
                best = (score, float(w), t)
        self.fusion_weight_ = best[1]
        return best[2]

    # ---- predicting

    def predict_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        """Probability of each code for each text: a DataFrame, one column per code."""
        self._check_fitted()
        texts = _as_texts(texts)
        P = self._fused(texts, self._features(texts)) if texts else np.empty((0, len(self.codes_)))
        return pd.DataFrame(P, columns=self.codes_)

    def _fused(self, texts: list[str], X) -> np.ndarray:
        P = self._proba(self.models_, X)
        if getattr(self, "embedding_models_", None):
            w = self.fusion_weight_
            P = w * P + (1.0 - w) * self._proba(self.embedding_models_, self._embeddings(texts))
        return P

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """The codes of each text: the codes above their tuned thresholds, at least ``min_codes``."""
        return self.predict_from_proba(self.predict_proba(texts))

    def predict_from_proba(self, proba: pd.DataFrame) -> list[list[str]]:
        """The codes :meth:`predict` gives, from probabilities :meth:`predict_proba` already
        made (so a caller that shows both embeds the comments once)."""
        self._check_fitted()
        chosen = _decide(proba[self.codes_].to_numpy(), self.thresholds_, self.min_codes)
        return [[self.codes_[j] for j in np.flatnonzero(row)] for row in chosen]

    def suggest_next(self, texts: Sequence[str], n: int = 10) -> list[int]:
        """Positions in ``texts`` of the ``n`` uncoded comments best to code next.

        Active learning by uncertainty and diversity: comments whose decision on some code is
        closest to its threshold come first, and each pick is discounted by its similarity to
        the comments already picked, so that one batch does not hold ten near-copies.
        """
        self._check_fitted()
        texts = _as_texts(texts)
        if n <= 0 or not texts:
            return []
        X = self._features(texts)
        P = self._fused(texts, X)
        t = self.thresholds_
        closeness = 1.0 - np.abs(P - t) / np.maximum(np.where(P >= t, 1.0 - t, t), 1e-9)
        uncertainty = closeness.max(axis=1) + 0.25 * closeness.mean(axis=1)
        pool = np.argsort(-uncertainty, kind="stable")[: max(10 * n, 50)]
        picked: list[int] = []
        max_sim = np.zeros(len(pool))
        Xp = X[pool]
        while len(picked) < min(n, len(pool)):
            score = uncertainty[pool] * (1.0 - max_sim)
            score[[list(pool).index(p) for p in picked]] = -np.inf
            best = int(np.argmax(score))
            picked.append(int(pool[best]))
            sims = np.asarray((Xp @ Xp[best].T).todense()).ravel()
            max_sim = np.maximum(max_sim, sims)
        return picked

    def quality_report(self, texts: Sequence[str], codes: Sequence[Sequence[str]], cv: int = 5,
                       n_boot: int = 1000) -> "QualityReport":
        """Cross-validated quality of a coder like this one on ``texts`` coded as ``codes``."""
        return quality_report(texts, codes, cv=cv, coder=self, n_boot=n_boot)

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise RuntimeError("Call fit(texts, codes) before using the coder.")


def _decide(P: np.ndarray, thresholds: np.ndarray, min_codes: int) -> np.ndarray:
    chosen = P >= thresholds
    if min_codes > 0 and P.shape[1]:
        # Rank by probability relative to the code's threshold, so rare codes with low
        # thresholds are not always outranked by common ones.
        ratio = P / np.maximum(thresholds, 1e-9)
        top = np.argsort(-ratio, axis=1, kind="stable")[:, :min_codes]
        short = chosen.sum(axis=1) < min_codes
        rows = np.flatnonzero(short)
        chosen[rows[:, None], top[rows]] = True
    return chosen


def _per_comment_f1(Y: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """F1 of each comment's code set (rows of two boolean comments x codes matrices), 1 where
    both sets are empty: the terms whose mean is scikit-learn's samples-F1.

    Kept in numpy for two callers that scikit-learn cannot serve as well: the bootstrap needs
    the per-comment values (``f1_score`` gives only their mean), and the threshold tuner asks
    for samples-F1 about 800 times per fit, where ``f1_score(average="samples")`` (its input
    checks) is about 28 times slower: on 2,000 comments x 20 codes one call takes 4.4 ms against
    0.16 ms, and one tuning 4.8 s against 0.7 s. tests/analysis/test_agreement.py checks it
    against ``f1_score``.
    """
    tp = (Y & Z).sum(axis=1)
    denom = Y.sum(axis=1) + Z.sum(axis=1)
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 1.0)


def _tune_for_samples_f1(P: np.ndarray, Y: np.ndarray, min_codes: int) -> np.ndarray:
    """Thresholds: the best common one, then each code's own by coordinate ascent (2 rounds)."""
    Y = Y.astype(bool)
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)

    def score(t: np.ndarray) -> float:
        return float(_per_comment_f1(Y, _decide(P, t, min_codes)).mean())

    scores = [score(np.full(P.shape[1], g)) for g in grid]
    t = np.full(P.shape[1], grid[int(np.argmax(scores))])
    best = max(scores)
    for _ in range(2):
        for j in range(P.shape[1]):
            keep = t[j]
            for g in grid:
                t[j] = g
                s = score(t)
                if s > best + 1e-9:
                    best, keep = s, g
            t[j] = keep
    # Shrink towards the common threshold: per-code values from a few hundred comments are noisy.
    common = grid[int(np.argmax(scores))]
    return 0.5 * t + 0.5 * common


# --------------------------------------------------------------------------- agreement
#
# The figures come from scikit-learn (kappa, F1) and the krippendorff package (alpha); what
# is here turns lists of codes into their inputs and keeps the results defined where those
# libraries would warn or raise: NaN where a figure is undefined, never a warning.

def _binarise(codes: Sequence[Sequence[str]], names: Sequence[str]) -> np.ndarray:
    return np.array([[name in set(row) for name in names] for row in codes], dtype=bool).reshape(
        len(codes), len(names))


def _all_names(*codings) -> list[str]:
    return sorted({c for coding in codings for row in coding for c in row})


def _indicator(*matrices: np.ndarray) -> list[np.ndarray]:
    """Comments x codes matrices as scikit-learn reads multi-label codes. One code alone gets a
    column no comment has: a one-column matrix would be read as one binary label, and the
    empty column changes no count, so no F1."""
    out = [np.asarray(m, dtype=np.int8) for m in matrices]
    if out and out[0].shape[1] < 2:
        out = [np.hstack([m, np.zeros((m.shape[0], 2 - m.shape[1]), dtype=np.int8)]) for m in out]
    return out


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two binary vectors (scikit-learn); NaN when it is undefined, which for
    two present / absent codings is when both coders gave one and the same answer throughout."""
    if len(set(np.unique(a)) | set(np.unique(b))) < 2:
        return float("nan")
    return float(cohen_kappa_score(a, b))


def cohen_kappa_per_code(coder_a: Sequence[Sequence[str]], coder_b: Sequence[Sequence[str]],
                         codes: Sequence[str] | None = None) -> pd.Series:
    """Cohen's kappa per code between two codings of the same comments (a code present or not).

    ``coder_a`` and ``coder_b`` are lists of lists of code names, aligned. NaN where kappa is
    undefined (neither coder ever used the code, or both always did).
    """
    if len(coder_a) != len(coder_b):
        raise ValueError("The two codings must cover the same comments (same length).")
    names = list(codes) if codes is not None else _all_names(coder_a, coder_b)
    A, B = _binarise(coder_a, names), _binarise(coder_b, names)
    return pd.Series([_kappa(A[:, j], B[:, j]) for j in range(len(names))], index=names,
                     name="kappa", dtype=float)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def krippendorff_alpha(reliability_data, level: str = "nominal") -> float:
    """Krippendorff's alpha for nominal data (the ``krippendorff`` package).

    ``reliability_data``: coders x units (array-like), NaN or None for a missing value; values
    may be numbers or text. Units coded by fewer than two coders are left out. Returns NaN when
    there is no disagreement to expect (a single value throughout the units coded by two or
    more), and when no unit is coded by two coders.
    """
    if level != "nominal":
        raise ValueError("Only the nominal level is supported.")
    cells = np.asarray(reliability_data, dtype=object)
    if cells.ndim != 2 or cells.size == 0:
        return float("nan")
    values = sorted({v for v in cells.ravel() if not _missing(v)}, key=str)
    index = {v: float(i) for i, v in enumerate(values)}
    data = np.array([[np.nan if _missing(v) else index[v] for v in row] for row in cells])
    paired = (~np.isnan(data)).sum(axis=0) >= 2
    # The package raises ValueError for one value or no unit coded twice, and divides 0 by 0
    # when the units coded twice hold one value; all three are our NaN.
    if len(np.unique(data[:, paired][~np.isnan(data[:, paired])])) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def krippendorff_alpha_per_code(*codings: Sequence[Sequence[str]],
                                codes: Sequence[str] | None = None) -> pd.Series:
    """Krippendorff's alpha per code (present / absent) across two or more codings."""
    names = list(codes) if codes is not None else _all_names(*codings)
    mats = [_binarise(c, names).astype(float) for c in codings]
    return pd.Series([krippendorff_alpha(np.vstack([m[:, j] for m in mats])) for j in range(len(names))],
                     index=names, name="alpha", dtype=float)


def _samples_f1(Y: np.ndarray, Z: np.ndarray) -> float:
    """scikit-learn's samples-F1 of two boolean comments x codes matrices; a comment with no
    code in either counts 1 (``zero_division=1``), so no code at all anywhere gives 1."""
    if Y.shape[0] == 0:
        return float("nan")
    return float(f1_score(*_indicator(Y, Z), average="samples", zero_division=1))


def samples_f1(true: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """Mean over comments of the F1 between the true and predicted code sets (1 if both empty)."""
    names = _all_names(true, predicted)
    return _samples_f1(_binarise(true, names), _binarise(predicted, names))


def bootstrap_samples_f1(true, predicted, n_boot: int = 1000, level: float = 0.95,
                         random_state: int = 0) -> tuple[float, float, float]:
    """Samples-F1 and a percentile bootstrap interval over comments: ``(f1, low, high)``."""
    names = _all_names(true, predicted)
    Y, Z = _binarise(true, names), _binarise(predicted, names)
    per = _per_comment_f1(Y, Z)
    rng = np.random.RandomState(random_state)
    boots = per[rng.randint(0, len(per), size=(n_boot, len(per)))].mean(axis=1)
    alpha = (1 - level) / 2
    return _samples_f1(Y, Z), float(np.quantile(boots, alpha)), float(np.quantile(boots, 1 - alpha))


def _micro_macro(Y: np.ndarray, Z: np.ndarray) -> tuple[float, float, pd.DataFrame]:
    """Micro-F1, macro-F1 over the codes ``Y`` uses, and per code support, predicted,
    precision, recall and F1 (scikit-learn; 0 where a figure divides by 0)."""
    k = Y.shape[1]
    support, predicted = Y.sum(axis=0), Z.sum(axis=0)
    if k == 0 or Y.shape[0] == 0:
        zeros = np.zeros(k)
        return 0.0, float("nan"), pd.DataFrame({"support": support, "predicted": predicted,
                                                "precision": zeros, "recall": zeros, "f1": zeros})
    Yi, Zi = _indicator(Y, Z)
    precision, recall, f1, _ = precision_recall_fscore_support(Yi, Zi, average=None, zero_division=0)
    micro = f1_score(Yi, Zi, average="micro", zero_division=0)
    present = np.flatnonzero(support > 0)
    macro = (float(f1_score(Yi, Zi, average="macro", labels=present, zero_division=0))
             if len(present) else float("nan"))
    table = pd.DataFrame({"support": support, "predicted": predicted, "precision": precision[:k],
                          "recall": recall[:k], "f1": f1[:k]})
    return float(micro), macro, table


def agreement_report(coder_a: Sequence[Sequence[str]], coder_b: Sequence[Sequence[str]],
                     codes: Sequence[str] | None = None, n_boot: int = 1000) -> dict:
    """Agreement between two codings (coder vs coder, or coder vs model) of the same comments.

    Returns a dict: ``per_code`` (DataFrame: support in each coding, kappa, alpha, F1 taking
    ``coder_a`` as the reference), ``samples_f1`` with ``samples_f1_low`` / ``_high`` (95%
    bootstrap), ``micro_f1``, ``macro_f1``, ``alpha`` (over every comment x code decision).
    """
    names = list(codes) if codes is not None else _all_names(coder_a, coder_b)
    A, B = _binarise(coder_a, names), _binarise(coder_b, names)
    micro, macro, table = _micro_macro(A, B)
    table.index = names
    table = table.rename(columns={"support": "coder_a", "predicted": "coder_b"})
    table.insert(2, "kappa", cohen_kappa_per_code(coder_a, coder_b, names).to_numpy())
    table.insert(3, "alpha", krippendorff_alpha_per_code(coder_a, coder_b, codes=names).to_numpy())
    f1, low, high = bootstrap_samples_f1(coder_a, coder_b, n_boot=n_boot)
    overall = krippendorff_alpha(np.vstack([A.ravel(), B.ravel()]).astype(float))
    return {"per_code": table, "samples_f1": f1, "samples_f1_low": low, "samples_f1_high": high,
            "micro_f1": micro, "macro_f1": macro, "alpha": overall}


@dataclass
class QualityReport:
    """Cross-validated quality of a coder: what an analyst quotes beside the coded results."""

    samples_f1: float
    samples_f1_low: float
    samples_f1_high: float
    micro_f1: float
    macro_f1: float
    per_code: pd.DataFrame
    predictions: list[list[str]]
    folds: int

    def to_markdown(self) -> str:
        lines = [
            f"Cross-validated over {self.folds} folds: samples-F1 {self.samples_f1:.2f} "
            f"(95% interval {self.samples_f1_low:.2f} to {self.samples_f1_high:.2f}), "
            f"micro-F1 {self.micro_f1:.2f}, macro-F1 {self.macro_f1:.2f}.",
            "",
            "| code | coded | predicted | precision | recall | F1 | kappa |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, row in self.per_code.iterrows():
            lines.append(f"| {name} | {int(row.coder_a)} | {int(row.coder_b)} | {row.precision:.2f} | "
                         f"{row.recall:.2f} | {row.f1:.2f} | {_fmt(row.kappa)} |")
        return "\n".join(lines)


def _fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def quality_report(texts: Sequence[str], codes: Sequence[Sequence[str]], cv: int = 5,
                   coder: ThemeCoder | None = None, n_boot: int = 1000,
                   random_state: int = 0) -> QualityReport:
    """Cross-validated quality: each comment is coded by a model trained without it.

    ``coder`` (default ``ThemeCoder()``) is cloned for each of the ``cv`` folds. Reports
    samples-F1 with a bootstrap interval, micro- and macro-F1, and per code precision, recall,
    F1 and Cohen's kappa between the analyst's codes and the model's.
    """
    texts = _as_texts(texts)
    codes = _check_codes(texts, codes)
    if cv < 2 or len(texts) < cv:
        raise ValueError(f"Cross-validation needs at least {max(cv, 2)} coded comments and cv >= 2.")
    coder = coder if coder is not None else ThemeCoder()
    predictions: list[list[str]] = [[] for _ in texts]
    for train, test in KFold(cv, shuffle=True, random_state=random_state).split(texts):
        model = clone(coder).fit([texts[i] for i in train], [codes[i] for i in train])
        for i, row in zip(test, model.predict([texts[i] for i in test])):
            predictions[i] = row
    names = list(coder.codebook.names) if coder.codebook is not None else _all_names(codes, predictions)
    report = agreement_report(codes, predictions, names, n_boot=n_boot)
    return QualityReport(report["samples_f1"], report["samples_f1_low"], report["samples_f1_high"],
                         report["micro_f1"], report["macro_f1"], report["per_code"], predictions, cv)


# --------------------------------------------------------------------------- command line

def _read_coded(path: str, id_col: str, codes_col: str, sep: str, what: str,
                option: str) -> pd.DataFrame:
    """A coded table (:func:`analysis.load.read_table`, named by ``option``): one row per
    comment, the codes joined by ``sep`` (empty for none)."""
    from analysis.load import LoadError, read_table

    try:
        frame = read_table(path, option)
    except LoadError as error:
        raise CommentSourceError(str(error)) from None
    if codes_col not in frame.columns:
        raise CommentSourceError(
            f"{what} {path} has no column {codes_col!r} with the codes. Its columns are: "
            f"{', '.join(map(str, frame.columns))}. Name it with --codes-col.")
    if id_col not in frame.columns and "text" not in frame.columns:
        raise CommentSourceError(
            f"{what} {path} needs a {id_col!r} column (to find each comment in --source) or a "
            "'text' column.")
    out = pd.DataFrame({
        "reference": frame[id_col].astype(str) if id_col in frame.columns else None,
        "text": frame["text"].fillna("").astype(str) if "text" in frame.columns else None,
        "codes": [[c.strip() for c in str(v).split(sep) if c.strip()]
                  for v in frame[codes_col].fillna("")],
    })
    return out


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--codebook", required=True, help="the codebook (YAML)")
    parser.add_argument("--train", required=True,
                        help="CSV of comments an analyst coded: a reference (or text) column and a "
                             "codes column")
    parser.add_argument("--codes-col", default="codes",
                        help="column of --train holding the codes (default: codes)")
    parser.add_argument("--sep", default=";", help="separator between codes (default: ;)")
    parser.add_argument("--second-coder",
                        help="CSV of the same comments coded by a second analyst, for coder-vs-coder "
                             "agreement (same columns as --train)")
    parser.add_argument("--backend", choices=list(BACKENDS), default="auto",
                        help="features of the coder (default: auto, the sentence model "
                             "fine-tuned on the coded comments beside TF-IDF when the "
                             "embeddings extra is installed and 100 or more comments are "
                             "coded, the model as it ships with fewer, TF-IDF without the extra)")
    parser.add_argument("--cv", type=int, default=5,
                        help="folds of the cross-validated quality report (default: 5)")
    parser.add_argument("--suggest", type=int, default=10,
                        help="how many uncoded comments to suggest coding next (default: 10)")
    parser.add_argument("--out", required=True, help="CSV to write: one row per comment")
    parser.add_argument("--summary", help="also write the readable summary to this file (Markdown)")


def _backend_words(coder: "ThemeCoder") -> str:
    """Which features the fitted coder used, in words for a summary."""
    if coder.backend_ == "embeddings":
        return (f"sentence embeddings beside word and character TF-IDF (TF-IDF weighs "
                f"{coder.fusion_weight_:.1f})")
    if coder.backend_ == "finetuned":
        return (f"sentence embeddings from the model fine-tuned on the coded comments, beside "
                f"word and character TF-IDF (TF-IDF weighs {coder.fusion_weight_:.1f})")
    return "word and character TF-IDF"


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cli_main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    try:
        codebook = Codebook.from_yaml(args.codebook)
        comments = read_comments(args.source, args.text_col, args.question, args.id_col,
                                 consultation=getattr(args, "consultation", None),
                                 analysis_language=getattr(args, "analysis_language", None),
                                 languages=getattr(args, "languages", None))
        coded = _read_coded(args.train, args.id_col, args.codes_col, args.sep, "The coded file",
                            "--train")
        second = (_read_coded(args.second_coder, args.id_col, args.codes_col, args.sep,
                              "The second coder's file", "--second-coder")
                  if args.second_coder else None)
    except (CodebookError, CommentSourceError) as error:
        return _fail(str(error))
    if args.cv < 2:
        return _fail("--cv must be at least 2.")
    if args.backend in ("embeddings", "finetuned") and not embeddings_available():
        return _fail(f"The {args.backend} backend is not installed: pip install "
                     "'consult[embeddings]', or use --backend tfidf.")
    by_ref = dict(zip(comments["reference"], comments["text"]))
    if coded["text"].isna().all():
        missing = [r for r in coded["reference"] if r not in by_ref]
        if missing:
            return _fail(f"{counted(len(missing), 'coded reference')} "
                         f"{'is not a comment' if len(missing) == 1 else 'are not comments'} in --source, e.g. "
                         f"{', '.join(missing[:3])}. Check --id-col and --question.")
        coded["text"] = [by_ref[r] for r in coded["reference"]]
    unknown = sorted({c for row in coded["codes"] for c in row} - set(codebook.names))
    if unknown:
        return _fail(f"The coded file uses {'a code' if len(unknown) == 1 else 'codes'} not in the codebook: "
                     f"{', '.join(unknown)}. "
                     f"Codebook codes: {', '.join(codebook.names)}.")
    coded = coded[coded["text"].str.strip() != ""]
    if len(coded) < 2:
        return _fail("The coded file needs at least 2 coded comments to learn from.")

    steps = 3 + (args.cv if len(coded) >= 4 * args.cv else 0)
    coder = ThemeCoder(codebook=codebook, backend=args.backend)
    with tqdm(total=steps, desc="coding", file=sys.stderr, disable=None) as bar:
        texts, codes = coded["text"].tolist(), coded["codes"].tolist()
        report = None
        if len(coded) >= 4 * args.cv:
            predictions: list[list[str]] = [[] for _ in texts]
            for train, test in KFold(args.cv, shuffle=True, random_state=0).split(texts):
                fold = clone(coder).fit([texts[i] for i in train], [codes[i] for i in train])
                for i, row in zip(test, fold.predict([texts[i] for i in test])):
                    predictions[i] = row
                bar.update(1)
            agreement = agreement_report(codes, predictions, codebook.names)
            report = QualityReport(agreement["samples_f1"], agreement["samples_f1_low"],
                                   agreement["samples_f1_high"], agreement["micro_f1"],
                                   agreement["macro_f1"], agreement["per_code"], predictions, args.cv)
        coder.fit(texts, codes)
        bar.update(1)
        all_texts = comments["text"].tolist()
        proba = coder.predict_proba(all_texts)
        model_codes = coder.predict_from_proba(proba)
        bar.update(1)
        coded_refs = dict(zip(coded["reference"], coded["codes"])) if coded["reference"].notna().all() else {}
        uncoded = [i for i, r in enumerate(comments["reference"]) if r not in coded_refs]
        suggestions = coder.suggest_next([all_texts[i] for i in uncoded], args.suggest) if uncoded else []
        suggestions = [uncoded[i] for i in suggestions]
        bar.update(1)

    P, t = proba.to_numpy(), coder.thresholds_
    certainty = (np.abs(P - t) / np.maximum(np.where(P >= t, 1 - t, t), 1e-9)).min(axis=1)
    refs = comments["reference"].tolist()
    out = pd.DataFrame({
        "reference": refs,
        "codes": [args.sep.join(coded_refs.get(r, m)) for r, m in zip(refs, model_codes)],
        "coded_by": ["analyst" if r in coded_refs else "model" for r in refs],
        "model_codes": [args.sep.join(m) for m in model_codes],
        "certainty": np.round(certainty, 3),
        "code_next": [False] * len(refs),
    })
    out.loc[suggestions, "code_next"] = True
    for name in coder.codes_:
        out[f"p_{name}"] = np.round(proba[name].to_numpy(), 3)
    out["text"] = all_texts
    try:
        out.to_csv(args.out, index=False)
    except OSError as error:
        return _fail(f"Could not write {args.out} ({error.strerror or error}). Check the folder exists.")

    lines = [f"# {len(out)} comments coded against {len(codebook)} codes", "",
             f"Learnt from {len(coded)} comments coded by an analyst, and the codebook's "
             f"descriptions and examples. Backend: {_backend_words(coder)}.", ""]
    counts = pd.Series([c for row in out["codes"] for c in row.split(args.sep) if c]).value_counts()
    lines += ["| code | comments | share | description |", "| --- | ---: | ---: | --- |"]
    for code in codebook.codes:
        n = int(counts.get(code.name, 0))
        lines.append(f"| {code.name} | {n} | {n / max(len(out), 1):.0%} | {code.description} |")
    lines.append("")
    if report is not None:
        lines += ["## Agreement between the analyst and the model", "", report.to_markdown(), ""]
    else:
        lines += [f"(Code at least {4 * args.cv} comments to get a cross-validated agreement report.)", ""]
    if second is not None:
        a, b = _align_coders(coded, second)
        if len(a) >= 2:
            agreement = agreement_report(a, b, codebook.names)
            lines += ["## Agreement between the two analysts", "",
                      f"{len(a)} comments coded by both: samples-F1 {agreement['samples_f1']:.2f} "
                      f"({agreement['samples_f1_low']:.2f} to {agreement['samples_f1_high']:.2f}), "
                      f"Krippendorff's alpha {_fmt(agreement['alpha'])}.", "",
                      "| code | kappa | alpha |", "| --- | ---: | ---: |"]
            lines += [f"| {name} | {_fmt(row.kappa)} | {_fmt(row.alpha)} |"
                      for name, row in agreement["per_code"].iterrows()]
            lines.append("")
        else:
            lines += ["The second coder's file shares fewer than 2 comments with --train.", ""]
    if suggestions:
        lines += ["## Code these next (the model is least sure about them)", ""]
        for i in suggestions:
            short = " ".join(all_texts[i].split())
            lines.append(f"- {refs[i]}: \"{short if len(short) <= 200 else short[:197] + '...'}\"")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.summary:
        Path(args.summary).write_text(text, encoding="utf-8")
    print(f"Wrote {counted(len(out), 'coded comment')} to {args.out}", file=sys.stderr)
    return 0


def _align_coders(first: pd.DataFrame, second: pd.DataFrame) -> tuple[list, list]:
    key = "reference" if first["reference"].notna().all() and second["reference"].notna().all() else "text"
    merged = first.merge(second, on=key, suffixes=("_a", "_b"))
    return merged["codes_a"].tolist(), merged["codes_b"].tolist()
