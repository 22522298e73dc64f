"""Requests over 64 KiB are refused with a plain-English 413 page, on public and staff forms."""
from __future__ import annotations

import pytest

BIG = "x" * (65 * 1024)


@pytest.mark.parametrize("path", ["/staff/login", "/c/anything/q/about_you", "/c/anything/resume"])
def test_a_body_over_64_kib_gets_the_413_page(client, path):
    answer = client.post(path, data={"comment": BIG})
    assert answer.status_code == 413
    body = answer.get_data(as_text=True)
    assert "too long" in body.lower() or "too large" in body.lower(), body[:500]
    assert "Traceback" not in body


def test_a_body_just_under_the_limit_is_read(client):
    answer = client.post("/staff/login", data={"email": "a@example.org",
                                                "password": "y" * (60 * 1024)})
    assert answer.status_code != 413
