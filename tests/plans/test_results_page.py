""""We asked, you said, we did": figures from the analysis library with its suppression, frozen
when published; quotes only once a person approved them; draft, preview, publish and withdraw
audited; the consultation's pages say where the results will be."""
from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup

from consult.extensions import db
from consult.models import AuditEvent, Response

from staff.conftest import add_response, csrf_token

THEMES = ["safer_streets", "roads"]
PII = "Ring me on 07700 900123 or write to jo.bloggs@example.com, the lights on Mill Road are out"


def _responses(consultation):
    """27 valid responses (24 in Cambridge, 3 in Fenland), 2 marked duplicate."""
    made = []
    levels = ["strongly_support", "support", "support", "neither", "oppose", "dont_know"]
    for n in range(27):
        district = "fenland" if n < 3 else "cambridge"
        answers = {"district": district,
                   "support__safer_streets": levels[n % 6],
                   "support__roads": levels[(n + 1) % 6],
                   "rank__safer_streets": 1 + n % 2, "rank__roads": 2 - n % 2,
                   "comment__safer_streets": PII if n == 5 else f"Comment number {n} about streets"}
        made.append(add_response(consultation, answers))
    for n in range(2):
        made.append(add_response(consultation, {"district": "cambridge",
                                                "support__safer_streets": "strongly_oppose"},
                                 status="duplicate"))
    return made


def _expected_support(made, theme):
    views = {"strongly_support", "support", "neither", "oppose", "strongly_oppose"}
    valid = [r.answers.get(f"support__{theme}") for r in made if r.status == "valid"]
    given = [v for v in valid if v in views]
    return sum(v in ("strongly_support", "support") for v in given) / len(given), len(given)


def _post(client, url, data, page=None):
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data})


def _draft(client, deliverables=("patrols",)):
    return _post(client, "/staff/consultations/test-consultation/results", {
        "results_expected": "We will publish the results here in the autumn.",
        "intro": "Thank you to everyone who took part.",
        "you_said__safer_streets": "Many asked for more patrols at night.",
        "we_did__safer_streets": "The plan funds more foot patrols.",
        "deliverables__safer_streets": list(deliverables),
        "you_said__roads": "Speeding near schools worried people.",
        "we_did__roads": "Community speed watch is expanded."})


def _public(client):
    answer = client.get("/c/test-consultation/results")
    return answer, BeautifulSoup(answer.get_data(as_text=True), "html.parser")


def test_the_published_page_gives_the_evidence_figures_and_freezes_them(
        app, consultation, plan, signed_in):
    made = _responses(consultation)
    client = signed_in("engagement")
    assert _draft(client).status_code == 302
    assert _post(client, "/staff/consultations/test-consultation/results/publish", {},
                 "/staff/consultations/test-consultation/results").status_code == 302
    answer, soup = _public(client)
    assert answer.status_code == 200
    assert soup.h1.get_text(strip=True) == "We asked, you said, we did"
    text = soup.get_text(" ", strip=True)
    assert "27 people and organisations responded" in text  # duplicates not counted
    share, n_view = _expected_support(made, "safer_streets")
    assert f"{100 * share:.0f}% of the {n_view} people who gave a view support it" in text
    areas = {r.th.get_text(strip=True): [c.get_text(strip=True) for c in r.find_all("td")]
             for r in soup.select("tbody tr")}
    assert areas["Cambridge"] == ["24", f"{1000 * 24 / 145700:.2f}"]
    # 3 in Fenland is under 10: hidden, and so is the next smallest area, else the total gives it away
    assert areas["Fenland"] == ["fewer than 10", "not shown"]
    assert sum(v[0] == "fewer than 10" for v in areas.values()) >= 2
    assert "Many asked for more patrols at night." in text and "The plan funds more foot patrols." in text
    assert "S1 More foot patrols" in text
    # a later moderation changes nothing public until staff publish again
    db.session.execute(sa.update(Response).where(Response.id == made[10].id).values(status="invalid"))
    db.session.commit()
    assert "27 people and organisations responded" in _public(client)[1].get_text(" ", strip=True)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.action.startswith("results."))).all()
    assert actions == ["results.draft", "results.publish"]


def test_a_quote_is_redacted_when_chosen_and_published_only_once_approved(
        app, consultation, plan, signed_in):
    made = _responses(consultation)
    client = signed_in("engagement")
    _draft(client)
    url = "/staff/consultations/test-consultation/results/quotes?theme=safer_streets"
    answer = _post(client, url, {"action": "choose", "reference": made[5].reference.lower(),
                                 "theme": "safer_streets"})
    assert answer.status_code == 302
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    chosen = soup.select_one("textarea").get_text()
    assert "07700" not in chosen and "jo.bloggs" not in chosen and "Mill Road" in chosen
    _post(client, "/staff/consultations/test-consultation/results/publish", {},
          "/staff/consultations/test-consultation/results")
    assert "Mill Road" not in _public(client)[1].get_text()  # not approved: not published
    _post(client, url, {"action": "approve", "reference": made[5].reference, "theme": "safer_streets",
                        "text": chosen.replace("Mill Road", "a main road")})
    _post(client, "/staff/consultations/test-consultation/results/publish", {},
          "/staff/consultations/test-consultation/results")
    text = _public(client)[1].get_text()
    assert "a main road are out" in text
    assert made[5].reference not in text and "Mill Road" not in text


def test_a_hidden_or_invalid_comment_cannot_be_chosen(app, consultation, plan, signed_in):
    made = _responses(consultation)
    made[6].hidden_comments = ["comment__safer_streets"]
    made[-1].answers = {**made[-1].answers, "comment__safer_streets": "A duplicate"}
    db.session.commit()
    client = signed_in("engagement")
    url = "/staff/consultations/test-consultation/results/quotes?theme=safer_streets"
    for response, message in ((made[6], "A moderator hid the comment"),
                              (made[-1], "is marked duplicate"),
                              (None, "There is no response NOPE-0000")):
        soup = BeautifulSoup(_post(client, url, {"action": "choose", "theme": "safer_streets",
                                                 "reference": response.reference if response else "nope-0000"})
                             .get_data(as_text=True), "html.parser")
        assert message in soup.select_one(".govuk-error-summary").get_text(), message


def test_publishing_needs_a_decision_for_every_theme_and_a_closed_consultation(
        app, consultation, plan, signed_in):
    client = signed_in("engagement")
    answer = _post(client, "/staff/consultations/test-consultation/results/publish", {},
                   "/staff/consultations/test-consultation/results")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "missing: Safer Streets, Safer Roads" in page
    assert client.get("/c/test-consultation/results").status_code == 404
    import datetime as dt

    consultation.closes_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    db.session.commit()
    _draft(client)
    answer = _post(client, "/staff/consultations/test-consultation/results/publish", {},
                   "/staff/consultations/test-consultation/results")
    assert "has not closed yet" in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_start_and_confirmation_pages_say_where_the_results_will_be(
        app, client, consultation, plan, staff):
    from consult.plans import results

    _responses(consultation)
    page = results.page_for(consultation, create=True)
    page.results_expected = "We will publish the results here in the autumn."
    db.session.commit()
    start = BeautifulSoup(client.get("/c/test-consultation").get_data(as_text=True), "html.parser")
    assert "We will publish the results here in the autumn." in start.get_text()
    for theme in consultation.themes:
        results.decision_for(page, theme.key).we_did = f"Did {theme.title}"
    db.session.commit()
    results.publish(page, consultation, actor="test")
    start = BeautifulSoup(client.get("/c/test-consultation").get_data(as_text=True), "html.parser")
    link = start.find("a", string="Read what we asked, what you said and what we did")
    assert link["href"] == "/c/test-consultation/results"


def test_preview_shows_the_draft_and_withdraw_takes_the_page_down(app, consultation, plan,
                                                                 signed_in):
    _responses(consultation)
    client = signed_in("engagement")
    _draft(client)
    soup = BeautifulSoup(client.get("/staff/consultations/test-consultation/results/preview")
                         .get_data(as_text=True), "html.parser")
    assert "Preview" in soup.select_one(".govuk-phase-banner").get_text()
    assert "Speeding near schools worried people." in soup.get_text()
    assert client.get("/c/test-consultation/results").status_code == 404
    _post(client, "/staff/consultations/test-consultation/results/publish", {},
          "/staff/consultations/test-consultation/results")
    assert client.get("/c/test-consultation/results").status_code == 200
    _post(client, "/staff/consultations/test-consultation/results/withdraw", {},
          "/staff/consultations/test-consultation/results")
    answer, soup = _public(client)
    assert answer.status_code == 404 and "taken down while it is corrected" in soup.get_text()
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.action.startswith("results."))).all()
    assert actions == ["results.draft", "results.preview", "results.publish", "results.withdraw"]


def test_analysts_and_delivery_officers_cannot_publish(app, consultation, plan, signed_in):
    client = signed_in("analyst")
    assert client.get("/staff/consultations/test-consultation/results").status_code == 403


def test_a_consultation_with_no_responses_previews_without_figures(app, consultation, plan,
                                                                   signed_in):
    client = signed_in("engagement")
    soup = BeautifulSoup(client.get("/staff/consultations/test-consultation/results/preview")
                         .get_data(as_text=True), "html.parser")
    assert "No people and organisations responded" in soup.get_text(" ", strip=True)
    assert soup.find("table") is None
