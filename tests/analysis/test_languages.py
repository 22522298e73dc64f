"""Comments in any language: each comment's language detected offline, counts by language with
the small-number rule, comments in other languages kept out of the analysis and listed for
translation, staff translations analysed and marked as translated."""
from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from analysis import languages, tally
from analysis.load import LoadError, load
from analysis.report import build_report, free_text_section

LEVELS = "strongly_support=2 | support=1 | neither=0 | oppose=-1 | strongly_oppose=-2 | dont_know="
CODES = ("strongly_support=Strongly support | support=Support | neither=Neither | oppose=Oppose | "
         "strongly_oppose=Strongly oppose | dont_know=Don't know")
ENGLISH = [
    "The roads near the school are dangerous because drivers speed every morning",
    "Please put more police officers on the streets in the evenings",
    "I would like speed cameras on the main road through the village",
    "Potholes on our road have not been repaired for over a year now",
    "Cyclists need safer lanes separated from the traffic on the ring road",
    "Street lighting in the park is poor and people feel unsafe walking home",
    "Parking on the pavement blocks wheelchairs and prams on our street",
    "The junction by the station needs a proper crossing for children",
    "Lorries use the narrow lanes as a shortcut and damage the verges",
    "More visible patrols would make older residents feel much safer",
    "Antisocial driving late at night keeps the whole estate awake",
    "The bus lane is ignored by private cars during the rush hour",
]
POLISH = [
    "Na naszej ulicy kierowcy jeżdżą za szybko i potrzebujemy progów zwalniających",
    "Chciałbym widzieć więcej policjantów na ulicach wieczorem",
    "Dziury w drodze nie zostały naprawione od ponad roku",
    "Oświetlenie w parku jest słabe i ludzie boją się wracać do domu",
    "Parkowanie na chodniku blokuje wózki dziecięce i inwalidzkie",
    "Skrzyżowanie przy dworcu potrzebuje bezpiecznego przejścia dla dzieci",
    "Ciężarówki jeżdżą wąskimi drogami i niszczą pobocza",
    "Więcej patroli sprawiłoby, że starsi mieszkańcy czuliby się bezpieczniej",
    "Głośna jazda samochodów w nocy nie pozwala spać całemu osiedlu",
    "Samochody prywatne jeżdżą po buspasie w godzinach szczytu",
    "Rowerzyści potrzebują bezpiecznych ścieżek oddzielonych od ruchu",
    "Kamery prędkości na głównej drodze przez wieś byłyby bardzo pomocne",
]
ROMANIAN = [
    "Drumurile de lângă școală sunt periculoase pentru că șoferii merg prea repede",
    "Aș vrea să văd mai mulți polițiști pe străzi seara",
    "Gropile de pe strada noastră nu au fost reparate de un an",
]
SHORT = ["ok", "Yes"]
TRANSLATION = "On our street drivers go too fast and we need speed bumps"


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A format 3 CSV export: English, Polish and Romanian comments on one theme, two short
    answers, one Polish comment with a staff translation, one hidden Polish comment and one in a
    response not counted."""
    rows, truth = [], {}

    def add(text, language, level="support", status="valid", hidden=False, translation=""):
        reference = f"TWN-{len(rows):04d}-AAAA"
        rows.append({
            "format_version": "3", "consultation": "town", "reference": reference,
            "submitted_at": "2024-03-05T10:00:00Z", "received_on": "2024-03-05",
            "channel": "online", "status": status,
            "status_reason": "" if status == "valid" else "copy", "language": language,
            "hidden_comments": "comment__roads" if hidden else "",
            "support__roads": level, "comment__roads": text,
            "translation__comment__roads": translation})
        truth[reference] = language
        return reference

    for text in ENGLISH:
        add(text, "en")
    polish = [add(text, "pl") for text in POLISH[1:]]
    translated = add(POLISH[0], "pl", level="strongly_oppose", translation=TRANSLATION)
    romanian = [add(text, "ro") for text in ROMANIAN]
    short = [add(text, "en") for text in SHORT]
    hidden = add("Mój sąsiad Jan Kowalski jeździ zawsze za szybko pod szkołą", "pl", hidden=True)
    not_counted = add("Nie chcemy więcej kamer na naszych drogach w tej okolicy", "pl",
                      status="duplicate")
    folder = tmp_path_factory.mktemp("v3")
    pd.DataFrame(rows).to_csv(folder / "town.csv", index=False, encoding="utf-8-sig")
    dictionary = [
        {"column": "support__roads", "question": "support", "type": "support", "theme": "roads",
         "theme_title": "Safer roads", "label": "How far do you support this theme?",
         "codes": CODES, "description": "", "scale": "support", "levels": LEVELS},
        {"column": "comment__roads", "question": "comment", "type": "comment", "theme": "roads",
         "theme_title": "Safer roads", "label": "Any comments on this theme?", "codes": "",
         "description": "", "scale": "", "levels": ""},
        {"column": "translation__comment__roads", "question": "", "type": "translation",
         "theme": "roads", "theme_title": "Safer roads", "label": "Translation", "codes": "",
         "description": "", "scale": "", "levels": ""},
    ]
    pd.DataFrame(dictionary).to_csv(folder / "town.dictionary.csv", index=False, encoding="utf-8-sig")
    return {"path": folder / "town.csv", "truth": truth, "polish": polish, "romanian": romanian,
            "translated": translated, "short": short, "hidden": hidden,
            "not_counted": not_counted, "folder": folder}


def test_clear_sentences_get_their_language_and_unsure_short_ones_the_analysis_language():
    found = languages.detect(ENGLISH[:2] + POLISH[:2] + ROMANIAN[:2] + SHORT, "en")
    assert found == ["en"] * 2 + ["pl"] * 2 + ["ro"] * 2 + ["en", "en"]
    # the same short answers count as the analysis language whatever it is
    assert languages.detect(SHORT, "pl", ("pl", "en")) == ["pl", "pl"]


def test_the_detector_chooses_only_among_the_configured_languages():
    assert languages.detect(ROMANIAN[:1], "en", ("en", "pl")) != ["ro"]
    assert languages.unsupported_languages(languages.DEFAULT_LANGUAGES) == ("ku",)
    assert languages.parse_languages("EN, pl ,ro") == ("en", "pl", "ro")
    assert languages.parse_languages(None) == languages.DEFAULT_LANGUAGES


def test_an_analysis_language_the_detector_does_not_know_is_refused(export):
    with pytest.raises(LoadError, match="'ku' is not one the language detector knows"):
        languages.split_comments(load(export["path"]), "ku")


def test_comments_in_other_languages_are_kept_out_and_translations_analysed(export):
    split = languages.split_comments(load(export["path"]), "en")
    analysed = split.data.comments.set_index("reference")
    untranslated = set(export["polish"]) | set(export["romanian"]) | {export["hidden"],
                                                                      export["not_counted"]}
    assert not untranslated & set(analysed.index)
    assert set(analysed.index) == (set(export["truth"]) - untranslated)
    row = analysed.loc[export["translated"]]
    assert (row["text"], row["original"], bool(row["translated"])) == (TRANSLATION, POLISH[0], True)
    assert not analysed.drop(index=export["translated"])["translated"].any()
    # listed for translation: the counted, not hidden ones, by language then reference
    waiting = split.for_translation
    assert list(waiting["reference"]) == sorted(export["polish"]) + sorted(export["romanian"])
    assert list(waiting["language"]) == ["pl"] * len(export["polish"]) + ["ro"] * len(export["romanian"])
    # the quotable comments of the analysis are its own
    quotable = set(split.data.quotable_comments("roads")["reference"])
    assert quotable == set(analysed.index) - {export["hidden"], export["not_counted"]} - untranslated


def test_counts_by_language_are_over_counted_responses_with_the_small_number_rule(export):
    split = languages.split_comments(load(export["path"]), "en")
    # recomputed from the languages the comments were written in (short answers count as English)
    counted = Counter(language for reference, language in export["truth"].items()
                      if reference != export["not_counted"])
    assert dict(split.counts) == dict(counted)
    ordered = sorted(counted, key=lambda c: (-counted[c], c))
    hidden = tally.hidden_parts([counted[c] for c in ordered])
    assert languages.language_rows(split) == [
        {"code": c, "language": languages.language_name(c),
         "n": tally.published_count(counted[c], bool(h))} for c, h in zip(ordered, hidden)]
    # Romanian under 10 is hidden, and Polish, the next smallest, so that it cannot be worked out
    assert [r["n"] for r in languages.language_rows(split)] == ["14", "–", "<10"]


def test_another_analysis_language_turns_the_split_around(export):
    split = languages.split_comments(load(export["path"]), "pl")
    analysed = set(split.data.comments["reference"])
    assert set(export["polish"]) <= analysed
    assert not set(export["romanian"]) & analysed
    waiting = set(split.for_translation["reference"])
    english = {r for r, lang in export["truth"].items() if lang == "en"} - set(export["short"])
    assert english <= waiting and not set(export["short"]) & waiting


def test_a_translated_comment_is_quoted_in_its_translation_and_marked(export):
    from analysis.text import redact_pii

    split = languages.split_comments(load(export["path"]), "en")
    section = free_text_section(split.data, "roads", redact_pii)
    quoted = {q["reference"]: q for q in section["quotes"]}
    # the only comment of someone strongly opposed: the quote of its group
    assert quoted[export["translated"]]["translated"] is True
    assert quoted[export["translated"]]["text"] == redact_pii(TRANSLATION)
    assert not any(q["translated"] for ref, q in quoted.items() if ref != export["translated"])
    assert not set(quoted) & (set(export["polish"]) | set(export["romanian"]))


def test_the_report_says_how_many_came_in_each_language_and_lists_the_rest(export, tmp_path):
    paths = build_report(load(export["path"]), tmp_path / "out", progress=False)
    markdown = paths["markdown"].read_text(encoding="utf-8")
    html = paths["html"].read_text(encoding="utf-8")
    section = markdown.split("### Comments by language")[1].split("\n### ")[0]
    assert "| English | 14 |" in section and "| Total | 30 |" in section
    assert "In Polish: 11 to translate" in section and "In Romanian: 3 to translate" in section
    for reference in export["polish"] + export["romanian"]:
        assert reference in section
    assert export["hidden"] not in section and export["not_counted"] not in section
    said = markdown.split("## What people said")[1].split("## Responses not counted")[0]
    quotes = said.split("### Comments by language")[0] + said.split("### Comments by language")[1].split("\n### ", 1)[1]
    assert not any(text in quotes for text in POLISH[1:] + ROMANIAN)
    assert "translated" in quotes
    assert "short comments where detection is unsure" in markdown
    waiting = len(export["polish"]) + len(export["romanian"])
    assert f"{waiting} comments in another language are listed for translation instead" in said
    assert 'id="for-translation-pl"' in html and 'lang="pl"' in html


def test_the_comment_commands_leave_other_languages_out_and_use_translations(export):
    from analysis.cluster import _left_out_words, read_comments

    comments = read_comments(export["path"], question="roads", analysis_language="en")
    assert not set(comments["reference"]) & (set(export["polish"]) | set(export["romanian"]))
    texts = dict(zip(comments["reference"], comments["text"]))
    assert texts[export["translated"]] == TRANSLATION
    waiting = len(export["polish"]) + len(export["romanian"])
    assert comments.attrs["other_language"] == waiting
    assert f"{waiting} in another language, not yet translated" in _left_out_words(comments.attrs)
    # without an analysis language, every comment as written (as before)
    every = read_comments(export["path"], question="roads")
    assert set(export["polish"]) <= set(every["reference"])


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_every_version_is_still_read_and_version_3_carries_language_and_translations(export, fmt):
    """Version 3 is read in every format (CSV here, JSON from the same rows); versions 1 and 2
    are read by tests/analysis/test_export_versions.py, with an empty language."""
    import json

    path = export["path"]
    if fmt == "json":
        wide = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        dictionary = pd.read_csv(export["folder"] / "town.dictionary.csv", dtype=str,
                                 keep_default_na=False, encoding="utf-8-sig")
        records = wide.drop(columns=["format_version"]).to_dict("records")
        for record in records:
            record["hidden_comments"] = [record["hidden_comments"]] if record["hidden_comments"] else []
        path = export["folder"] / "town.json"
        path.write_text(json.dumps({
            "format": "consult-export", "format_version": 3,
            "consultation": {"slug": "town", "title": "Town", "themes": [
                {"key": "roads", "title": "Safer roads", "what_we_will_do": ""}], "areas": []},
            "dictionary": dictionary.to_dict("records"), "responses": records}), encoding="utf-8")
    data = load(path)
    assert data.format_version == 3
    assert dict(zip(data.responses["reference"], data.responses["language"])) == export["truth"]
    translated = data.comments.set_index("reference")["translation"]
    assert translated[export["translated"]] == TRANSLATION
    assert (translated.drop(index=export["translated"]) == "").all()


def test_an_export_of_version_3_with_no_responses_is_told_by_its_language_column(export, tmp_path):
    header = pd.read_csv(export["path"], dtype=str, nrows=0, encoding="utf-8-sig")
    header.to_csv(tmp_path / "town.csv", index=False)
    (tmp_path / "town.dictionary.csv").write_bytes(
        (export["folder"] / "town.dictionary.csv").read_bytes())
    assert load(tmp_path / "town.csv").format_version == 3
