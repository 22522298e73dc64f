"""analysis.campaigns: copies and near copies of template responses, and the campaigns command."""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.__main__ import main
from analysis.campaigns import campaign_summary, collapse_campaigns, find_campaigns
from analysis.text import normalise, tokenise

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

TEMPLATE_A = (
    "I am writing to object to the proposed closure of Parkside police station. The station "
    "serves thousands of residents and visitors, and its loss would leave the city centre "
    "without a front counter where victims can report crime in person. Please keep it open "
    "and staffed in the evenings."
)
TEMPLATE_B = (
    "We call on the Commissioner to fund twenty more PCSOs for our rural villages, where "
    "response times are far too long and residents feel abandoned. Rural crime such as theft "
    "of farm machinery and fly-tipping deserves the same attention as crime in the towns."
)
ORGANIC = [
    "Street lighting on the guided busway is poor and I do not feel safe cycling home.",
    "More officers on foot in the market square on Saturday nights would help.",
    "Speeding through the village is the biggest problem, nobody enforces the 20 limit.",
    "I reported a burglary and never heard back, which made me lose faith in the police.",
    "Please do more about county lines and the young people being exploited by them.",
    "Antisocial behaviour in the park has got worse since the youth club closed.",
]


def letter(template: str, name: str, extra: str = "", greeting: str = "Dear Commissioner,") -> str:
    return f"{greeting}\n\n{template} {extra}\n\nYours sincerely,\n{name}\n"


def pairs_together(labels: pd.Series, positions: list[int]) -> bool:
    values = labels.iloc[positions]
    return values.notna().all() and values.nunique() == 1


# ------------------------------------------------------------------------- the required cases


def test_texts_identical_after_normalising_share_a_campaign_even_when_short():
    texts = [
        "No", "no.", "  NO!  ",
        "Keep Parkside open", "keep   parkside OPEN!!",
        "Don\u2019t cut PCSOs", "don't cut pcsos",
        "see https://example.org/petition", "See http://example.com/other",
        "Something only one person said",
        "Anti-social behaviour: don't ignore it", "antisocial behaviour dont ignore it",
        "Caf\u00e9 closures", "cafe closures",
    ]
    labels = find_campaigns(texts)
    assert pairs_together(labels, [0, 1, 2])
    assert pairs_together(labels, [3, 4])
    assert pairs_together(labels, [5, 6])
    assert pairs_together(labels, [7, 8])  # links collapse to [link]
    assert len({labels[0], labels[3], labels[5], labels[7]}) == 4
    assert pd.isna(labels[9])
    assert pairs_together(labels, [10, 11])  # hyphens and apostrophes do not count
    assert pairs_together(labels, [12, 13])  # nor do accents


words = st.sampled_from(["keep", "the", "station", "open", "police", "more", "PCSOs", "now"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(words, min_size=1, max_size=12).map(" ".join), min_size=1, max_size=8),
    st.randoms(use_true_random=False),
)
def test_every_pair_identical_after_normalising_shares_a_campaign(bases, rng):
    texts = []
    for base in bases:
        for _ in range(rng.randint(1, 3)):
            variant = base.upper() if rng.random() < 0.3 else base
            variant = variant.replace(" ", rng.choice([" ", "  ", "\n", " , "]))
            texts.append(variant + rng.choice(["", ".", "!", " "]))
    labels = find_campaigns(texts)
    keys = [" ".join(tokenise(normalise(t))) for t in texts]  # a usual normalisation
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if keys[i] == keys[j]:
                assert pd.notna(labels[i]) and labels[i] == labels[j], (texts[i], texts[j])


def test_personalised_letters_from_one_template_are_found():
    names = ["John Smith", "Priya Patel", "Siobhan O'Neill", "Mohammed Khan", "A. Resident"]
    texts = [
        letter(TEMPLATE_A, names[0]),
        letter(TEMPLATE_A, names[1], "My daughter was mugged near the station last year."),
        letter(TEMPLATE_A.replace("thousands", "many thousands"), names[2], greeting="Hello,"),
        "I live at 12 Mill Road. " + letter(TEMPLATE_A.replace("Please keep", "Keep"), names[3]),
        TEMPLATE_A.upper(),
        letter(TEMPLATE_A, names[4], ORGANIC[0] + " " + ORGANIC[1]),
    ] + ORGANIC
    labels = find_campaigns(texts)
    assert pairs_together(labels, list(range(6)))
    assert labels.iloc[6:].isna().all()


def test_different_templates_are_not_merged_even_through_a_text_that_mixes_them():
    texts = (
        [letter(TEMPLATE_A, f"Resident {i}") for i in range(6)]
        + [letter(TEMPLATE_B, f"Villager {i}") for i in range(6)]
        + [TEMPLATE_A + " " + TEMPLATE_B, TEMPLATE_B + "\n\n" + TEMPLATE_A]
    )
    labels = find_campaigns(texts)
    a, b = labels.iloc[:6], labels.iloc[6:12]
    assert a.nunique() == 1 and b.nunique() == 1 and a.iloc[0] != b.iloc[0]
    # the two mixed texts may join either template's campaign, or pair up with each other,
    # but never bring the two templates together
    assert a.notna().all() and b.notna().all()


def test_templates_sharing_an_opening_sentence_stay_apart():
    opening = "I am writing about the Police and Crime Plan consultation."
    texts = [opening + " " + TEMPLATE_A] * 3 + [opening + " " + TEMPLATE_B] * 3
    texts = [t.replace("residents", f"residents ({i})") for i, t in enumerate(texts)]
    labels = find_campaigns(texts)
    assert labels.iloc[:3].nunique() == 1 and labels.iloc[3:].nunique() == 1
    assert labels.iloc[0] != labels.iloc[3]


def test_a_sentence_quoted_inside_long_letters_does_not_lead_them():
    quoted = "Please keep Parkside police station open in the evenings."
    letters = [f"{ORGANIC[i]} {quoted} {ORGANIC[i + 1]}" for i in (0, 2, 4)]
    labels = find_campaigns([quoted] + letters)
    assert labels.isna().all()


def test_organic_comments_on_one_topic_are_not_a_campaign():
    assert find_campaigns(ORGANIC).isna().all()


# ------------------------------------------------------------------------ shape of the result


def test_result_is_aligned_with_a_series_and_nullable():
    texts = pd.Series(
        [TEMPLATE_A, None, TEMPLATE_A.lower(), "", float("nan"), "   ", ORGANIC[0]],
        index=["PCP-A", "PCP-B", "PCP-C", "PCP-D", "PCP-E", "PCP-F", "PCP-G"],
    )
    labels = find_campaigns(texts)
    assert labels.dtype == "Int64" and labels.name == "campaign"
    assert list(labels.index) == list(texts.index)
    assert labels["PCP-A"] == labels["PCP-C"] == 1
    assert labels[["PCP-B", "PCP-D", "PCP-E", "PCP-F", "PCP-G"]].isna().all()


def test_campaigns_are_numbered_from_the_largest():
    texts = [TEMPLATE_B] * 2 + [ORGANIC[0]] + [TEMPLATE_A] * 4
    labels = find_campaigns(texts)
    assert list(labels.fillna(0)) == [2, 2, 0, 1, 1, 1, 1]


def test_min_size_and_threshold_are_honoured_and_checked():
    texts = [TEMPLATE_A] * 2 + [TEMPLATE_B] * 3
    labels = find_campaigns(texts, min_size=3)
    assert labels.iloc[:2].isna().all() and labels.iloc[2:].notna().all()
    edited = TEMPLATE_A.replace("thousands of residents and visitors", "a great many people")
    assert find_campaigns([TEMPLATE_A, edited], threshold=0.6).notna().all()
    assert find_campaigns([TEMPLATE_A, edited], threshold=0.95).isna().all()
    with pytest.raises(ValueError, match="threshold"):
        find_campaigns(texts, threshold=0)
    with pytest.raises(ValueError, match="min_size"):
        find_campaigns(texts, min_size=1)
    with pytest.raises(TypeError, match="single text"):
        find_campaigns(TEMPLATE_A)


def test_empty_input_gives_an_empty_series():
    labels = find_campaigns([])
    assert labels.empty and labels.dtype == "Int64"


def test_summary_gives_size_template_and_references():
    texts = pd.Series(
        [letter(TEMPLATE_A, "John Smith"), TEMPLATE_A, letter(TEMPLATE_A, "Jo Bloggs", ORGANIC[2]),
         TEMPLATE_B, TEMPLATE_B.upper(), ORGANIC[0]],
        index=["R1", "R2", "R3", "R4", "R5", "R6"],
    )
    labels = find_campaigns(texts)
    summary = campaign_summary(texts, labels)
    assert list(summary.columns) == ["campaign", "size", "distinct_texts", "template", "example_references"]
    first = summary.iloc[0]
    assert (first["campaign"], first["size"], first["distinct_texts"]) == (1, 3, 3)
    assert first["template"] == TEMPLATE_A  # the medoid: the bare template
    assert first["example_references"] == "R1, R2, R3"
    assert summary.iloc[1]["distinct_texts"] == 1
    assert campaign_summary(["a", "b"], find_campaigns(["a", "b"])).empty


def test_collapse_counts_each_campaign_once():
    frame = pd.DataFrame({"support": ["support", "support", "support", "oppose", "oppose"]})
    labels = pd.Series([1, 1, 1, pd.NA, pd.NA], dtype="Int64")
    collapsed = collapse_campaigns(frame, labels)
    assert list(collapsed["support"]) == ["support", "oppose", "oppose"]
    assert list(collapsed["campaign_size"]) == [3, 1, 1]
    assert collapsed["support"].value_counts().to_dict() == {"oppose": 2, "support": 1}
    with pytest.raises(ValueError, match="same length"):
        collapse_campaigns(frame, labels.iloc[:2])


# --------------------------------------------------------- synthetic campaigns on real comments

FIRST = ["John", "Sarah", "Mohammed", "Emma", "David", "Priya", "Gareth", "Siobhan", "Tom", "Anna"]
LAST = ["Smith", "Jones", "Khan", "Patel", "Williams", "Brown", "O'Neill", "Taylor", "Evans"]


def real_comments() -> list[str]:
    if not DATA.is_dir():
        pytest.skip(f"the development data is not at {DATA}")
    texts = pd.read_csv(DATA / "polis-bowling-green/comments.csv")["comment-body"].dropna().tolist()
    for part in ("question_part_1", "question_part_2"):
        path = DATA / "themefinder-gambling-xs/inputs" / part / "responses.jsonl"
        texts += [json.loads(line)["response"] for line in path.read_text().splitlines() if line]
    return texts


def personalise(template: str, extras: list[str], rng: random.Random) -> str:
    words = template.split()
    for _ in range(rng.choice([0, 1, 2])):
        k = rng.randrange(len(words))
        words[k] = rng.choice(["really", "very", "strongly", "also", "local"])
    text = " ".join(words)
    if rng.random() < 0.6:
        text = letter(text, f"{rng.choice(FIRST)} {rng.choice(LAST)}", greeting=rng.choice(
            ["Dear Commissioner,", "Hello,", "To whom it may concern:"]))
    if rng.random() < 0.4:
        text += " " + rng.choice(extras)
    if rng.random() < 0.15:
        text = text.upper()
    return text


def pairwise_scores(truth: list[str], labels: pd.Series) -> tuple[float, float]:
    predicted = pd.Series([f"p{v}" if pd.notna(v) else f"s{i}" for i, v in enumerate(labels)])
    true = pd.Series(truth)

    def pairs(groups: pd.Series) -> int:
        counts = groups.value_counts()
        return int((counts * (counts - 1) // 2).sum())

    together = pairs(true + "|" + predicted)
    return together / max(pairs(predicted), 1), together / max(pairs(true), 1)


def test_synthetic_campaigns_in_real_comments_are_found_with_high_pairwise_precision_and_recall():
    rng = random.Random(7)
    real = real_comments()
    rng.shuffle(real)
    pool, background = real[:120], real[120:]
    texts, truth = [], []
    for text in background:  # real comments: only those identical after normalising pair up
        texts.append(text)
        truth.append("bg:" + " ".join(tokenise(normalise(text, links=True))))
    templates = []
    for k in range(8):
        parts = rng.sample(pool, 4)
        if k % 2:
            parts[0] = templates[-1][0]  # sibling templates share one of four comments
        templates.append(parts)
        for _ in range(rng.randint(5, 60)):
            texts.append(personalise(" ".join(parts), background, rng))
            truth.append(f"campaign:{k}")
    labels = find_campaigns(texts)
    precision, recall = pairwise_scores(truth, labels)
    assert precision >= 0.98, precision
    assert recall >= 0.95, recall
    found = pd.DataFrame({"truth": truth, "label": labels}).dropna()
    found = found[found["truth"].str.startswith("campaign")]
    assert (found.groupby("label")["truth"].nunique() == 1).all()  # no two templates merged


@pytest.mark.slow
def test_five_thousand_comments_take_seconds_not_minutes():
    rng = random.Random(1)
    real = real_comments()
    texts = [" ".join(rng.sample(real, 2)) for _ in range(4000)]
    texts += [personalise(TEMPLATE_A, real, rng) for _ in range(1000)]
    start = time.perf_counter()
    labels = find_campaigns(texts)
    elapsed = time.perf_counter() - start
    assert labels.iloc[4000:].notna().mean() > 0.99
    assert elapsed < 30, f"{elapsed:.1f} s"


# ------------------------------------------------------------------------------- the command


FIXED = {"format_version": 1, "consultation": "pcp", "submitted_at": "2021-07-04T18:22:05Z",
         "received_on": "2021-07-04", "channel": "online", "status": "valid", "status_reason": "",
         "hidden_comments": ""}
COLUMNS = ["format_version", "consultation", "reference", "submitted_at", "received_on", "channel",
           "status", "status_reason", "hidden_comments", "support__victims", "comment__victims",
           "support__enforcement", "comment__enforcement", "missing_from_plan"]
DICTIONARY = [
    {"column": "support__victims", "question": "support", "type": "support", "theme": "victims",
     "theme_title": "Victims"},
    {"column": "comment__victims", "question": "comment", "type": "comment", "theme": "victims",
     "theme_title": "Victims"},
    {"column": "support__enforcement", "question": "support", "type": "support",
     "theme": "enforcement", "theme_title": "Enforcement"},
    {"column": "comment__enforcement", "question": "comment", "type": "comment",
     "theme": "enforcement", "theme_title": "Enforcement"},
    {"column": "missing_from_plan", "question": "missing_from_plan", "type": "text", "theme": "",
     "theme_title": ""},
]


def write_export(folder: Path, rows: list[dict]) -> Path:
    """A format-1 CSV export with its data dictionary beside it."""
    path = folder / "responses.csv"
    frame = pd.DataFrame([{**{c: "" for c in COLUMNS}, **FIXED, **row} for row in rows],
                         columns=COLUMNS)
    frame.to_csv(path, index=False)
    pd.DataFrame(DICTIONARY).to_csv(folder / "responses.dictionary.csv", index=False)
    return path


def export_rows() -> list[dict]:
    rows = [
        {"reference": f"PCP-CAMP{i:04d}", "support__victims": "support",
         "comment__victims": letter(TEMPLATE_A, f"{FIRST[i]} {LAST[i % len(LAST)]}"),
         "comment__enforcement": "'-Fund more PCSOs" if i % 2 else ""}
        for i in range(5)
    ]
    rows += [
        {"reference": f"PCP-ORG{i:05d}", "support__victims": "oppose",
         "comment__victims": text, "missing_from_plan": ORGANIC[-1 - i]}
        for i, text in enumerate(ORGANIC[:3])
    ]
    rows.append({"reference": "PCP-EMPTY000"})
    return rows


def test_command_on_a_csv_export_writes_campaign_ids_by_reference(tmp_path, capsys):
    source = write_export(tmp_path, export_rows())
    out = tmp_path / "campaigns.csv"
    assert main(["campaigns", "--source", str(source), "--out", str(out)]) == 0
    result = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(result.columns) == ["reference", "campaign", "campaign_size"]
    by_reference = result.set_index("reference")
    assert set(by_reference.loc[[f"PCP-CAMP{i:04d}" for i in range(5)], "campaign"]) == {"1"}
    assert set(by_reference.loc[[f"PCP-CAMP{i:04d}" for i in range(5)], "campaign_size"]) == {"5"}
    assert (by_reference.loc[["PCP-ORG00000", "PCP-EMPTY000"], "campaign"] == "").all()
    shown = capsys.readouterr().out
    assert "1 campaign holds 5 responses" in shown
    assert "3 free-text questions, joined per response" in shown
    assert "PCP-CAMP0000" in shown and "Traceback" not in shown


def test_command_reads_one_question_and_writes_the_summary_to_a_file(tmp_path, capsys):
    source = write_export(tmp_path, export_rows())
    out, summary = tmp_path / "out.csv", tmp_path / "summary.txt"
    assert main(["campaigns", "--source", str(source), "--question", "enforcement",
                 "--out", str(out), "--summary", str(summary)]) == 0
    result = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("reference")
    # the export's leading "'" was taken off: "-Fund more PCSOs" twice is a campaign of 2
    assert set(result.loc[["PCP-CAMP0001", "PCP-CAMP0003"], "campaign"]) == {"1"}
    assert "(comments on Enforcement)" in summary.read_text()
    assert "Wrote" in capsys.readouterr().out


def test_command_reads_a_json_export(tmp_path, capsys):
    document = {
        "format": "consult-export", "format_version": 1, "consultation": {"slug": "pcp"},
        "dictionary": DICTIONARY,
        "responses": [{**{c: "" for c in COLUMNS}, **FIXED, **row} for row in export_rows()],
    }
    source = tmp_path / "responses.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["campaigns", "--source", str(source), "--out", str(out)]) == 0
    result = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert (result["campaign"] == "1").sum() == 5


def test_command_on_any_csv_of_texts_uses_row_numbers_without_an_id_column(tmp_path, capsys):
    source = tmp_path / "texts.csv"
    pd.DataFrame({"comment": [TEMPLATE_A, TEMPLATE_A + " Thanks.", ORGANIC[0]]}).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    assert main(["campaigns", "--source", str(source), "--text-col", "comment", "--out", str(out)]) == 0
    result = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(result["row"]) == ["1", "2", "3"]
    assert list(result["campaign"]) == ["1", "1", ""]


def test_command_reads_json_lines_and_shows_progress_on_long_runs(tmp_path, capsys):
    source = tmp_path / "responses.jsonl"
    lines = [{"id": f"R{i}", "text": TEMPLATE_B if i % 2 else f"Comment number {i} about crime"}
             for i in range(2100)]
    source.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["campaigns", "--source", str(source), "--text-col", "text", "--id-col", "id",
                 "--out", str(out)]) == 0
    result = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert (result["campaign"] == "1").sum() == 1050
    assert "finding campaigns" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--source", "{tmp}/missing.csv"], "There is no file at"),
        (["--source", "{tmp}"], "is a folder"),
        (["--source", "{texts}"], "Say which column"),
        (["--source", "{texts}", "--text-col", "nope"], "has no column 'nope'"),
        (["--source", "{texts}", "--text-col", "comment", "--id-col", "ref"], "no column 'ref'"),
        (["--source", "{texts}", "--question", "victims"], "--question needs a Consult export"),
        (["--source", "{export}", "--question", "nope"], "no free-text question 'nope'"),
        (["--source", "{export}", "--id-col", "x"], "leave out --id-col"),
        (["--source", "{old}"], "export format version 9"),
        (["--source", "{broken}"], "is not valid JSON"),
        (["--source", "{latin1}", "--text-col", "comment"], "is not UTF-8 text"),
        (["--source", "{empty}", "--text-col", "comment"], "is empty"),
        (["--source", "{texts}", "--text-col", "comment", "--out", "{tmp}/no/such/out.csv"],
         "does not exist"),
    ],
)
def test_command_explains_bad_input_without_a_traceback(tmp_path, capsys, arguments, message):
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"comment": ["a", "b"]}).to_csv(texts, index=False)
    export = write_export(tmp_path, export_rows())
    old = tmp_path / "old.csv"
    pd.DataFrame({"format_version": [9], "reference": ["X"]}).to_csv(old, index=False)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    latin1, empty = tmp_path / "latin1.csv", tmp_path / "empty.csv"
    latin1.write_bytes("comment\ncaf\xe9\n".encode("latin-1"))
    empty.write_bytes(b"")
    names = {"tmp": tmp_path, "texts": texts, "export": export, "old": old, "broken": broken,
             "latin1": latin1, "empty": empty}
    arguments = [a.format(**names) for a in arguments]
    if "--out" not in arguments:
        arguments += ["--out", str(tmp_path / "out.csv")]
    assert main(["campaigns", *arguments]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.startswith("Error: ") and "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--threshold", "1.5"], "not between 0 and 1"),
        (["--threshold", "high"], "is not a number"),
        (["--min-size", "1"], "at least 2 responses"),
        ([], "the following arguments are required: --source, --out"),
    ],
)
def test_command_rejects_bad_options_with_usage(capsys, arguments, message):
    with pytest.raises(SystemExit) as stopped:
        main(["campaigns", *arguments] + (["--source", "x.csv", "--out", "y.csv"] if arguments else []))
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text(), st.none(), st.sampled_from([TEMPLATE_A, TEMPLATE_B])),
                max_size=12))
def test_any_list_of_texts_gives_one_label_each(texts):
    labels = find_campaigns(texts)
    assert len(labels) == len(texts) and labels.dtype == "Int64"
    assert labels.dropna().ge(1).all()
    summary = campaign_summary(texts, labels)
    assert summary["size"].sum() == labels.notna().sum()
