"""The language a response was given in: exported (format 3), imported, chosen on paper entry,
counted on the dashboard and filtered on in the responses list."""
from __future__ import annotations

import csv
import html
import datetime as dt
import io
import json
import re
from collections import Counter

import openpyxl
import sqlalchemy as sa

from analysis import tally
from consult import codes
from consult.exports import FORMAT_VERSION, columns, write_csv, write_json, write_xlsx
from consult.extensions import db
from consult.imports import check_file, import_file
from consult.models import Response

from .conftest import add_response, csrf_token


def csv_rows(consultation) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    write_csv(consultation, out)
    return list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"), newline="")))


def test_every_export_carries_the_language_after_the_fixed_columns(consultation):
    polish = add_response(consultation, {"comment__roads": "Więcej policji"}, language="pl")
    english = add_response(consultation, {"comment__roads": "More police"})
    assert FORMAT_VERSION >= 3
    names = [c.column for c in columns(consultation)]
    assert names.index("language") == names.index("hidden_comments") + 1
    by_ref = {row["reference"]: row for row in csv_rows(consultation)}
    assert by_ref[polish.reference]["language"] == "pl"
    assert by_ref[english.reference]["language"] == "en"
    out = io.StringIO()
    write_json(consultation, out)
    document = json.loads(out.getvalue())
    assert {r["reference"]: r["language"] for r in document["responses"]} == {
        polish.reference: "pl", english.reference: "en"}
    [row] = [d for d in document["dictionary"] if d["column"] == "language"]
    assert row["type"] == "code" and "pl=Polish" in row["codes"] and "en=English" in row["codes"]
    book = io.BytesIO()
    write_xlsx(consultation, book)
    sheet = openpyxl.load_workbook(io.BytesIO(book.getvalue()))["responses"]
    header = [c.value for c in sheet[1]]
    values = {r[header.index("reference")]: r[header.index("language")]
              for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values == {polish.reference: "pl", english.reference: "en"}


def test_an_import_reads_the_language_column_and_checks_it(consultation):
    content = ("received_on,channel,respondent_type,language\r\n"
               "2021-06-14,paper,resident,ro\r\n"
               "2021-06-14,paper,resident,\r\n").encode()
    check = import_file(consultation, "letters.csv", content)
    assert check.ok, check.problems
    stored = sorted(db.session.scalars(sa.select(Response.language)))
    assert stored == ["en", "ro"]
    bad = ("received_on,channel,respondent_type,language\r\n"
           "2021-06-15,letter,resident,Polish!\r\n").encode()
    check = check_file(consultation, "bad.csv", bad, today=dt.date(2021, 7, 1))
    assert [(p.row, p.column) for p in check.problems] == [(2, "language")]
    assert "not a language code" in check.problems[0].problem


def test_paper_entry_offers_the_languages_and_stores_the_one_chosen(consultation, signed_in):
    client = signed_in("engagement")
    url = f"/staff/consultations/{consultation.slug}/entry"
    page = client.get(url).get_data(as_text=True)
    offered = re.findall(r'<option value="([a-z]+)"( selected)?>', page.split('id="language"')[1]
                         .split("</select>")[0])
    assert [code for code, _ in offered] == list(codes.RESPONSE_LANGUAGE_CODES)
    assert [code for code, selected in offered if selected] == ["en"]
    answer = client.post(url, data={"csrf_token": csrf_token(client, url), "channel": "paper",
                                    "received_on": "2021-06-12", "language": "lt",
                                    "respondent_type": "resident"})
    assert answer.status_code == 302
    assert db.session.scalar(sa.select(Response.language)) == "lt"


def test_the_interface_languages_are_among_the_response_languages():
    from consult.i18n import LANGUAGES

    assert set(LANGUAGES) <= set(codes.RESPONSE_LANGUAGE_CODES)


def test_the_dashboard_counts_valid_responses_by_language_with_small_counts_hidden(
        consultation, signed_in):
    given = ["en"] * 15 + ["pl"] * 12 + ["lt"] * 3
    for language in given:
        add_response(consultation, language=language)
    add_response(consultation, language="ro", status="invalid", status_reason="test")
    client = signed_in("viewer")
    page = client.get(f"/staff/consultations/{consultation.slug}").get_data(as_text=True)
    table = page.split('id="by-language"')[1].split("</table>")[0]
    shown = {code: html.unescape(text) for code, text in re.findall(r'data-language="(\w+)"><th scope="row" class="govuk-table__header">'
                            r'[^<]+</th><td class="govuk-table__cell govuk-table__cell--numeric">'
                            r'([^<]+)</td>', table)}
    # recomputed: counts of the valid responses, then the report's small-number rule
    counted = Counter(given)
    ordered = sorted(counted, key=lambda c: (-counted[c], c))
    hidden = tally.hidden_parts([counted[c] for c in ordered])
    expected = {c: tally.published_count(counted[c], bool(h)) for c, h in zip(ordered, hidden)}
    assert shown == expected
    assert expected == {"en": "15", "pl": "–", "lt": "<10"}
    assert "ro" not in shown
    assert f">{len(given)}<" in table


def test_the_responses_list_filters_by_language(consultation, signed_in):
    polish = [add_response(consultation, language="pl").reference for _ in range(3)]
    others = [add_response(consultation).reference for _ in range(2)]
    client = signed_in("engagement")
    page = client.get(f"/staff/consultations/{consultation.slug}/responses?language=pl")
    text = page.get_data(as_text=True)
    assert all(ref in text for ref in polish) and not any(ref in text for ref in others)
    assert '<option value="pl" selected>Polish</option>' in text


def test_an_export_imported_again_keeps_the_language_and_reads_past_translations(consultation):
    from consult.models import CommentTranslation

    source = add_response(consultation, {"comment__roads": "Więcej patroli w nocy"},
                          language="pl", channel="paper")
    db.session.add(CommentTranslation(response_id=source.id, column="comment__roads",
                                      text="More patrols at night", source_language="pl"))
    db.session.commit()
    out = io.StringIO(newline="")
    write_csv(consultation, out)
    rows = out.getvalue().lstrip("\ufeff").replace(source.reference, "")
    db.session.delete(db.session.scalar(sa.select(CommentTranslation)))
    db.session.delete(source)
    db.session.commit()
    check = import_file(consultation, "again.csv", rows.encode())
    assert check.ok, check.problems
    again = db.session.scalar(sa.select(Response))
    assert (again.language, again.answers["comment__roads"]) == ("pl", "Więcej patroli w nocy")
    assert "translation__comment__roads" not in again.answers
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentTranslation)) == 0
