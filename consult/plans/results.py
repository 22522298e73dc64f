""""We asked, you said, we did": the public page that tells residents what a closed
consultation heard and what the office did about it.

Figures come from the analysis library reading the consultation's export (the same path as the
evidence report, so the same counting rule and the same small-number suppression). Staff write
what was said and what was done for each theme, choose quotes (redacted when chosen, edited and
approved by a person: a comment is never published by a machine alone) and link the plan's
deliverables. Publishing freezes the page (``ResultsPage.content``); a later moderation or
response changes nothing public until staff publish again. Every step is audited.
"""
from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import audit
from ..extensions import db
from ..models import Consultation, Response
from .models import Plan, ResultsPage, ResultsQuote, ThemeDecision
from .periods import live_publication

MAX_TEXT = 5000
MAX_QUOTE_WORDS = 120


class ResultsError(ValueError):
    pass


def page_for(consultation: Consultation, *, create: bool = False) -> ResultsPage | None:
    page = db.session.execute(sa.select(ResultsPage).where(
        ResultsPage.consultation_slug == consultation.slug)).scalar_one_or_none()
    if page is None and create:
        page = ResultsPage(consultation_slug=consultation.slug, intro="", results_expected="")
        db.session.add(page)
        db.session.flush()
    return page


def decision_for(page: ResultsPage, theme_key: str) -> ThemeDecision:
    decision = next((d for d in page.decisions if d.theme_key == theme_key), None)
    if decision is None:
        decision = ThemeDecision(theme_key=theme_key, you_said="", we_did="", deliverables=[])
        page.decisions.append(decision)
    return decision


def linked_plans(consultation: Consultation) -> list[Plan]:
    return db.session.scalars(sa.select(Plan).where(Plan.consultation_slug == consultation.slug)
                              .order_by(Plan.slug)).all()


# ---------------------------------------------------------------------------------------------
# figures, from the analysis library

def _data(consultation: Consultation):
    """The consultation as ``analysis.load`` reads its (redacted) JSON export."""
    import tempfile
    from pathlib import Path

    from analysis.load import load

    from ..exports import write_json

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        with path.open("w", encoding="utf-8") as out:
            write_json(consultation, out, redacted=True)
        return load(path)


def _share(x: float) -> str:
    return f"{100 * x:.0f}%"


def figures(consultation: Consultation) -> dict[str, Any]:
    """How many took part and who, support per theme with its range in words, the ranking.
    Counts under ``analysis.tally.MIN_CELL`` are suppressed as in the evidence report."""
    import numpy as np

    from analysis import tally
    from analysis.load import LoadError

    given = db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                              .where(Response.consultation_id == consultation.id))
    if not given:
        return {"responses": 0, "responses_text": "no", "by_area": [], "per_1000_area": None,
                "themes": [], "ranking": [], "ranked_by": 0, "min_cell": tally.MIN_CELL}
    try:
        data = _data(consultation)
    except LoadError as error:
        raise ResultsError(f"The figures could not be worked out: {error}") from None
    responses = data.responses
    valid = responses["status"] == "valid"
    total = int(valid.sum())
    population = dict(consultation.population or {})
    labels = data.labels("district")
    districts = [d for d in population] + [d for d in labels if d not in population]
    counts = responses.loc[valid, "district"].astype(str).value_counts()
    cells = np.array([[counts.get(d, 0)] for d in districts], dtype=float)
    hide = tally.suppression_mask(cells, total_col=None) if len(districts) else np.zeros((0, 1), bool)
    by_area = []
    for i, d in enumerate(districts):
        n = int(counts.get(d, 0))
        hidden = bool(hide[i, 0])
        rate = 1000 * n / population[d] if d in population and population[d] else None
        by_area.append({
            "code": d, "label": labels.get(d) or d.replace("_", " ").title(),
            "responses": None if hidden else n,
            "responses_text": f"fewer than {tally.MIN_CELL}" if hidden else f"{n:,}",
            "per_1000": None if hidden or rate is None else round(rate, 2),
            "per_1000_text": "" if rate is None else ("not shown" if hidden else f"{rate:.2f}"),
        })
    area_population = sum(population.values())
    in_area = sum(int(counts.get(d, 0)) for d in population)
    support = tally.support_table(data)
    themes = []
    for key, row in support.iterrows():
        n_view = int(row["n_view"])
        if n_view < tally.MIN_CELL:
            words = (f"Fewer than {tally.MIN_CELL} people gave a view on this theme, too few to "
                     "say how many support it.")
            share = low = high = None
        else:
            share, low, high = float(row["support_share"]), float(row["support_low"]), float(row["support_high"])
            words = (f"{_share(share)} of the {n_view:,} people who gave a view support it. "
                     f"Had everyone in the area been asked, the figure would very likely "
                     f"(95% confidence) be between {_share(low)} and {_share(high)}.")
        themes.append({"key": key, "title": row["title"], "n_view": n_view,
                       "support_share": share, "support_low": low, "support_high": high,
                       "words": words})
    ranking = []
    ranked = tally.ranking_table(data)
    if len(ranked) and int(ranked["people"].iloc[0]) >= tally.MIN_CELL:
        for position, (key, row) in enumerate(ranked.iterrows(), start=1):
            ranking.append({"position": position, "key": key, "title": row["title"],
                            "first_share": _share(float(row["first_share"]))
                            if not math.isnan(row["first_share"]) else ""})
    return {
        "responses": total,
        "responses_text": f"{total:,}" if total >= tally.MIN_CELL else f"fewer than {tally.MIN_CELL}",
        "by_area": by_area,
        "per_1000_area": round(1000 * in_area / area_population, 2) if area_population else None,
        "themes": themes,
        "ranking": ranking,
        "ranked_by": int(ranked["people"].iloc[0]) if len(ranked) else 0,
        "min_cell": tally.MIN_CELL,
    }


# ---------------------------------------------------------------------------------------------
# quotes

def comment_of(consultation: Consultation, reference: str, theme_key: str) -> str:
    """A valid response's comment on a theme, if a moderator has not hidden it."""
    response = db.session.execute(sa.select(Response).where(
        Response.reference == reference.strip().upper(),
        Response.consultation_id == consultation.id)).scalar_one_or_none()
    column = f"comment__{theme_key}"
    if response is None:
        raise ResultsError(f"There is no response {reference.strip().upper()} to this consultation.")
    if response.status != "valid":
        raise ResultsError(f"Response {response.reference} is marked {response.status}; only "
                           "valid responses are quoted.")
    if column in (response.hidden_comments or []):
        raise ResultsError(f"A moderator hid the comment of {response.reference} on this theme.")
    text = (response.answers or {}).get(column)
    if not isinstance(text, str) or not text.strip():
        raise ResultsError(f"Response {response.reference} has no comment on this theme.")
    return text.strip()


def suggestions(consultation: Consultation, theme_key: str, how_many: int = 6) -> list[dict[str, str]]:
    """The most representative comments on a theme (analysis.report), redacted, for staff to
    choose from; nothing is chosen for them."""
    from analysis.report import representative_comments
    from analysis.text import redact_pii

    data = _data(consultation)
    if theme_key not in data.themes:
        return []
    quotes, _ = representative_comments(data, theme_key)
    return [{"reference": q.reference, "text": redact_pii(q.text), "stance": q.stance}
            for q in quotes[:how_many]]


def choose_quote(page: ResultsPage, consultation: Consultation, reference: str, theme_key: str) -> ResultsQuote:
    from analysis.text import redact_pii

    if theme_key not in {t.key for t in consultation.themes}:
        raise ResultsError("Choose one of the consultation's themes.")
    text = comment_of(consultation, reference, theme_key)
    reference = reference.strip().upper()
    if any(q.response_reference == reference and q.theme_key == theme_key for q in page.quotes):
        raise ResultsError(f"The comment of {reference} on this theme is already chosen.")
    quote = ResultsQuote(theme_key=theme_key, response_reference=reference, text=redact_pii(text))
    page.quotes.append(quote)
    audit.record("results.quote.choose", target=f"{consultation.slug}/{theme_key}/{reference}")
    page.updated_at = dt.datetime.now(dt.timezone.utc)
    db.session.commit()
    return quote


def approve_quote(quote: ResultsQuote, text: str, *, actor: str) -> None:
    text = " ".join(text.split())
    if not text:
        raise ResultsError("The quote is empty: write the words to publish, or remove the quote.")
    if len(text.split()) > MAX_QUOTE_WORDS:
        raise ResultsError(f"Keep a quote to {MAX_QUOTE_WORDS} words or fewer.")
    audit.record("results.quote.approve",
                 target=f"{quote.page.consultation_slug}/{quote.theme_key}/{quote.response_reference}",
                 edited=text != quote.text)
    quote.text = text
    quote.approved_by, quote.approved_at = actor, dt.datetime.now(dt.timezone.utc)
    db.session.commit()


def remove_quote(quote: ResultsQuote) -> None:
    audit.record("results.quote.remove",
                 target=f"{quote.page.consultation_slug}/{quote.theme_key}/{quote.response_reference}")
    quote.page.quotes.remove(quote)
    db.session.commit()


# ---------------------------------------------------------------------------------------------
# the page

def build_content(page: ResultsPage, consultation: Consultation) -> dict[str, Any]:
    """Everything the public page shows, as plain data (what publishing freezes)."""
    numbers = figures(consultation)
    by_theme = {t["key"]: t for t in numbers["themes"]}
    plans = {p.slug: p for p in linked_plans(consultation)}
    plan = next(iter(plans.values()), None)
    deliverables = {d.key: d for d in plan.deliverables} if plan else {}
    themes = []
    for theme in consultation.themes:
        decision = next((d for d in page.decisions if d.theme_key == theme.key), None)
        quotes = [{"text": q.text} for q in page.quotes
                  if q.theme_key == theme.key and q.approved_at is not None]
        themes.append({
            "key": theme.key, "title": theme.title, "asked": theme.what_we_will_do,
            "support": by_theme.get(theme.key),
            "you_said": decision.you_said if decision else "",
            "we_did": decision.we_did if decision else "",
            "quotes": quotes,
            "deliverables": [{"key": k, "title": deliverables[k].label}
                             for k in (decision.deliverables if decision else []) if k in deliverables],
        })
    return {
        "consultation": {"slug": consultation.slug, "title": consultation.title,
                         "opens_on": consultation.opens_at.date().isoformat(),
                         "closes_on": consultation.closes_at.date().isoformat()},
        "intro": page.intro,
        "figures": numbers,
        "themes": themes,
        "plan": {"slug": plan.slug, "title": plan.title} if plan else None,
    }


def deliverable_status(content: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The linked deliverables' status as the plan's public page shows it now (live: the plan's
    progress moves on after the results page is published)."""
    if not content.get("plan"):
        return {}
    plan = db.session.execute(sa.select(Plan).where(Plan.slug == content["plan"]["slug"])).scalar_one_or_none()
    publication = live_publication(plan) if plan else None
    if publication is None:
        return {}
    found = {}
    for theme in publication.content["themes"]:
        for item in theme["deliverables"]:
            found[item["key"]] = {"status": item["status"], "status_label": item["status_label"],
                                  "direction_label": item["direction_label"],
                                  "period": publication.content["period"]["title"]}
    return found


def save_draft(page: ResultsPage, consultation: Consultation, *, intro: str, results_expected: str,
               decisions: dict[str, dict[str, Any]]) -> None:
    for name, text in (("intro", intro), ("results_expected", results_expected)):
        if len(text) > MAX_TEXT:
            raise ResultsError(f"Keep the {name.replace('_', ' ')} to {MAX_TEXT:,} characters or fewer.")
    allowed = {d.key for p in linked_plans(consultation) for d in p.deliverables}
    for key, given in decisions.items():
        for name in ("you_said", "we_did"):
            if len(given.get(name, "")) > MAX_TEXT:
                raise ResultsError(f"Keep each text to {MAX_TEXT:,} characters or fewer.")
        unknown = set(given.get("deliverables", [])) - allowed
        if unknown:
            raise ResultsError("Choose deliverables of the plan linked to this consultation.")
    page.intro, page.results_expected = intro.strip(), results_expected.strip()
    for key, given in decisions.items():
        decision = decision_for(page, key)
        decision.you_said = given.get("you_said", "").strip()
        decision.we_did = given.get("we_did", "").strip()
        decision.deliverables = sorted(set(given.get("deliverables", [])))
    page.updated_at = dt.datetime.now(dt.timezone.utc)
    audit.record("results.draft", target=consultation.slug)
    db.session.commit()


def publish(page: ResultsPage, consultation: Consultation, *, actor: str | None = None) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    if consultation.is_open(now) or now < consultation.opens_at:
        raise ResultsError("The consultation has not closed yet: publish the results after it "
                           "closes.")
    missing = [t.title for t in consultation.themes
               if not next((d.we_did for d in page.decisions if d.theme_key == t.key), "")]
    if missing:
        raise ResultsError("Say what the office did for every theme before publishing; missing: "
                           + ", ".join(missing) + ".")
    content = build_content(page, consultation)
    event = audit.record("results.publish", target=consultation.slug, actor=actor,
                         responses=content["figures"]["responses"])
    page.content, page.status = content, "published"
    page.published_at, page.published_by = now, event.actor
    db.session.commit()


def withdraw(page: ResultsPage, consultation: Consultation) -> None:
    if page.status != "published":
        raise ResultsError("The page is not published.")
    audit.record("results.withdraw", target=consultation.slug)
    page.status = "withdrawn"
    db.session.commit()


_NOTICES = "consult.results_notices"


def notice(slug: str) -> dict[str, Any] | None:
    """What the consultation's start and confirmation pages say about the results.

    Kept per process for ``CONSULTATION_CACHE_SECONDS``, like the consultation itself, so the
    residents' busiest pages make no extra query; a change to a results page committed in this
    process forgets what was kept at once."""
    ttl = current_app.config.get("CONSULTATION_CACHE_SECONDS", 0)
    kept = current_app.extensions.setdefault(_NOTICES, {})
    now = time.monotonic()
    hit = kept.get(slug)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    page = db.session.execute(sa.select(ResultsPage).where(
        ResultsPage.consultation_slug == slug)).scalar_one_or_none()
    found: dict[str, Any] | None = None
    if page is not None and page.status == "published":
        found = {"published": True, "published_at": page.published_at}
    elif page is not None and page.results_expected:
        found = {"published": False, "expected": page.results_expected}
    if ttl > 0:
        kept[slug] = (now, found)
    return found


@event.listens_for(Session, "before_flush")
def _note_results_changes(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(obj, ResultsPage) for obj in (session.new | session.dirty | session.deleted)):
        session.info["results_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_notices(session: Session) -> None:
    if session.info.pop("results_changed", False):
        try:
            current_app.extensions.pop(_NOTICES, None)
        except RuntimeError:  # outside an app
            pass


