"""The evidence report's coded comments: counts per code with Wilson intervals (recomputed with
the textbook formula and from the database), people's codes and the model's said apart, the model's
agreement with people from the JSON export, and quotes people marked quotable."""
from __future__ import annotations

import html
import re

import numpy as np
import pytest

from analysis.coded import coded_sections, code_table
from analysis.load import load
from analysis.report import build_report
from consult.coding import model_codes
from consult.exports import write_csv, write_dictionary_csv, write_json

from .test_export_codes import coded  # noqa: F401
from .test_workbench import COLUMN, TOPICS, comments  # noqa: F401


def wilson(count: int, n: int) -> tuple[float, float]:
    """Wilson (1927) 95%: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964."""
    z, p = 1.959963984540054, count / n
    centre, half = p + z**2 / (2 * n), z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return max(0.0, (centre - half) / (1 + z**2 / n)), min(1.0, (centre + half) / (1 + z**2 / n))


def _export(consultation, tmp_path, fmt="json"):
    path = tmp_path / f"e.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        (write_json if fmt == "json" else write_csv)(consultation, handle)
    if fmt == "csv":
        with (tmp_path / "e.dictionary.csv").open("w", encoding="utf-8", newline="") as handle:
            write_dictionary_csv(consultation, handle)
    return load(path)


def test_counts_per_code_come_with_wilson_intervals_and_their_source(coded, comments, tmp_path):
    consultation = comments[0][0].consultation
    data = _export(consultation, tmp_path)
    [section] = coded_sections(data, redact=lambda t: t)
    final = model_codes.final_codes(coded)
    n = len(final)
    assert section["n_coded"] == str(n) and section["n_people"] == "12" and section["n_model"] == "12"
    rows = {r["name"]: r for r in section["codes"]}
    assert list(rows) == list(TOPICS)
    for name in TOPICS:
        with_code = [f for f in final.values() if name in f["codes"]]
        people = sum(f["source"] == "people" for f in with_code)
        assert rows[name]["n"] == str(len(with_code))
        assert rows[name]["n_people"] == str(people)
        assert rows[name]["n_model"] == str(len(with_code) - people)
        low, high = wilson(len(with_code), n)
        assert rows[name]["share"] == f"{100 * len(with_code) / n:.0f}%"
        assert rows[name]["interval"] == f"{100 * low:.0f}% to {100 * high:.0f}%"
    table = code_table(data.comments[data.comments["question"] == COLUMN], list(TOPICS))
    for r in table.itertuples():
        low, high = wilson(r.n, n)
        assert r.low == pytest.approx(low) and r.high == pytest.approx(high)


def test_quotes_for_a_code_are_the_ones_people_marked_quotable(coded, comments, tmp_path):
    consultation = comments[0][0].consultation
    data = _export(consultation, tmp_path)
    [section] = coded_sections(data, redact=lambda t: t)
    quotable = {r.reference: t for r, t in comments[:3]}      # one per topic, marked quotable
    for row in section["codes"]:
        [quote] = [q for q in row["quotes"]]
        assert quote["reference"] in quotable and quotable[quote["reference"]] == row["name"]
        assert quote["source"] == "marked quotable by people"


def test_the_report_says_how_well_the_model_agreed_and_which_codes_are_whose(
        coded, comments, tmp_path):
    consultation = comments[0][0].consultation
    data = _export(consultation, tmp_path)
    paths = build_report(data, tmp_path / "report", progress=False)
    page = html.unescape(paths["html"].read_text(encoding="utf-8"))
    assert 'id="coded"' in page and "24 comments coded: 12 by people and 12 by the model" in page
    assert "learnt from 12 comments people coded and coded the other 12" in page
    assert "No sample was double-coded" in page
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert "## Comments coded" in markdown and "marked quotable by people" in markdown
    # from a CSV export the figure is not guessed
    csv_data = _export(consultation, tmp_path, "csv")
    [section] = coded_sections(csv_data, redact=lambda t: t)
    assert "not in this export" in section["agreement"]


def test_a_report_without_codes_has_no_coded_section(comments, tmp_path):
    data = _export(comments[0][0].consultation, tmp_path)
    assert coded_sections(data, redact=lambda t: t) == []
    page = build_report(data, tmp_path / "report", progress=False)["html"].read_text(encoding="utf-8")
    assert 'id="coded"' not in page and not re.search(r"Comments coded", page)


def test_the_models_agreement_on_the_double_coded_sample_is_reported(
        client, signed_in, comments, tmp_path):
    import sqlalchemy as sa

    from consult.coding import work
    from consult.coding.models import Coding
    from consult.extensions import db

    from .test_workbench import _double_code, base, code, post

    version, second, sample = _double_code(client, signed_in, comments)
    topic_of = {r.id: t for r, t in comments}
    for response, _ in comments:
        if response.id in sample:
            code(client, version, response.reference, [topic_of[response.id]])
    left = [r.id for r, _ in comments if r.id not in sample][-4:]
    db.session.execute(sa.delete(Coding).where(Coding.kind == "first",
                                               Coding.response_id.in_(left)))
    db.session.commit()
    post(client, f"{base()}/codebook?version={version.id}|{base()}/model-codes",
         version=version.id)
    run = model_codes.run_for(version)
    expected = work.agreement(version, work.comments(comments[0][0].consultation, COLUMN),
                              backend="auto")
    data = _export(comments[0][0].consultation, tmp_path)
    [section] = coded_sections(data, redact=lambda t: t)
    f1 = expected["settled_model"]["samples_f1"]
    assert run.figures["samples_f1"] == pytest.approx(f1)
    assert (f"On the {len(sample)} double-coded comments, a model trained without them agreed "
            f"with the people's settled codes with samples-F1 {f1:.2f}") in section["agreement"]
    assert section["n_people"] == "20" and section["n_model"] == "4"


def test_codes_are_split_by_what_each_commenter_said_of_the_theme(coded, comments, tmp_path):
    from consult.extensions import db

    levels = ["strongly_support", "support", "oppose", "neither", None, "dont_know"]
    side_of = {"strongly_support": "supporting", "support": "supporting", "oppose": "opposing",
               "neither": "neither", None: "no_view", "dont_know": "no_view"}
    said = {}
    for i, (response, _) in enumerate(comments):
        level = levels[i % len(levels)]
        answers = dict(response.answers)
        if level:
            answers["support__safer_streets"] = level
        response.answers = answers
        said[response.id] = side_of[level]
    db.session.commit()
    data = _export(comments[0][0].consultation, tmp_path)
    [section] = coded_sections(data, redact=lambda t: t)
    final = model_codes.final_codes(coded)
    groups = {g["side"]: g for g in section["by_view"]}
    assert list(groups) == ["supporting", "neither", "opposing", "no_view"]
    for side, group in groups.items():
        mine = [f for rid, f in final.items() if said[rid] == side]
        assert group["n_coded"] == str(len(mine))
        rows = {r["name"]: r for r in group["codes"]}
        for name in TOPICS:
            k = sum(name in f["codes"] for f in mine)
            low, high = wilson(k, len(mine))
            assert rows[name]["n"] == str(k)
            assert rows[name]["share"] == f"{100 * k / len(mine):.0f}%"
            assert rows[name]["interval"] == f"{100 * low:.0f}% to {100 * high:.0f}%"
    paths = build_report(data, tmp_path / "report", progress=False)
    n_supporting = groups["supporting"]["n_coded"]
    assert f"Support the theme ({n_supporting})" in paths["html"].read_text(encoding="utf-8")
    assert f"Support the theme ({n_supporting})" in paths["markdown"].read_text(encoding="utf-8")
