"""Free-text questions: every one is found from the export's data dictionary (whatever its
column is called) and offered by the report, `analysis cluster` and `analysis campaigns`;
hidden comments and responses not counted never reach an output meant for reading; quotes shown
together never share more than half their words."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis.__main__ import main
from analysis.load import load
from analysis.text import diverse, too_similar, word_overlap, word_set

THEMES = {"victims": "Supporting Victims", "roads": "Safer Roads"}
# A consultation whose free-text question is not called missing_from_plan: it must still be
# found, from the data dictionary.
COLUMNS = ["format_version", "consultation", "reference", "submitted_at", "received_on", "channel",
           "status", "status_reason", "hidden_comments", "district", "home_area",
           "support__victims", "comment__victims", "support__roads", "comment__roads",
           "rank__victims", "rank__roads", "your_ideas", "age_band"]
DICTIONARY = [
    {"column": "district", "question": "district", "type": "code", "label": "Where do you live?",
     "codes": "cambridge=Cambridge | peterborough=Peterborough"},
    {"column": "home_area", "question": "home_area", "type": "text", "label": "First part of your postcode"},
    {"column": "support__victims", "question": "support", "type": "support", "theme": "victims",
     "theme_title": THEMES["victims"], "label": "How far do you support it?"},
    {"column": "comment__victims", "question": "comment", "type": "comment", "theme": "victims",
     "theme_title": THEMES["victims"], "label": "Tell us why"},
    {"column": "support__roads", "question": "support", "type": "support", "theme": "roads",
     "theme_title": THEMES["roads"], "label": "How far do you support it?"},
    {"column": "comment__roads", "question": "comment", "type": "comment", "theme": "roads",
     "theme_title": THEMES["roads"], "label": "Tell us why"},
    {"column": "your_ideas", "question": "your_ideas", "type": "text", "label": "What else should we do?"},
    {"column": "age_band", "question": "age_band", "type": "code", "label": "Age",
     "codes": "young=Young | old=Old"},
]
VICTIM_POINTS = ["victims need to be kept informed about their case", "court delays make witnesses give up",
                 "the support service was excellent and deserves funding", "nobody called me back after the burglary"]
ROAD_POINTS = ["speed cameras on the bypass would stop the racing", "potholes on the estate roads are dangerous",
               "drivers on phones should lose their licence", "the school run parking blocks every pavement"]
IDEA_POINTS = ["rural crime such as hare coursing and farm theft", "fraud against older people online",
               "mental health support so officers are not the last resort", "youth clubs to keep teenagers busy",
               "violence against women and girls on the late buses"]
OPENINGS = ["I think", "Honestly,", "In my view", "For me", "Above all", "Please remember that"]
HIDDEN_TEXT = "Zebra moderator hid this insult about the useless idiot constable"
UNCOUNTED_TEXT = "Quagga campaign text copied by the organised letter writers"


def _rows(n: int = 48) -> list[dict]:
    rows = []
    for i in range(n):
        opening = OPENINGS[i % len(OPENINGS)]
        rows.append({
            "reference": f"TST-{i:04d}", "submitted_at": f"2021-07-{1 + i % 28:02d}T10:00:00Z",
            "received_on": f"2021-07-{1 + i % 28:02d}", "district": "cambridge" if i % 2 else "peterborough",
            "home_area": ["PE1", "CB4", "PE13"][i % 3], "support__victims": ["support", "oppose", "neither"][i % 3],
            "comment__victims": f"{opening} {VICTIM_POINTS[i % 4]} (point {i}).",
            "support__roads": ["strongly_support", "oppose"][i % 2],
            "comment__roads": f"{opening} {ROAD_POINTS[i % 4]}, seen {i} times.",
            "rank__victims": 1 + i % 2, "rank__roads": 2 - i % 2,
            "your_ideas": f"{opening} {IDEA_POINTS[i % 5]} ({i}).", "age_band": "young" if i % 3 else "old",
        })
    # hidden by a moderator, in counted responses, in every free-text question: many copies, so
    # that a clusterer or campaign finder would surely show them if it saw them
    for i in range(n, n + 14):
        rows.append({"reference": f"HID-{i:04d}", "submitted_at": "2021-07-02T10:00:00Z", "received_on": "2021-07-02",
                     "district": "cambridge", "support__victims": "oppose", "comment__victims": HIDDEN_TEXT,
                     "comment__roads": HIDDEN_TEXT, "your_ideas": HIDDEN_TEXT,
                     "hidden_comments": "comment__victims;comment__roads;your_ideas"})
    # responses that are not counted
    for i, status in zip(range(n + 14, n + 30), itertools.cycle(["campaign", "duplicate", "invalid"])):
        rows.append({"reference": f"NOT-{i:04d}", "submitted_at": "2021-07-03T10:00:00Z", "received_on": "2021-07-03",
                     "district": "peterborough", "support__victims": "support", "comment__victims": UNCOUNTED_TEXT,
                     "comment__roads": UNCOUNTED_TEXT, "your_ideas": UNCOUNTED_TEXT, "status": status,
                     "status_reason": "template letter"})
    return rows


def write_export(folder, rows=None, question_type: bool = False):
    fixed = {"format_version": 1, "consultation": "roads-and-victims", "channel": "online", "status": "valid",
             "status_reason": "", "hidden_comments": ""}
    frame = pd.DataFrame([{**{c: "" for c in COLUMNS}, **fixed, **row} for row in (rows or _rows())],
                         columns=COLUMNS)
    path = folder / "responses.csv"
    frame.to_csv(path, index=False)
    dictionary = pd.DataFrame(DICTIONARY)
    if question_type:
        dictionary["question_type"] = dictionary["column"].map(
            {"comment__victims": "free_text", "comment__roads": "free_text", "your_ideas": "free_text",
             "home_area": "postcode_district", "district": "district"}).fillna("support")
    dictionary.to_csv(folder / "responses.dictionary.csv", index=False)
    return path


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return write_export(tmp_path_factory.mktemp("free_text"))


# ------------------------------------------------------------------------- finding the questions


def test_every_free_text_question_is_found_from_the_data_dictionary(export):
    data = load(export)
    questions = data.free_text_questions
    assert [q.column for q in questions] == ["comment__victims", "comment__roads", "your_ideas"]
    assert [q.key for q in questions] == ["victims", "roads", "your_ideas"]
    assert [q.title for q in questions] == [THEMES["victims"], THEMES["roads"], "What else should we do?"]
    # the partial postcode is text too, but not free text
    assert "home_area" not in set(data.comments["question"])


def test_a_dictionary_with_question_types_is_followed(tmp_path):
    data = load(write_export(tmp_path, question_type=True))
    assert [q.column for q in data.free_text_questions] == ["comment__victims", "comment__roads", "your_ideas"]


def test_the_demo_export_has_anything_missing_from_the_plan_in_every_format(demo):
    for suffix in ("csv", "json", "xlsx"):
        data = load(demo.source.replace(".json", f".{suffix}").replace(".csv", f".{suffix}"))
        titles = [q.title for q in data.free_text_questions]
        asked = data.dictionary.set_index("column").loc["missing_from_plan", "label"]  # the survey's words
        assert titles[-1] == asked and "missing from the plan" in asked and len(titles) == len(data.themes) + 1


def test_database_questions_are_found_from_the_question_table(app):
    from consult.extensions import db
    from consult.models import Consultation, Question, Response, Theme

    consultation = Consultation(slug="db-free-text", title="Free text", definition={}, definition_sha256="0" * 64,
                                opens_at=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc),
                                closes_at=dt.datetime(2021, 2, 1, tzinfo=dt.timezone.utc))
    db.session.add(consultation)
    db.session.flush()
    db.session.add(Theme(consultation_id=consultation.id, key="roads", title="Safer Roads", position=1,
                         what_we_will_do=""))
    for position, (key, kind, label, spec) in enumerate([
            ("support__roads", "support", "How far?", {"theme": "roads"}),
            ("comment__roads", "free_text", "Tell us why", {"theme": "roads"}),
            ("home_area", "postcode_district", "First part of your postcode", {}),
            ("ideas", "free_text", "Anything else?", {})]):
        db.session.add(Question(consultation_id=consultation.id, key=key, page="p", type=kind, position=position,
                                label=label, spec=spec))
    for i, status in enumerate(["valid", "valid", "campaign"]):
        db.session.add(Response(
            reference=f"DB-{i}", consultation_id=consultation.id, channel="online", status=status,
            submitted_at=dt.datetime(2021, 1, 2 + i, tzinfo=dt.timezone.utc), received_on=dt.date(2021, 1, 2 + i),
            hidden_comments=["ideas"] if i == 1 else [],
            answers={"support__roads": "support", "comment__roads": f"more cameras please {i}",
                     "home_area": "PE1", "ideas": f"youth clubs and more buses {i}"}))
    db.session.commit()
    data = load(app.config["SQLALCHEMY_DATABASE_URI"], "db-free-text")
    assert [(q.column, q.key, q.title) for q in data.free_text_questions] == [
        ("comment__roads", "roads", "Safer Roads"), ("ideas", "ideas", "Anything else?")]
    assert sorted(data.quotable_comments("ideas")["reference"]) == ["DB-0"]
    assert data.comments_left_out("ideas") == {"hidden": 1, "not_counted": 1}


# ------------------------------------------------------------------------- what may be shown


def test_quotable_comments_leave_out_hidden_and_not_counted_and_say_how_many(export):
    data = load(export)
    quotable = data.quotable_comments()
    assert not quotable["text"].isin([HIDDEN_TEXT, UNCOUNTED_TEXT]).any()
    # recomputed from the file with plain pandas
    raw = pd.read_csv(export, dtype=str, keep_default_na=False)
    for column in ("comment__victims", "comment__roads", "your_ideas"):
        answered = raw[raw[column] != ""]
        hidden = answered["hidden_comments"].str.split(";").apply(lambda cols: column in cols)
        counted = answered["status"] == "valid"
        assert len(data.quotable_comments(column)) == int((counted & ~hidden).sum())
        assert data.comments_left_out(column) == {"hidden": int((counted & hidden).sum()),
                                                  "not_counted": int((~counted).sum())}


def test_an_unknown_question_names_the_questions_there_are(export):
    from analysis.load import LoadError

    with pytest.raises(LoadError, match=r"no free-text question 'nope'.*your_ideas \(What else should we do\?\)"):
        load(export).quotable_comments("nope")


def test_cluster_offers_every_free_text_question_and_never_shows_hidden_ones(export, tmp_path, capsys):
    for question in ("victims", "comment__roads", "your_ideas"):
        out, summary = tmp_path / f"{question}.csv", tmp_path / f"{question}.md"
        assert main(["cluster", "--source", str(export), "--question", question, "--out", str(out),
                     "--summary", str(summary)]) == 0
        printed = capsys.readouterr()
        for text in (printed.out, printed.err, out.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8")):
            assert "Zebra" not in text and "Quagga" not in text
        written = pd.read_csv(out)
        assert len(written) == 48 and written["reference"].str.startswith("TST-").all()
        assert "14 hidden by a moderator and 16 in responses not counted" in printed.out


def test_cluster_without_a_question_lists_them(export, capsys):
    assert main(["cluster", "--source", str(export), "--out", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert "victims (comments on Supporting Victims)" in err and "your_ideas (What else should we do?)" in err
    assert "Traceback" not in err


def test_campaigns_offers_the_same_questions_and_never_shows_hidden_ones(export, tmp_path, capsys):
    for question in ([], ["--question", "victims"], ["--question", "your_ideas"]):
        out, summary = tmp_path / "c.csv", tmp_path / "c.txt"
        assert main(["campaigns", "--source", str(export), "--out", str(out), "--summary", str(summary),
                     *question]) == 0
        printed = capsys.readouterr()
        for text in (printed.out, printed.err, summary.read_text(encoding="utf-8")):
            assert "Zebra" not in text and "Quagga" not in text
        result = pd.read_csv(out, dtype=str, keep_default_na=False)
        # one row per counted response; those whose comments were all hidden are in no campaign
        assert not result["reference"].str.startswith("NOT-").any() and len(result) == 48 + 14
        assert (result.loc[result["reference"].str.startswith("HID-"), "campaign"] == "").all()
        assert "16 responses already marked duplicate, campaign or invalid" in summary.read_text(encoding="utf-8")
    assert main(["campaigns", "--source", str(export), "--out", str(tmp_path / "c.csv"), "--question", "nope"]) == 2
    assert "The free-text questions are: victims" in capsys.readouterr().err


@pytest.fixture(scope="module")
def report(export, tmp_path_factory):
    out = tmp_path_factory.mktemp("free_text_report")
    assert main(["report", "--source", str(export), "--out", str(out), "--quiet"]) == 0
    return out


def test_the_report_has_a_section_for_every_free_text_question(report, export):
    html = BeautifulSoup((report / "report.html").read_text(encoding="utf-8"), "html.parser")
    said = html.find("h2", id="said")
    sections = said.find_all_next("section", class_="free-text")
    assert [s.h3.get_text() for s in sections] == [THEMES["victims"], THEMES["roads"], "What else should we do?"]
    raw = pd.read_csv(export, dtype=str, keep_default_na=False)
    counted = raw[raw["status"] == "valid"]
    for section, column in zip(sections, ["comment__victims", "comment__roads", "your_ideas"]):
        visible = counted[(counted[column] != "") & ~counted["hidden_comments"].str.contains(column)]
        assert f"{len(visible)} people of the {len(counted)} counted responses answered" in section.get_text()
        # the main points raised, each with a readable label and a typical comment with its reference
        rows = section.find("table").find("tbody").find_all("tr")
        assert len(rows) >= 2
        assert all(r.th.get_text().strip() and r.th.get_text()[0].isupper() for r in rows)
        sizes = [int(r.find("td", class_="num").get_text().split()[0]) for r in rows]
        assert sizes == sorted(sizes, reverse=True) and sum(sizes) <= len(visible)
        references = [ref.get_text() for ref in section.find_all("span", class_="ref")]
        assert references and set(references) <= set(visible["reference"])
    md = (report / "report.md").read_text(encoding="utf-8")
    assert "### What else should we do?" in md


def test_the_report_never_shows_hidden_comments_or_responses_not_counted(report):
    for name in ("report.html", "report.md"):
        text = (report / name).read_text(encoding="utf-8")
        assert "Zebra" not in text and "Quagga" not in text and "HID-" not in text and "NOT-" not in text


def _section_quotes(section) -> list[str]:
    texts = [b.p.get_text().strip("“”") for b in section.find_all("blockquote")]
    for row in section.find("table").find("tbody").find_all("tr") if section.find("table") else []:
        cell = row.find_all("td")[-1].get_text()
        match = re.match(r"“(.*)”", cell)
        if match:
            texts.append(match.group(1))
    return texts


def test_no_two_quotes_of_a_section_share_more_than_half_their_words(report):
    html = BeautifulSoup((report / "report.html").read_text(encoding="utf-8"), "html.parser")
    for section in html.find_all("section", class_="free-text"):
        quotes = _section_quotes(section)
        assert len(quotes) >= 2
        for a, b in itertools.combinations(quotes, 2):
            # the share of the shorter quote's words found in the other, recomputed here
            words_a, words_b = (set(re.findall(r"\w+", q.lower())) for q in (a, b))
            assert len(words_a & words_b) / min(len(words_a), len(words_b)) <= 0.5, (a, b)


# ------------------------------------------------------------------------- the overlap measure


def test_word_overlap_is_the_share_of_the_shorter_comments_words():
    assert word_overlap("More police on the streets", "more POLICE on the streets please, now!") == 1.0
    assert word_overlap("speed cameras now", "more speed cameras on the A14") == pytest.approx(2 / 3)
    assert word_overlap("youth clubs", "potholes everywhere") == 0.0
    assert word_overlap("", "") == 1.0 and word_overlap("", "words") == 0.0
    # never below the Jaccard index of the same word sets
    a, b = word_set("a b c d"), word_set("c d e f g h")
    assert word_overlap(a, b) >= len(a & b) / len(a | b)


def test_more_than_half_is_too_similar_and_half_is_not():
    assert not too_similar("one two three four", "one two five six")  # exactly half
    assert too_similar("one two three four", "one two three six")


def test_diverse_skips_near_copies_wherever_they_come():
    texts = ["Fix the potholes on Oundle Road", "Please fix the potholes on Oundle Road!",
             "Youth clubs keep teenagers busy", "fix the potholes on oundle road now",
             "Speed cameras on the bypass"]
    assert diverse(texts) == [0, 2, 4]
    assert diverse(texts, 2) == [0, 2]
    assert diverse(texts, shown=["youth clubs keep teenagers busy"]) == [0, 4]


def test_report_quotes_follow_the_rule_on_the_demo_like_copies(demo):
    from analysis.report import representative_comments

    for question in demo.free_text_questions:
        quotes, _ = representative_comments(demo, question.column)
        for a, b in itertools.combinations([q.text for q in quotes], 2):
            assert not too_similar(a, b)
        assert len({q.reference for q in quotes}) == len(quotes)
        hidden_or_uncounted = set(demo.comments.loc[demo.comments["hidden"] | ~demo.comments["counted"], "reference"]
                                  [demo.comments["question"] == question.column])
        assert not {q.reference for q in quotes} & hidden_or_uncounted


def test_json_export_reads_the_same_questions(export, tmp_path):
    frame = pd.read_csv(export, dtype=str, keep_default_na=False)
    doc = {"format": "consult-export", "format_version": 1,
           "consultation": {"slug": "roads-and-victims", "title": "Roads", "themes": [
               {"key": k, "title": t, "what_we_will_do": ""} for k, t in THEMES.items()]},
           "dictionary": DICTIONARY,
           "responses": [{**r, "hidden_comments": [c for c in r["hidden_comments"].split(";") if c]}
                         for r in frame.to_dict("records")]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    data = load(path)
    assert [q.column for q in data.free_text_questions] == ["comment__victims", "comment__roads", "your_ideas"]
    assert len(data.quotable_comments()) == len(load(export).quotable_comments())
