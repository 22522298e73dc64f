"""A row id in a URL or a form beyond what the database's integer columns hold is a row that does
not exist (404), never a 500 from the database."""
from __future__ import annotations

import pytest

from consult.models import MAX_ID, as_id

from .test_workbench import base, post

TOO_BIG = [str(MAX_ID + 1), "9" * 40]


@pytest.mark.parametrize("value, expected", [
    ("1", 1), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("9" * 40, None), ("0", None),
    ("-1", None), ("1.5", None), ("", None), (None, None), ("٣", None), (" 7", None), (7, 7),
])
def test_as_id_accepts_only_the_ids_a_row_can_have(value, expected):
    assert as_id(value) == expected


@pytest.mark.parametrize("big", TOO_BIG)
def test_pages_addressed_by_an_id_too_big_for_the_database_are_not_found(
        client, signed_in, consultation, big):
    signed_in("admin")
    for path in (f"/staff/jobs/{big}", f"/staff/jobs/{big}/files/export.csv",
                 f"/staff/consultations/{consultation.slug}/import/checked/{big}",
                 f"{base()}/codebook?version={big}", f"{base()}/code?version={big}",
                 f"{base()}/agreement?version={big}"):
        assert client.get(path).status_code == 404, path
    for path, data in ((f"{base()}/codebook", {"version": big, "action": "add", "name": "x"}),
                       (f"{base()}/sign-off", {"version": big}),
                       (f"{base()}/model-codes", {"version": big}),
                       (f"/staff/jobs/{big}/retry", {}),
                       (f"/staff/users/{big}/role", {"role": "viewer"}),
                       (f"/staff/consultations/{consultation.slug}/import/confirm",
                        {"job": "9" * 12, "sha256": "0" * 64, "filename": "a.csv"})):
        assert post(client, f"/staff/|{path}", **data).status_code == 404, path
