"""analysis.load reads every export format and the database into the same tidy frames."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import DEMO

from analysis.load import LEVELS, LoadError, load


def _comparable(data):
    support = data.support.assign(level=data.support["level"].astype(str), theme=data.support["theme"].astype(str))
    comments = data.comments.assign(theme=data.comments["theme"].astype(str)).sort_values(
        ["row", "question"]).reset_index(drop=True)
    ranks = data.ranks.assign(theme=data.ranks["theme"].astype(str)).sort_values(["row", "theme"]).reset_index(drop=True)
    return support, comments, ranks


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_csv_and_xlsx_exports_give_the_same_frames_as_json(demo, suffix):
    other = load(DEMO / f"demo.{suffix}")
    for a, b in zip(_comparable(demo), _comparable(other)):
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False)
    assert list(other.responses["reference"]) == list(demo.responses["reference"])
    assert other.themes == demo.themes
    assert other.theme_titles["victims_and_witnesses"] == "Supporting Victims and Witnesses"


def test_frames_are_tidy(demo):
    n = len(demo.responses)
    assert demo.responses["reference"].is_unique
    assert len(demo.support) == n * len(demo.themes)
    assert set(demo.support["level"].cat.categories) == set(LEVELS)
    assert str(demo.responses["submitted_at"].dt.tz) == "UTC"
    assert demo.ranks.groupby("row").size().eq(len(demo.themes)).all()
    assert all(sorted(r) == [1, 2, 3, 4, 5] for r in demo.ranks.groupby("row")["rank"].apply(list))
    assert demo.comments["hidden"].sum() > 0
    assert demo.labels("district")["east_cambridgeshire"] == "East Cambridgeshire"
    if demo.format_version >= 2:  # residents come from the export's areas table, areas only
        areas = demo.areas[(demo.areas["parent"] == "") & demo.areas["population"].notna()]
        assert demo.consultation["population"] == dict(zip(areas["code"], areas["population"].astype(int)))
    else:  # format 1 carries none, and nothing is made up
        assert demo.consultation["population"] == {}
        assert any("per 1,000" in note for note in demo.notes)


def test_formula_guard_is_stripped_from_csv_cells(demo):
    raw = (DEMO / "demo.csv").read_text(encoding="utf-8")
    assert ",\"'- " in raw  # the exporter guarded comments starting with a dash (cells quoted)
    data = load(DEMO / "demo.csv")
    dashed = data.comments[data.comments["text"].str.startswith("- ")]
    assert len(dashed) > 0
    assert not data.comments["text"].str.startswith("'").any()
    assert "\n" in " ".join(data.comments["text"])  # line breaks are kept


def test_a_quote_that_only_starts_with_an_apostrophe_is_kept(tmp_path):
    wide = pd.read_csv(DEMO / "demo.csv", dtype=str, keep_default_na=False)
    wide.loc[0, "comment__crime_prevention"] = "'tis a good plan"
    wide.loc[1, "comment__crime_prevention"] = "'=SUM(A1)"
    wide.to_csv(tmp_path / "x.csv", index=False)
    data = load(tmp_path / "x.csv")
    texts = data.comments.set_index(["row", "question"])["text"]
    assert texts[(0, "comment__crime_prevention")] == "'tis a good plan"
    assert texts[(1, "comment__crime_prevention")] == "=SUM(A1)"
    assert any("data dictionary" in note for note in data.notes)


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_an_unknown_format_version_is_refused_with_the_versions_read_named(tmp_path, suffix):
    if suffix == "csv":
        wide = pd.read_csv(DEMO / "demo.csv", dtype=str, keep_default_na=False)
        wide["format_version"] = "5"
        wide.to_csv(tmp_path / "v5.csv", index=False)
    else:
        doc = json.loads((DEMO / "demo.json").read_text(encoding="utf-8"))
        doc["format_version"] = 5
        (tmp_path / "v5.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LoadError) as error:
        load(tmp_path / f"v5.{suffix}")
    message = str(error.value)
    assert "version 5" in message and "format versions 1, 2, 3 and 4" in message


@pytest.mark.parametrize("source, words", [
    ("/nowhere/responses.csv", "There is no file"),
    ("notebooks", "is a folder"),
    ("setup.cfg", "not an export file"),
    ("nosuchdb://x", "not a database URL"),
    ("sqlite:////nowhere/at/all/consult.db", "There is no database file at /nowhere"),
])
def test_bad_sources_give_plain_messages(source, words):
    with pytest.raises(LoadError, match=words):
        load(source)


def test_a_json_file_that_is_not_an_export_is_refused(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(LoadError, match="not a Consult export"):
        load(tmp_path / "x.json")


def test_a_slug_that_is_not_in_the_file_is_refused():
    with pytest.raises(LoadError, match="police-and-crime-plan-2021"):
        load(DEMO / "demo.json", consultation="police-and-crime-plan-2016")


POPULATION = {"cambridge": 1000, "fenland": 2000}  # made up: the database's figures are read as stored


def test_database_gives_the_same_frames_as_the_export(app, demo):
    """Responses written with the app's models are read back with plain SQL."""
    from consult.extensions import db
    from consult.models import Consultation, Response, Theme

    doc = json.loads((DEMO / "demo.json").read_text(encoding="utf-8"))
    meta = doc["consultation"]
    consultation = Consultation(
        slug=meta["slug"], title=meta["title"], opens_at=dt.datetime(2021, 6, 30, 8, tzinfo=dt.timezone.utc),
        closes_at=dt.datetime(2021, 7, 30, 22, 59, 59, tzinfo=dt.timezone.utc), definition={},
        definition_sha256="0" * 64, population=POPULATION, is_demo=True)
    db.session.add(consultation)
    db.session.flush()
    for position, theme in enumerate(meta["themes"]):
        db.session.add(Theme(consultation_id=consultation.id, key=theme["key"], title=theme["title"],
                             position=position, what_we_will_do=theme["what_we_will_do"]))
    fixed = {"consultation", "reference", "submitted_at", "received_on", "channel", "status", "status_reason",
             "hidden_comments"}
    records = doc["responses"][:120]
    for rec in records:
        answers = {k: v for k, v in rec.items() if k not in fixed and v not in ("", None, [])}
        db.session.add(Response(
            reference=rec["reference"], consultation_id=consultation.id,
            submitted_at=dt.datetime.fromisoformat(rec["submitted_at"].replace("Z", "+00:00")),
            received_on=dt.date.fromisoformat(rec["received_on"]), channel=rec["channel"], status=rec["status"],
            status_reason=rec["status_reason"], hidden_comments=rec["hidden_comments"], answers=answers,
            respondent_type=rec["respondent_type"] or None, district=rec["district"] or None))
    db.session.commit()
    data = load(app.config["SQLALCHEMY_DATABASE_URI"])
    assert data.consultation["population"] == POPULATION
    assert data.themes == demo.themes
    assert data.consultation["opens_at"] == "2021-06-30T08:00:00Z"
    expected = demo.responses.head(120).sort_values(["submitted_at", "reference"])
    assert list(data.responses["reference"]) == list(expected["reference"])
    # the same levels, ranks and comments per reference
    by_ref = lambda d: d.support.assign(level=d.support["level"].astype(str), theme=d.support["theme"].astype(str)) \
        .set_index(["reference", "theme"])["level"].sort_index()
    from_export = by_ref(demo)
    pd.testing.assert_series_equal(by_ref(data), from_export.loc[by_ref(data).index])
    ranks = data.ranks.assign(theme=data.ranks["theme"].astype(str)).set_index(["reference", "theme"])["rank"]
    export_ranks = demo.ranks.assign(theme=demo.ranks["theme"].astype(str)).set_index(["reference", "theme"])["rank"]
    assert np.array_equal(ranks.sort_index().to_numpy(), export_ranks.loc[ranks.sort_index().index].to_numpy())
    hidden = data.comments[data.comments["hidden"]]
    export_hidden = demo.comments[demo.comments["hidden"] & demo.comments["reference"].isin(expected["reference"])]
    assert sorted(hidden["reference"]) == sorted(export_hidden["reference"])
    assert data.responses["age_band"].astype(str).tolist() == expected["age_band"].astype(str).tolist()


def test_database_with_several_consultations_asks_which(app):
    from consult.extensions import db
    from consult.models import Consultation

    for slug in ("police-and-crime-plan-2016", "police-and-crime-plan-2021"):
        db.session.add(Consultation(slug=slug, title=slug, opens_at=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc),
                                    closes_at=dt.datetime(2021, 2, 1, tzinfo=dt.timezone.utc), definition={},
                                    definition_sha256="0" * 64))
    db.session.commit()
    with pytest.raises(LoadError, match="--consultation"):
        load(app.config["SQLALCHEMY_DATABASE_URI"])
    with pytest.raises(LoadError, match="no consultation 'nope'"):
        load(app.config["SQLALCHEMY_DATABASE_URI"], consultation="nope")


def test_a_database_without_the_apps_tables_says_how_to_make_them(tmp_path):
    import sqlite3
    sqlite3.connect(tmp_path / "empty.db").close()
    with pytest.raises(LoadError, match="db upgrade"):
        load(f"sqlite:///{tmp_path / 'empty.db'}")


def test_a_version_stored_as_a_number_in_a_spreadsheet_is_read(tmp_path):
    wide = pd.read_csv(DEMO / "demo.csv", dtype=str, keep_default_na=False).head(30)
    wide["format_version"] = 1.0
    wide["rank__crime_prevention"] = pd.to_numeric(wide["rank__crime_prevention"]).astype(float)
    wide.to_excel(tmp_path / "numbers.xlsx", sheet_name="responses", index=False)
    data = load(tmp_path / "numbers.xlsx")
    assert data.format_version == 1
    assert set(data.ranks["rank"]) <= {1, 2, 3, 4, 5}


def test_a_csv_export_from_the_app_carries_the_consultations_title(app, tmp_path):
    from analysis_helpers import ROOT
    runner = app.test_cli_runner()
    definition = ROOT / "instance" / "consultations" / "police-and-crime-plan-2021.yaml"
    assert runner.invoke(args=["consultations", "load", str(definition)]).exit_code == 0
    out = tmp_path / "responses.csv"
    done = runner.invoke(args=["export", "police-and-crime-plan-2021", "--format", "csv", "--out", str(out)])
    assert done.exit_code == 0, done.output
    from consult.models import Consultation
    title = Consultation.query.filter_by(slug="police-and-crime-plan-2021").one().title
    data = load(out)
    assert data.consultation["slug"] == "police-and-crime-plan-2021"  # read from the dictionary: no rows
    assert data.consultation["title"] == title and title != data.consultation["slug"]


# ---------------------------------------------------------------------------------------------
# read_table: the one reader of a table of texts that is not an export


def test_read_table_reads_csv_json_records_and_json_lines_as_written(tmp_path):
    from analysis.load import read_table

    (tmp_path / "t.csv").write_bytes("\ufeffid,text\n1,Café\n2,\n".encode("utf-8"))
    frame = read_table(tmp_path / "t.csv")
    assert list(frame.columns) == ["id", "text"] and frame["text"].tolist() == ["Café", ""]
    assert frame["id"].tolist() == ["1", "2"]                   # every CSV cell is text
    (tmp_path / "t.json").write_text('[{"text": "a", "n": 1}, {"text": "b"}]', encoding="utf-8")
    assert read_table(tmp_path / "t.json")["text"].tolist() == ["a", "b"]
    (tmp_path / "t.jsonl").write_text('{"text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    assert read_table(tmp_path / "t.jsonl")["text"].tolist() == ["a", "b"]
    (tmp_path / "t.txt").write_text("text\none\n", encoding="utf-8")    # any other name: a CSV
    assert read_table(tmp_path / "t.txt")["text"].tolist() == ["one"]


@pytest.mark.parametrize("name, content, words", [
    (None, None, "There is no file at .*missing.csv. Check the path given to --train"),
    ("folder", None, "is a folder. Give --train the file itself"),
    ("empty.csv", b"", "is empty"),
    ("blank.csv", b"\xef\xbb\xbf \n\n", "is empty"),
    ("blank.jsonl", b"\n", "is empty"),
    ("latin1.csv", "text\nCaf\xe9 cr\xe8me\n".encode("latin-1"), "is not UTF-8 text. Save it as CSV UTF-8"),
    ("latin1.json", '[{"text": "Caf\xe9"}]'.encode("latin-1"), "is not UTF-8 text"),
    ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "is not UTF-8 text"),
    ("ragged.csv", b'text\n"an open quote\n', "could not be read as CSV .*Give a UTF-8 CSV"),
    ("object.json", b'{"text": "a"}', "neither a Consult JSON export nor a list of records"),
    ("strings.json", b'["a", "b"]', "neither a Consult JSON export nor a list of records"),
    ("broken.json", b"{not json", r"is not valid JSON \(.* on line 1\)"),
    ("broken.jsonl", b'{"text": "a"}\nnot json\n', r"is not JSON Lines \(one JSON object a line\)"),
])
def test_read_table_says_what_is_wrong_with_a_bad_file(tmp_path, name, content, words):
    from analysis.load import read_table

    path = tmp_path / (name or "missing.csv")
    if name == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(LoadError, match=words):
        read_table(path, "--train")
