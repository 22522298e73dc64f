"""Codebook files, ThemeCoder and the `code` command."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from analysis.__main__ import main
from analysis.cluster import embeddings_available, encode_embeddings
from analysis.coding import (
    FINE_TUNE_FROM,
    Code,
    Codebook,
    CodebookError,
    QualityReport,
    ThemeCoder,
    _backend_words,
    quality_report,
    samples_f1,
)

# Tests of what the coder does, not of a backend, use one that fits in a second or two: the
# model as it ships beside TF-IDF where the extra is installed (fine-tuning it is tested below).
QUICK = "embeddings" if embeddings_available() else "tfidf"

CODEBOOK_YAML = """\
codes:
  - name: roads
    description: Road safety, speeding and traffic
    examples: ["speeding cars", "potholes"]
  - name: drugs
    description: Drug dealing and drug use
  - name: patrols
    description: Visible policing and officers on patrol
    examples:
      - bobbies on the beat
  - name: youth
    description: Activities and support for young people
  - name: speeding
    parent: roads
    description: Vehicles going too fast
"""


@pytest.fixture()
def codebook(tmp_path) -> Codebook:
    path = tmp_path / "codebook.yaml"
    path.write_text(CODEBOOK_YAML, encoding="utf-8")
    return Codebook.from_yaml(path)


# ---- codebook

def test_codebook_reads_codes_parents_and_examples(codebook):
    assert codebook.names == ["roads", "drugs", "patrols", "youth", "speeding"]
    assert codebook["speeding"].parent == "roads"
    assert codebook["roads"].examples == ("speeding cars", "potholes")
    assert codebook["patrols"].examples == ("bobbies on the beat",)


def test_codebook_round_trips_through_yaml(codebook, tmp_path):
    path = tmp_path / "again.yaml"
    codebook.to_yaml(path)
    assert Codebook.from_yaml(path) == codebook


@pytest.mark.parametrize("text, message", [
    ("- a\n- b\n", "top-level 'codes:' list"),
    ("codes: []\n", "at least one code"),
    ("codes:\n  - description: no name\n", "code 1, line 2: 'name' is missing"),
    ("codes:\n  - name: a\n  - name: a\n", "code 2, line 3: the name 'a' is used twice"),
    ("codes:\n  - name: a\n  - name: b\n    parent: c\n", "code 2, line 3 (b): its parent 'c'"),
    ("codes:\n  - name: a\n    colour: red\n", "unknown field colour"),
    ("codes:\n  - name: a\n    examples: 3\n", "'examples' must be a list"),
    ("codes:\n  - name: a;b\n", "cannot contain ';'"),
    ("codes:\n  - name: a\n    parent: b\n  - name: b\n    parent: a\n", "round in a circle"),
    ("codes:\n  - name: a\n   description: x\n", "line 3"),
])
def test_codebook_errors_name_the_place(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as error:
        Codebook.from_yaml(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_missing_codebook_is_explained(tmp_path):
    with pytest.raises(CodebookError, match="does not exist"):
        Codebook.from_yaml(tmp_path / "none.yaml")


# ---- coder

def test_coder_learns_multi_label_codes(coded_comments):
    texts, codes = coded_comments
    coder = ThemeCoder(backend=QUICK).fit(texts[:180], codes[:180])
    predicted = coder.predict(texts[180:])
    assert samples_f1(codes[180:], predicted) > 0.85
    assert any(len(row) > 1 for row in predicted)


def test_every_comment_gets_at_least_one_code(coded_comments):
    texts, codes = coded_comments
    coder = ThemeCoder(backend=QUICK).fit(texts[:120], codes[:120])
    assert all(len(row) >= 1 for row in coder.predict(["", "the weather is nice", "zzz"]))
    coder.thresholds_ = np.full(4, 1.01)                      # nothing passes a threshold
    assert [len(row) for row in coder.predict(["cannabis", "potholes"])] == [1, 1]
    coder.min_codes = 0
    assert coder.predict(["cannabis", "potholes"]) == [[], []]


def test_predict_proba_has_one_column_per_code(coded_comments, codebook):
    texts, codes = coded_comments
    coder = ThemeCoder(codebook=codebook, backend=QUICK).fit(texts[:120], codes[:120])
    proba = coder.predict_proba(texts[120:130])
    assert isinstance(proba, pd.DataFrame)
    assert list(proba.columns) == codebook.names
    assert proba.shape == (10, 5)
    assert ((proba >= 0) & (proba <= 1)).all().all()


def test_codebook_examples_teach_a_code_nobody_has_coded_yet(coded_comments, codebook):
    texts, codes = coded_comments
    # "speeding" never appears in the coded comments; only the codebook describes it.
    coder = ThemeCoder(codebook=codebook, backend=QUICK).fit(texts[:120], codes[:120])
    proba = coder.predict_proba(["vehicles going far too fast", "a youth club for teenagers"])
    assert proba.loc[0, "speeding"] > proba.loc[1, "speeding"]


def test_codes_outside_the_codebook_are_refused(codebook):
    with pytest.raises(ValueError, match="not in the codebook: graffiti"):
        ThemeCoder(codebook=codebook, backend=QUICK).fit(["paint on walls", "more patrols"], [["graffiti"], ["patrols"]])


def test_codes_must_align_with_texts():
    with pytest.raises(ValueError, match="one list of code names per comment"):
        ThemeCoder(backend=QUICK).fit(["a", "b"], [["x"]])


def test_thresholds_are_tuned_per_code(coded_comments):
    texts, codes = coded_comments
    coder = ThemeCoder(backend=QUICK).fit(texts, codes)
    assert coder.thresholds_.shape == (4,)
    assert np.all((coder.thresholds_ > 0) & (coder.thresholds_ < 1))


def test_suggest_next_prefers_uncertain_and_varied_comments(coded_comments):
    texts, codes = coded_comments
    coder = ThemeCoder(backend=QUICK).fit(texts[:100], codes[:100])
    pool = ["Speeding. Speeding. Speeding cars and potholes."] * 5 + [
        "cannabis and speeding", "youth club or police patrols", "something about nothing",
        "dealers near the school"]
    picked = coder.suggest_next(pool, 3)
    assert len(picked) == 3 and len(set(picked)) == 3
    assert sum(i < 5 for i in picked) <= 1                 # not several near-copies
    assert all(0 <= i < len(pool) for i in picked)


def test_quality_report_is_cross_validated(coded_comments):
    texts, codes = coded_comments
    report = quality_report(texts, codes, cv=3, n_boot=200, coder=ThemeCoder(backend=QUICK))
    assert isinstance(report, QualityReport)
    assert report.samples_f1_low <= report.samples_f1 <= report.samples_f1_high
    assert report.samples_f1 > 0.8
    assert set(report.per_code.index) == {"roads", "drugs", "patrols", "youth"}
    assert len(report.predictions) == len(texts)
    assert "samples-F1" in report.to_markdown()


def test_coder_follows_scikit_learn_conventions(codebook):
    coder = ThemeCoder(codebook=codebook, C=3.0, backend=QUICK)
    assert clone(coder).get_params()["C"] == 3.0
    with pytest.raises(RuntimeError, match="fit"):
        coder.predict(["x"])


# ---- command line

def _files(tmp_path, coded_comments, n_coded=60):
    texts, codes = coded_comments
    refs = [f"PCP-{i:04d}" for i in range(len(texts))]
    pd.DataFrame({"format_version": 1, "consultation": "pcp", "reference": refs,
                  "submitted_at": "2021-07-04T18:22:05Z", "received_on": "2021-07-04", "channel": "online",
                  "status": "valid", "status_reason": "", "hidden_comments": "",
                  "support__crime_prevention": "support",
                  "comment__crime_prevention": texts}).to_csv(tmp_path / "export.csv", index=False)
    pd.DataFrame({"reference": refs[:n_coded], "codes": [";".join(c) for c in codes[:n_coded]]}
                 ).to_csv(tmp_path / "coded.csv", index=False)
    pd.DataFrame({"reference": refs[:20], "codes": [";".join(c) for c in codes[:20]]}
                 ).to_csv(tmp_path / "second.csv", index=False)
    (tmp_path / "codebook.yaml").write_text(CODEBOOK_YAML, encoding="utf-8")


def test_cli_codes_an_export(tmp_path, coded_comments, capsys):
    _files(tmp_path, coded_comments)
    out = tmp_path / "out.csv"
    assert main(["code", "--source", str(tmp_path / "export.csv"), "--question", "crime_prevention",
                 "--codebook", str(tmp_path / "codebook.yaml"), "--train", str(tmp_path / "coded.csv"),
                 "--second-coder", str(tmp_path / "second.csv"), "--suggest", "4",
                 "--backend", QUICK, "--out", str(out)]) == 0
    frame = pd.read_csv(out, keep_default_na=False)
    assert len(frame) == len(coded_comments[0])
    assert set(frame["coded_by"]) == {"analyst", "model"}
    assert (frame["codes"] != "").all()
    assert frame["code_next"].sum() == 4
    assert not frame.loc[frame["code_next"], "coded_by"].eq("analyst").any()
    assert {"p_roads", "p_speeding"} <= set(frame.columns)
    printed = capsys.readouterr().out
    assert "Agreement between the analyst and the model" in printed
    assert "Agreement between the two analysts" in printed
    assert "Code these next" in printed


@pytest.mark.parametrize("change, message", [
    ({"--codebook": "missing.yaml"}, "does not exist"),
    ({"--train": "export.csv"}, "no column 'codes'"),
    ({"--codes-col": "nope"}, "no column 'nope'"),
    ({"--cv": "1"}, "--cv must be at least 2"),
    ({"--train": "nowhere.csv"}, "Check the path given to --train"),
    ({"--second-coder": "nowhere.csv"}, "Check the path given to --second-coder"),
    ({"--train": "latin1.csv"}, "is not UTF-8 text"),
])
def test_cli_bad_arguments_give_a_clear_error(tmp_path, coded_comments, capsys, change, message):
    _files(tmp_path, coded_comments)
    (tmp_path / "latin1.csv").write_bytes("reference,codes\nPCP-0000,caf\xe9\n".encode("latin-1"))
    args = {"--source": "export.csv", "--question": "crime_prevention", "--codebook": "codebook.yaml",
            "--train": "coded.csv", "--out": "out.csv"}
    args.update(change)
    argv = ["code"]
    for key, value in args.items():
        argv += [key, str(tmp_path / value) if value.endswith((".csv", ".yaml")) else value]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_refuses_codes_not_in_the_codebook(tmp_path, coded_comments, capsys):
    _files(tmp_path, coded_comments)
    pd.DataFrame({"reference": ["PCP-0000"], "codes": ["graffiti"]}).to_csv(tmp_path / "coded.csv", index=False)
    assert main(["code", "--source", str(tmp_path / "export.csv"), "--codebook",
                 str(tmp_path / "codebook.yaml"), "--train", str(tmp_path / "coded.csv"),
                 "--out", str(tmp_path / "o.csv")]) == 2
    assert "graffiti" in capsys.readouterr().err


# ---- the embeddings backend beside TF-IDF

needs_embeddings = pytest.mark.skipif(not embeddings_available(),
                                      reason="the embeddings extra is not installed")


@needs_embeddings
def test_auto_backend_fine_tunes_from_enough_coded_comments_and_embeds_below(coded_comments,
                                                                             monkeypatch):
    import analysis.embeddings as embeddings

    texts, codes = coded_comments
    tuned = []
    real = embeddings.fine_tune

    def counted_fine_tune(*args, **kwargs):
        tuned.append(len(args[0]))
        return real(*args, **{**kwargs, "epochs": 1})

    monkeypatch.setattr(embeddings, "fine_tune", counted_fine_tune)
    few = ThemeCoder().fit(texts[:FINE_TUNE_FROM - 1], codes[:FINE_TUNE_FROM - 1])
    assert few.backend_ == "embeddings" and tuned == []
    enough = ThemeCoder().fit(texts[:FINE_TUNE_FROM], codes[:FINE_TUNE_FROM])
    assert enough.backend_ == "finetuned" and tuned == [FINE_TUNE_FROM]
    assert enough.fusion_weight_ in enough.fusion_weights
    assert "fine-tuned on the coded comments" in _backend_words(enough)


def test_fine_tuning_makes_fewer_passes_as_more_comments_are_coded():
    from analysis.embeddings import default_epochs

    assert [default_epochs(n) for n in (100, 1000, 1001, 3000, 3001, 50000)] == [8, 8, 4, 4, 2, 2]


@needs_embeddings
def test_the_fine_tuned_model_is_the_same_run_to_run_and_moves_from_the_shipped_one(
        coded_comments):
    from analysis.embeddings import encode, fine_tune

    texts, codes = coded_comments
    names = sorted({c for row in codes for c in row})
    targets = np.array([[n in row for n in names] for row in codes[:40]], dtype=float)
    one = fine_tune(texts[:40], targets, epochs=2, seed=0).encode(texts[40:50])
    two = fine_tune(texts[:40], targets, epochs=2, seed=0).encode(texts[40:50])
    np.testing.assert_array_equal(one, two)
    assert np.allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-5)
    shipped = encode(texts[40:50])
    assert np.abs(one - shipped).max() > 1e-3      # the weights were trained
    # an explicit "finetuned" coder codes with the tuned encoder and predicts every code's column
    coder = ThemeCoder(backend="finetuned").fit(texts[:40], codes[:40])
    assert coder.backend_ == "finetuned"
    assert list(coder.predict_proba(texts[40:45]).columns) == coder.codes_


@needs_embeddings
def test_embedding_probabilities_are_the_weighted_mean_of_the_two_models(coded_comments):
    texts, codes = coded_comments
    coder = ThemeCoder(backend="embeddings").fit(texts[:120], codes[:120])
    new = texts[120:140]
    # Recomputed from the two fitted models by hand: each code's probability from the TF-IDF
    # model and from the embedding model, mixed with the chosen weight.
    X = coder._features(new)
    E = encode_embeddings(new)
    w = coder.fusion_weight_
    for j, code in enumerate(coder.codes_):
        tfidf_model, embedding_model = coder.models_[j], coder.embedding_models_[j]
        p_t = tfidf_model if isinstance(tfidf_model, float) else tfidf_model.predict_proba(X)[:, 1]
        p_e = (embedding_model if isinstance(embedding_model, float)
               else embedding_model.predict_proba(E)[:, 1])
        assert coder.predict_proba(new)[code].to_numpy() == pytest.approx(w * p_t + (1 - w) * p_e)


@needs_embeddings
def test_a_tfidf_weight_of_one_gives_the_tfidf_coder(coded_comments):
    texts, codes = coded_comments
    only_tfidf = ThemeCoder(backend="embeddings", fusion_weights=(1.0,)).fit(texts[:120], codes[:120])
    assert only_tfidf.fusion_weight_ == 1.0
    tfidf = ThemeCoder(backend="tfidf").fit(texts[:120], codes[:120])
    new = texts[120:160]
    # weight 1.0 is TF-IDF alone: the same probabilities as the tfidf backend
    assert only_tfidf.predict_proba(new).to_numpy() == pytest.approx(tfidf.predict_proba(new).to_numpy(),
                                                                    abs=1e-4)


def test_tfidf_backend_is_kept_when_asked_for(coded_comments):
    texts, codes = coded_comments
    coder = ThemeCoder(backend="tfidf").fit(texts[:120], codes[:120])
    assert coder.backend_ == "tfidf" and coder.embedding_models_ is None
