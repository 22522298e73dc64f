"""The notebooks' demonstration data is what the app's own exporter writes (make notebook-data),
its answers are the consultation's codes, and the analysis names none of its areas."""
from __future__ import annotations

import json

import pytest
from analysis_helpers import DEMO, ROOT

from analysis.load import load

AREA_CODES_NOT_PLACES = {"outside_area", "prefer_not_to_say"}


@pytest.fixture(scope="module")
def written_again(tmp_path_factory):
    import make_export

    out = tmp_path_factory.mktemp("again") / "demo"
    assert make_export.main(["--notebooks", "--out", str(out), "--formats", "csv,json"]) == 0
    return out


def test_the_demonstration_data_is_exactly_what_the_apps_exporter_writes(written_again):
    for name in ("demo.csv", "demo.dictionary.csv", "demo.json"):
        again = written_again.parent / name
        assert again.read_bytes() == (DEMO / name).read_bytes(), (
            f"notebooks/data/{name} is not what the app exports now: run make notebook-data")
    # whatever the exporter writes beside the CSV (the areas table from format 2) is shipped too
    beside = {p.name for p in written_again.parent.glob("demo.*.csv")}
    assert beside <= {p.name for p in DEMO.glob("demo.*.csv")}


def test_every_answer_in_the_demonstration_data_is_a_code_of_its_question(demo):
    for suffix in ("csv", "json", "xlsx"):
        data = load(DEMO / f"demo.{suffix}")
        for column in data.dictionary["column"]:
            labels = data.labels(column)
            if not labels or column not in data.responses:
                continue
            given = {code for value in data.responses[column].astype(str) for code in value.split(";") if code}
            assert given <= set(labels), (suffix, column, sorted(given - set(labels)))
        assert set(data.support["level"].astype(str)) <= set(data.levels)


def test_the_json_demonstration_data_is_the_apps_format_version(demo):
    from consult.exports import FORMAT_VERSION

    doc = json.loads((DEMO / "demo.json").read_text(encoding="utf-8"))
    assert doc["format_version"] == FORMAT_VERSION == demo.format_version


def test_the_analysis_names_none_of_the_consultations_areas(demo):
    names = [label for code, label in demo.labels("district").items() if code not in AREA_CODES_NOT_PLACES]
    names += list(demo.areas["name"])
    assert len(names) >= 6
    files = [p for p in (ROOT / "analysis").rglob("*") if p.is_file() and p.suffix in (".py", ".txt")]
    files += list((ROOT / "templates" / "report").glob("*.j2"))
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        for name in names:
            assert name.lower() not in text, f"{path.relative_to(ROOT)} names {name}"
