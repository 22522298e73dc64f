"""Guessing resume codes or response references is slowed to a trickle: after a few wrong
guesses the guesser gets 429 with a plain-English page, and the owner of a real code is not
blocked by someone else's guessing."""
from __future__ import annotations

import datetime as dt

from consult.extensions import db

from .conftest import add_response, csrf_token


def _open(consultation):
    now = dt.datetime.now(dt.timezone.utc)
    consultation.opens_at = now - dt.timedelta(days=1)
    consultation.closes_at = now + dt.timedelta(days=30)
    db.session.commit()


def _friendly_429(answer):
    assert answer.status_code == 429
    body = answer.get_data(as_text=True)
    assert "Traceback" not in body
    assert "try again" in body.lower() or "wait" in body.lower(), body[:800]


def test_guessing_resume_codes_by_link_is_limited(client, consultation):
    _open(consultation)
    statuses = []
    for n in range(40):
        code = f"ABCD-EFGH-JKLM-{n:04d}".replace("0", "A").replace("1", "B")
        answer = client.get(f"/c/{consultation.slug}/resume/{code}")
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            _friendly_429(answer)
            break
    assert 429 in statuses, f"40 wrong resume links in a row were all answered: {set(statuses)}"


def test_guessing_resume_codes_in_the_form_is_limited(client, consultation):
    _open(consultation)
    token = csrf_token(client, f"/c/{consultation.slug}/resume")
    statuses = []
    for n in range(40):
        answer = client.post(f"/c/{consultation.slug}/resume",
                             data={"code": f"ABCD-EFGH-JKLM-NP{n % 10 + 2}Q", "csrf_token": token})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            _friendly_429(answer)
            break
    assert 429 in statuses, f"40 wrong codes in a row were all answered: {set(statuses)}"


def test_guessing_response_references_is_limited(client, consultation, signed_in):
    real = add_response(consultation)
    signed_in("analyst")
    statuses = []
    for n in range(120):
        answer = client.get(f"/staff/responses/TST-GUES-{n:04d}".replace("0", "Z").replace("1", "Y"))
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            _friendly_429(answer)
            break
    assert 429 in statuses, f"120 wrong references in a row were all answered: {set(statuses)}"
    assert set(statuses[:-1]) == {404}
    # Someone else, guessing nothing, still reads a real response.
    other = client.application.test_client()
    from .conftest import login

    login(other, "admin@example.org")
    assert other.get(f"/staff/responses/{real.reference}").status_code == 200
