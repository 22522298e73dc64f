"""analysis.load reads export format versions 1 to 4 (docs/export-format.md), in every format,
and counts whatever scale a version 2 export declares. The exports here are small and made in
the test, so each figure can be counted again from the rows written."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis import charts, tally
from analysis.load import LEVELS, LoadError, load

FIXED = ["format_version", "consultation", "reference", "submitted_at", "received_on", "channel",
         "status", "status_reason", "hidden_comments"]
THEMES = [("parks", "Better parks"), ("buses", "More buses")]
AGREEMENT = [("strongly_agree", "Strongly agree", 2), ("agree", "Agree", 1),
             ("neither_agree_nor_disagree", "Neither agree nor disagree", 0),
             ("disagree", "Disagree", -1), ("strongly_disagree", "Strongly disagree", -2),
             ("no_opinion", "No opinion", None)]
V1_SUPPORT = ["strongly_support", "support", "neither", "oppose", "strongly_oppose", "dont_know"]
AREAS = [
    {"code": "north", "name": "Northwick", "ons_code": "E07000901", "parent": "", "population": 12000,
     "population_source": "ONS Census 2021, table TS001", "population_year": 2021,
     "postcode_districts": "ZZ1;ZZ2"},
    {"code": "north_village", "name": "Northwick Village", "ons_code": "", "parent": "north", "population": 3000,
     "population_source": "ONS Census 2021, table TS001", "population_year": 2021, "postcode_districts": "ZZ2"},
    {"code": "south", "name": "Southam", "ons_code": "E07000902", "parent": "", "population": 8000,
     "population_source": "ONS Census 2021, table TS001", "population_year": 2021, "postcode_districts": "ZZ3"},
]
DISTRICTS = [("north", "Northwick"), ("south", "Southam"), ("outside_area", "Outside Northwick and Southam"),
             ("prefer_not_to_say", "Prefer not to say")]


def _rows(version: int, levels: list[str], n: int = 40) -> pd.DataFrame:
    """``n`` responses cycling through the levels (and blanks) so that every count differs."""
    rows = []
    for i in range(n):
        row = {"format_version": str(version), "consultation": "town-plan", "reference": f"TP-{i:04d}",
               "submitted_at": f"2024-03-{1 + i % 28:02d}T10:00:00Z", "received_on": f"2024-03-{1 + i % 28:02d}",
               "channel": "online" if i % 5 else "paper", "status": "duplicate" if i % 13 == 12 else "valid",
               "status_reason": "", "hidden_comments": "",
               "district": [d for d, _ in DISTRICTS][i % 3 if i % 7 else 0]}
        for t, (key, _) in enumerate(THEMES):
            pick = (i * (t + 2) + i // 3) % (len(levels) + 1)
            row[f"support__{key}"] = levels[pick] if pick < len(levels) else ""
            row[f"comment__{key}"] = f"Comment {i} on {key} with several words" if i % 4 == t else ""
        rows.append(row)
    return pd.DataFrame(rows)


def _dictionary(version: int, scale: list[tuple[str, str, int | None]], scale_name: str = "agreement") -> pd.DataFrame:
    rows = [{"column": c, "question": "", "type": "text", "theme": "", "theme_title": "", "label": "",
             "codes": "", "description": ""} for c in FIXED]
    rows[1]["codes"] = "town-plan=Town plan 2024: have your say"
    rows.append({"column": "district", "question": "district", "type": "code", "theme": "", "theme_title": "",
                 "label": "Where do you live?", "codes": " | ".join(f"{c}={lab}" for c, lab in DISTRICTS),
                 "description": ""})
    for key, title in THEMES:
        rows.append({"column": f"support__{key}", "question": "support", "type": "support", "theme": key,
                     "theme_title": title, "label": "How far do you agree?",
                     "codes": " | ".join(f"{c}={lab}" for c, lab, _ in scale), "description": ""})
        rows.append({"column": f"comment__{key}", "question": "comment", "type": "comment", "theme": key,
                     "theme_title": title, "label": "Any comments?", "codes": "", "description": ""})
    frame = pd.DataFrame(rows)
    if version >= 2:
        frame["scale"] = [scale_name if c.startswith("support__") else "" for c in frame["column"]]
        levels = " | ".join(f"{c}={'' if v is None else v}" for c, _, v in scale)
        frame["levels"] = [levels if c.startswith("support__") else "" for c in frame["column"]]
    return frame


def write_export(folder, version: int = 2, scale=AGREEMENT, areas=AREAS, organisation="Borough of Northwick",
                 dictionary: pd.DataFrame | None = None) -> dict[str, object]:
    """The same small export as NAME.csv (+ dictionary, + areas for version 2), NAME.json and
    NAME.xlsx in ``folder``; returns the paths and the rows written."""
    codes = [c for c, _, _ in scale]
    wide = _rows(version, codes)
    dictionary = _dictionary(version, scale) if dictionary is None else dictionary
    csv = folder / "town.csv"
    wide.to_csv(csv, index=False, encoding="utf-8-sig")
    dictionary.to_csv(folder / "town.dictionary.csv", index=False, encoding="utf-8-sig")
    meta = {"slug": "town-plan", "title": "Town plan 2024: have your say", "opens_at": "2024-03-01T00:00:00Z",
            "closes_at": "2024-03-31T23:59:59Z", "is_demo": False,
            "themes": [{"key": k, "title": t, "what_we_will_do": ""} for k, t in THEMES]}
    if version >= 2:
        if areas is not None:
            pd.DataFrame(areas).to_csv(folder / "town.areas.csv", index=False, encoding="utf-8-sig")
            meta["areas"] = [{**a, "postcode_districts": a["postcode_districts"].split(";")} for a in areas]
        meta["organisation"] = organisation
    records = wide.drop(columns=["format_version"]).to_dict("records")
    for record in records:
        record["hidden_comments"] = []
    doc = {"format": "consult-export", "format_version": version, "consultation": meta,
           "dictionary": dictionary.to_dict("records"), "responses": records}
    (folder / "town.json").write_text(json.dumps(doc), encoding="utf-8")
    with pd.ExcelWriter(folder / "town.xlsx", engine="openpyxl") as writer:
        wide.to_excel(writer, sheet_name="responses", index=False)
        dictionary.to_excel(writer, sheet_name="data dictionary", index=False)
        if version >= 2 and areas is not None:
            pd.DataFrame(areas).to_excel(writer, sheet_name="areas", index=False)
    return {"csv": csv, "json": folder / "town.json", "xlsx": folder / "town.xlsx", "wide": wide}


@pytest.fixture(scope="module")
def v2(tmp_path_factory):
    return write_export(tmp_path_factory.mktemp("v2"), 2)


@pytest.fixture(scope="module")
def v1(tmp_path_factory):
    scale = [(c, c.replace("_", " ").capitalize(), None) for c in V1_SUPPORT]
    return write_export(tmp_path_factory.mktemp("v1"), 1, scale=scale)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_a_version_2_export_gives_its_own_scale_with_labels_and_numbers(v2, fmt):
    data = load(v2[fmt])
    assert data.format_version == 2
    assert [(lv.code, lv.label, lv.value) for lv in data.scale.levels] == AGREEMENT
    assert data.levels == [c for c, _, _ in AGREEMENT] + ["not_answered"]
    assert data.scale.supporting == ["strongly_agree", "agree"]
    assert data.scale.opposing == ["disagree", "strongly_disagree"]
    assert data.scale.no_view == ["no_opinion"]
    assert data.level_label("neither_agree_nor_disagree") == "Neither agree nor disagree"


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_support_per_theme_counts_the_declared_scale_by_its_numbers(v2, fmt):
    data = load(v2[fmt])
    table = tally.support_table(data)
    wide = v2["wide"]
    valid = wide[wide["status"] == "valid"]
    value = {c: v for c, _, v in AGREEMENT}
    for key, _ in THEMES:
        answers = valid[f"support__{key}"]
        numbers = answers.map(lambda a: value.get(a) if a else None)
        with_view = numbers.notna()
        row = table.loc[key]
        assert row["n_view"] == with_view.sum()
        assert row["n_supporting"] == (numbers > 0).sum()
        assert row["n_opposing"] == (numbers < 0).sum()
        assert row["n_neither"] == (numbers == 0).sum()
        assert row["n_no_view"] == (answers == "no_opinion").sum()
        assert row["n_not_answered"] == (answers == "").sum()
        assert row["support_share"] == pytest.approx((numbers > 0).sum() / with_view.sum())
        for code, _, v in AGREEMENT:
            assert row[f"n_{code}"] == (answers == code).sum()


def test_a_breakdown_counts_the_declared_scale_too(v2):
    data = load(v2["json"])
    result = tally.breakdown(data, "district")
    wide = v2["wide"]
    valid = wide[wide["status"] == "valid"]
    north = valid[valid["district"] == "north"]["support__parks"]
    row = result.table[(result.table["theme"] == "parks") & (result.table["group"] == "north")].iloc[0]
    assert row["n_supporting"] == north.isin(["strongly_agree", "agree"]).sum()
    assert row["n_opposing"] == north.isin(["disagree", "strongly_disagree"]).sum()
    assert row["n_no_view"] == (north == "no_opinion").sum()
    assert row["label"] == "Northwick"


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_a_version_2_export_gives_the_areas_and_their_populations(v2, fmt):
    data = load(v2[fmt])
    # areas only, not sub-areas: the district question's codes
    assert data.consultation["population"] == {"north": 12000, "south": 8000}
    assert data.consultation["population_source"] == "ONS Census 2021, table TS001"
    assert data.consultation["population_year"] == 2021
    assert list(data.areas["code"]) == ["north", "north_village", "south"]
    assert data.areas.loc[1, "parent"] == "north"
    assert data.areas.loc[0, "postcode_districts"] == "ZZ1;ZZ2"
    figures, note = charts.population_figures(data)
    assert figures == {"north": 12000, "south": 8000} and "TS001" in note


def test_the_json_export_names_the_organisation(v2):
    assert load(v2["json"]).consultation["organisation"] == "Borough of Northwick"


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_a_version_1_export_keeps_the_five_support_levels_and_gives_no_population(v1, fmt):
    data = load(v1[fmt])
    assert data.format_version == 1
    assert data.levels == LEVELS
    assert data.scale.supporting == ["strongly_support", "support"]
    assert data.consultation["population"] == {}
    assert any("per 1,000" in note for note in data.notes)
    assert charts.population_figures(data)[0] == {}
    table = tally.support_table(data)
    answers = v1["wide"].loc[v1["wide"]["status"] == "valid", "support__buses"]
    assert table.loc["buses", "n_supporting"] == answers.isin(["strongly_support", "support"]).sum()
    assert table.loc["buses", "n_no_view"] == (answers == "dont_know").sum()


def test_a_version_2_csv_without_its_areas_table_says_so(tmp_path):
    paths = write_export(tmp_path, 2, areas=None)
    data = load(paths["csv"])
    assert data.consultation["population"] == {}
    assert any("town.areas.csv" in note and "per 1,000" in note for note in data.notes)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_a_version_2_export_whose_dictionary_gives_no_levels_is_refused(tmp_path, fmt):
    dictionary = _dictionary(2, AGREEMENT)
    dictionary.loc[dictionary["column"] == "support__buses", "levels"] = ""
    paths = write_export(tmp_path, 2, dictionary=dictionary)
    with pytest.raises(LoadError, match="no levels for support__buses"):
        load(paths[fmt])


def test_a_level_that_is_not_a_whole_number_is_refused(tmp_path):
    dictionary = _dictionary(2, AGREEMENT)
    dictionary.loc[dictionary["column"] == "support__parks", "levels"] = "strongly_agree=two | agree=1"
    paths = write_export(tmp_path, 2, dictionary=dictionary)
    with pytest.raises(LoadError, match="strongly_agree=two is not a whole number"):
        load(paths["csv"])


def test_an_answer_outside_the_declared_scale_is_refused(tmp_path):
    scale = [lv for lv in AGREEMENT if lv[0] != "no_opinion"]
    dictionary = _dictionary(2, scale)
    paths = write_export(tmp_path, 2, scale=AGREEMENT, dictionary=dictionary)
    with pytest.raises(LoadError, match="not levels of its scale: no_opinion"):
        load(paths["json"])


def test_another_scale_with_three_levels_is_counted_by_its_numbers(tmp_path):
    scale = [("yes", "Yes", 1), ("no", "No", -1), ("unsure", "Not sure", None)]
    paths = write_export(tmp_path, 2, scale=scale)
    data = load(paths["xlsx"])
    table = tally.support_table(data)
    answers = paths["wide"].loc[paths["wide"]["status"] == "valid", "support__parks"]
    assert table.loc["parks", "n_view"] == answers.isin(["yes", "no"]).sum()
    assert table.loc["parks", "support_share"] == pytest.approx(
        (answers == "yes").sum() / answers.isin(["yes", "no"]).sum())
    assert table.loc["parks", "n_neither"] == 0
    charts.support_chart(table)  # draws a scale with no middle level


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_version_that_is_not_read_is_refused_naming_it_and_the_versions_read(tmp_path, fmt):
    paths = write_export(tmp_path, 2)
    if fmt == "csv":
        wide = paths["wide"].assign(format_version="7")
        wide.to_csv(paths["csv"], index=False)
    else:
        doc = json.loads(paths["json"].read_text(encoding="utf-8"))
        doc["format_version"] = 7
        paths["json"].write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LoadError) as error:
        load(paths[fmt])
    assert "version 7" in str(error.value) and "format versions 1, 2, 3 and 4" in str(error.value)


def test_the_report_uses_the_exports_labels_and_populations(v2, tmp_path):
    from analysis.report import build_report

    build_report(load(v2["json"]), tmp_path / "report", progress=False)
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "| Strongly agree | Agree | Neither agree nor disagree | Disagree | Strongly disagree |" in text
    assert "No opinion" in text
    assert "strongly agree plus agree" in text
    assert "Residents: the consultation's population figures (ONS Census 2021, table TS001)." in text
    assert "Strongly support" not in text


def test_the_report_on_a_version_1_export_without_populations_says_they_are_not_given(v1, tmp_path):
    from analysis.report import build_report

    build_report(load(v1["csv"]), tmp_path / "report", progress=False)
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "Responses per 1,000 residents: not given, because the source carries no population figures" in text
    assert not (tmp_path / "report" / "charts" / "representativeness.png").exists()


def test_a_database_gives_the_residents_of_the_areas_its_definition_uses(app):
    """The stored definition keeps the areas it uses (definition["areas"]); the database reader
    takes their figures from there, areas and not sub-areas."""
    import datetime as dt

    from consult.extensions import db
    from consult.models import Consultation, Response, Theme

    areas = {"label": "District", "population_source": "ONS Census 2021, table TS001", "population_year": 2021,
             "items": [{"code": a["code"], "name": a["name"], "ons_code": a["ons_code"],
                        "population": a["population"], "postcode_districts": a["postcode_districts"].split(";"),
                        "sub_areas": [{"code": s["code"], "name": s["name"], "population": s["population"]}
                                      for s in AREAS if s["parent"] == a["code"]]}
                       for a in AREAS if not a["parent"]]}
    consultation = Consultation(
        slug="town-plan", title="Town plan", opens_at=dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc),
        closes_at=dt.datetime(2024, 3, 31, tzinfo=dt.timezone.utc), definition={"areas": areas},
        definition_sha256="0" * 64)
    db.session.add(consultation)
    db.session.flush()
    db.session.add(Theme(consultation_id=consultation.id, key="parks", title="Better parks", position=0,
                         what_we_will_do=""))
    db.session.add(Response(reference="TP-0001", consultation_id=consultation.id,
                            submitted_at=dt.datetime(2024, 3, 2, tzinfo=dt.timezone.utc),
                            received_on=dt.date(2024, 3, 2), channel="online", status="valid",
                            answers={"support__parks": "support", "district": "north"}, district="north"))
    db.session.commit()
    data = load(app.config["SQLALCHEMY_DATABASE_URI"])
    assert data.consultation["population"] == {"north": 12000, "south": 8000}
    assert data.consultation["population_source"] == "ONS Census 2021, table TS001"
    assert list(data.areas["code"]) == ["north", "north_village", "south"]
    assert data.areas.loc[1, "parent"] == "north"


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_exports_before_version_4_have_no_codes(tmp_path, fmt):
    paths = write_export(tmp_path, 2)
    comments = load(paths[fmt]).comments
    assert len(comments) and (comments["codes"] == "").all() and (comments["codes_source"] == "").all()
    assert comments["codes_confidence"].isna().all() and not comments["quotable"].any()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_version_4_codes_are_read_beside_their_comments(tmp_path, fmt):
    """A version 4 export made here by hand: every commented response's codes, who gave them,
    the model's confidence and the quotable mark come back beside its comment."""
    paths = write_export(tmp_path, 2)
    wide = paths["wide"].assign(format_version="4")
    key = THEMES[0][0]
    column = f"comment__{key}"
    has = wide[column] != ""
    wide[f"codes__{column}"] = ["a;b" if h and i % 2 else "a" if h else "" for i, h in enumerate(has)]
    wide[f"codes_source__{column}"] = ["model" if h and i % 2 else "people" if h else "" for i, h in enumerate(has)]
    wide[f"codes_confidence__{column}"] = ["0.75" if h and i % 2 else "" for i, h in enumerate(has)]
    wide[f"codes_quotable__{column}"] = ["yes" if h and not i % 2 else "" for i, h in enumerate(has)]
    extra = pd.DataFrame([{"column": f"{p}{column}", "question": "", "type": t, "theme": key, "theme_title": "",
                           "label": "", "codes": c, "description": "", "scale": "", "levels": ""}
                          for p, t, c in [("codes__", "comment_codes", "a=A | b=B"),
                                          ("codes_source__", "code", "people=Coded by people | model=Coded by the model"),
                                          ("codes_confidence__", "confidence", ""),
                                          ("codes_quotable__", "code", "yes=Marked quotable by people")]])
    if fmt == "csv":
        wide.to_csv(paths["csv"], index=False)
        dictionary = pd.read_csv(paths["csv"].with_suffix(".dictionary.csv"), dtype=str, keep_default_na=False,
                                 encoding="utf-8-sig")
        pd.concat([dictionary, extra]).to_csv(paths["csv"].with_suffix(".dictionary.csv"), index=False)
    else:
        doc = json.loads(paths["json"].read_text(encoding="utf-8"))
        doc["format_version"] = 4
        doc["dictionary"] += extra.to_dict("records")
        doc["responses"] = wide.drop(columns=["format_version"]).assign(format_version=4).to_dict("records")
        doc["consultation"]["coding"] = [{"column": column, "codes": [{"name": "a"}, {"name": "b"}]}]
        paths["json"].write_text(json.dumps(doc), encoding="utf-8")
    data = load(paths[fmt])
    assert data.format_version == 4
    got = data.comments[data.comments["question"] == column].set_index("reference")
    expected = wide[has].set_index("reference")
    assert got["codes"].to_dict() == expected[f"codes__{column}"].to_dict()
    assert got["codes_source"].to_dict() == expected[f"codes_source__{column}"].to_dict()
    assert (got["quotable"] == (expected[f"codes_quotable__{column}"] == "yes")).all()
    assert got.loc[got["codes_source"] == "model", "codes_confidence"].eq(0.75).all()
    assert not any(c.startswith("codes") for c in data.responses.columns)
    assert [q.column for q in data.free_text_questions] == [f"comment__{k}" for k, _ in THEMES]
