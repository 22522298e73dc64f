"""Fixtures of the staff workspace: a small consultation, staff of every role, responses."""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from typing import Any

import pytest
import sqlalchemy as sa

from consult.extensions import db
from consult.models import Consultation, Question, Response, Theme
from consult.staff.accounts import create_user

PASSWORD = "correct horse battery staple"
from consult.staff.roles import ROLES  # noqa: E402  (one account per role)
THEMES = [("safer_streets", "Safer Streets"), ("roads", "Safer Roads")]
OPTIONS = {
    "respondent_type": [("resident", "Resident"), ("business", "Business"),
                        ("victim_or_witness", "Victim or witness of crime")],
    "age_band": [("18_24", "18 to 24"), ("25_34", "25 to 34"),
                 ("prefer_not_to_say", "Prefer not to say")],
    "contact_ways": [("phone", "Phone"), ("online", "Online"), ("none", "None of these")],
}
SUPPORT = ["strongly_support", "support", "neither", "oppose", "strongly_oppose", "dont_know"]
DISTRICTS = ["cambridge", "east_cambridgeshire", "fenland", "huntingdonshire",
             "south_cambridgeshire", "peterborough", "outside_area", "prefer_not_to_say"]
POPULATION = {"cambridge": 145700, "east_cambridgeshire": 87700, "fenland": 102500,
              "huntingdonshire": 180800, "south_cambridgeshire": 162000, "peterborough": 215700}


def _options(codes: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"code": c, "label": label} for c, label in codes]


def tiny_definition() -> dict[str, Any]:
    """A definition shaped as consult.definitions validates one: pages of questions, theme
    pages already expanded once per theme, each question naming its export columns."""
    def q(key: str, qtype: str, label: str, **extra: Any) -> dict[str, Any]:
        return {"key": key, "type": qtype, "label": label, "hint": "", "required": False,
                "columns": [key], **extra}

    pages = [
        {"key": "about_you", "title": "About you", "intro": "", "show_if": None, "theme": None,
         "questions": [q("respondent_type", "single_choice", "Who are you responding as?",
                         options=_options(OPTIONS["respondent_type"]))]},
        {"key": "area", "title": "Where you live", "intro": "", "show_if": None, "theme": None,
         "questions": [q("district", "district", "Which district do you live in?",
                         options=_options([(d, d.replace("_", " ").title()) for d in DISTRICTS])),
                       q("postcode_district", "postcode_district", "First half of your postcode")]},
    ]
    for key, title in THEMES:
        pages.append({"key": f"theme__{key}", "title": title, "intro": "", "show_if": None,
                      "theme": key, "questions": [
                          q(f"support__{key}", "support", "How far do you support this theme?",
                            theme=key, definition_key="support",
                            options=_options([(c, c) for c in SUPPORT])),
                          q(f"comment__{key}", "free_text", "Any comments on this theme?",
                            theme=key, definition_key="comment", max_length=1000, rows=5)]})
    ranking = q("rank", "ranking", "Rank the themes, most important first",
                options=_options(THEMES))
    ranking["columns"] = [f"rank__{k}" for k, _ in THEMES]
    pages += [
        {"key": "ranking", "title": "Ranking", "intro": "", "show_if": None, "theme": None,
         "questions": [ranking]},
        {"key": "more", "title": "Anything else", "intro": "", "show_if": None, "theme": None,
         "questions": [q("missing_from_plan", "free_text", "What is missing from the plan?",
                         max_length=1000, rows=5),
                       q("contact_ways", "multiple_choice", "How do you contact the police?",
                         options=_options(OPTIONS["contact_ways"])),
                       q("years_lived", "number", "Years lived in the area", min=0, max=120),
                       q("age_band", "single_choice", "Age",
                         options=_options(OPTIONS["age_band"]))]},
    ]
    return {"slug": "test-consultation", "title": "Test consultation", "summary": "",
            "reference_prefix": "TST", "timezone": "Europe/London",
            "opens_at": "2021-06-01T00:00:00+00:00", "closes_at": "2021-07-31T23:00:00+00:00",
            "retention_days": 730, "population": POPULATION,
            "themes": [{"key": k, "title": t, "summary": "", "what_we_will_do": f"We will {t}."}
                       for k, t in THEMES],
            "pages": pages}


def add_consultation(definition: dict[str, Any] | None = None, **overrides: Any) -> Consultation:
    definition = definition or tiny_definition()
    consultation = Consultation(
        slug=definition["slug"], title=definition["title"], summary="",
        opens_at=dt.datetime.fromisoformat(definition["opens_at"]),
        closes_at=dt.datetime.fromisoformat(definition["closes_at"]),
        retention_days=definition["retention_days"], definition=definition,
        definition_sha256=hashlib.sha256(repr(definition).encode()).hexdigest(),
        population=dict(definition["population"]))
    for name, value in overrides.items():
        setattr(consultation, name, value)
    for position, theme in enumerate(definition["themes"], start=1):
        consultation.themes.append(Theme(key=theme["key"], title=theme["title"],
                                         position=position, summary="",
                                         what_we_will_do=theme["what_we_will_do"]))
    position = 0
    for page in definition["pages"]:
        for item in page["questions"]:
            position += 1
            spec = {k: v for k, v in item.items() if k not in ("key", "type", "label")}
            spec["show_if"] = page["show_if"]
            consultation.questions.append(Question(key=item["key"], page=page["key"],
                                                   type=item["type"], position=position,
                                                   label=item["label"], spec=spec))
    db.session.add(consultation)
    db.session.commit()
    return consultation


_counter = itertools.count()


def add_response(consultation: Consultation, answers: dict[str, Any] | None = None,
                 **fields: Any) -> Response:
    answers = {"respondent_type": "resident", "district": "cambridge",
               **(answers or {})}
    n = next(_counter)
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    code = "".join(alphabet[(n * 7 + i * 13) % 32] for i in range(4)) + \
        "".join(alphabet[(n // 32 ** i) % 32] for i in range(4))
    values: dict[str, Any] = dict(
        reference=f"TST-{code[:4]}-{code[4:]}", consultation_id=consultation.id,
        submitted_at=dt.datetime(2021, 6, 10, 12, 0, tzinfo=dt.timezone.utc),
        received_on=dt.date(2021, 6, 10), channel="online",
        respondent_type=answers.get("respondent_type"), district=answers.get("district"),
        status="valid", status_reason="", hidden_comments=[], answers=answers)
    values.update(fields)
    response = Response(**values)
    db.session.add(response)
    db.session.commit()
    return response


@pytest.fixture
def consultation(app) -> Consultation:
    return add_consultation()


@pytest.fixture
def staff(app) -> dict[str, Any]:
    """One account per role, keyed by role."""
    return {role: create_user(f"{role}@example.org", role.capitalize(), role, PASSWORD)
            for role in ROLES}


CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client, path: str = "/staff/login") -> str:
    page = client.get(path).get_data(as_text=True)
    if not client.application.config.get("WTF_CSRF_ENABLED", True):
        return ""
    match = CSRF.search(page) or re.search(r'id="csrf_token" name="csrf_token" type="hidden" '
                                           r'value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/staff/login", data={"email": email, "password": password,
                                              "csrf_token": token})


@pytest.fixture
def signed_in(client, staff):
    """sign_in(role) signs the test client in as that role's account."""
    def sign_in(role: str):
        response = login(client, f"{role}@example.org")
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return sign_in


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    """argon2 with its smallest cost in tests (the product keeps argon2-cffi's defaults)."""
    from argon2 import PasswordHasher

    from consult.staff import accounts

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", quick)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", quick.hash("dummy"))


@pytest.fixture(autouse=True)
def fresh_g_per_request(request):
    """The ``app`` fixture holds one app context for the whole test, and Flask reuses it for
    every request, so ``g`` (where Flask-WTF caches the CSRF token) would leak from one request
    to the next. In production each request has its own ``g``; make it so here too."""
    from flask import g

    # Asked for only when the test uses the app, so that other tests run once, not per database.
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")

    def clear_g() -> None:
        for name in list(g):
            g.pop(name, None)

    app.before_request_funcs.setdefault(None, []).insert(0, clear_g)
    yield


SHIPPED_2021 = "instance/consultations/police-and-crime-plan-2021.yaml"


@pytest.fixture
def pcp2021(app) -> Consultation:
    """The shipped 2021 Police and Crime Plan consultation, loaded as `flask consultations load`
    loads it."""
    from pathlib import Path

    from consult.definitions import load_file

    root = Path(__file__).resolve().parents[2]
    result = load_file(root / SHIPPED_2021)
    return db.session.scalar(sa.select(Consultation).where(Consultation.slug == result.slug))
