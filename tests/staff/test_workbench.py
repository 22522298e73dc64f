"""The coding workbench, through its pages as plain forms (no JavaScript): codebook versions,
coding with the model's suggestions, the blind double-coded sample, agreement figures
recomputed by hand, settling, sign-off by a lead analyst only, and the audit log."""
from __future__ import annotations

import re

import numpy as np
import pytest
import sqlalchemy as sa

from consult.coding import work
from consult.coding.models import CodebookVersion, Coding, DoubleCodingAssignment
from consult.extensions import db
from consult.models import AuditEvent

from .conftest import add_response

COLUMN = "comment__safer_streets"
TOPICS = {
    "patrols": ["more police patrols on foot please", "we never see a police officer walking",
                "bring back bobbies on the beat", "visible patrols in the town centre at night"],
    "lighting": ["the street lights are broken", "dark alleys need better lighting",
                 "lighting on the footpath is poor", "more street lamps near the park"],
    "drugs": ["drug dealing outside the school", "people selling drugs in the park",
              "needles left by drug users", "cannabis smoke every evening near the flats"],
}


@pytest.fixture
def comments(app, consultation):
    """24 comments on safer streets, 8 per topic, in a known order."""
    out = []
    for i in range(8):
        for topic, texts in TOPICS.items():
            out.append((add_response(consultation, {COLUMN: f"{texts[i % 4]} ({i})"}), topic))
    return out


def post(client, path, **data):
    """A form post as a browser without JavaScript sends it: CSRF token from the page."""
    page = client.get(path.split("|")[0], follow_redirects=True).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data["csrf_token"] = token.group(1) if token else ""
    return client.post(path.split("|")[-1], data=data)


def base(slug="test-consultation"):
    return f"/staff/consultations/{slug}/workbench"


def start(client, start="empty"):
    answer = post(client, f"{base()}|{base()}/versions", column=COLUMN, start=start)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    newest = sa.select(CodebookVersion).order_by(CodebookVersion.id.desc())
    return db.session.scalars(newest).first()


def edit(client, version, **data):
    return post(client, f"{base()}/codebook?version={version.id}|{base()}/codebook",
                version=version.id, **data)


def code(client, version, reference, codes, **extra):
    return post(client, f"{base()}/code?version={version.id}&reference={reference}|{base()}/code",
                version=version.id, reference=reference, codes=codes, **extra)


@pytest.mark.parametrize("role", ["viewer", "engagement", "delivery"])
def test_roles_without_coding_are_refused(client, signed_in, consultation, role):
    signed_in(role)
    assert client.get(base()).status_code == 403
    assert post(client, f"/staff/|{base()}/versions", column=COLUMN,
                start="empty").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CodebookVersion)) == 0


@pytest.mark.parametrize("role", ["analyst", "lead_analyst", "admin"])
def test_analysts_lead_analysts_and_admins_open_the_workbench(client, signed_in, comments, role):
    signed_in(role)
    page = client.get(base()).get_data(as_text=True)
    assert "Coding workbench" in page and COLUMN in page and "24 comments to code" in page


def test_hidden_comments_and_uncounted_responses_are_left_out(app, consultation):
    add_response(consultation, {COLUMN: "counted"})
    add_response(consultation, {COLUMN: "a campaign"}, status="campaign")
    add_response(consultation, {COLUMN: "hidden one"}, hidden_comments=[COLUMN])
    add_response(consultation, {COLUMN: "   "})
    assert [c.text for c in work.comments(consultation, COLUMN)] == ["counted"]


def test_a_codebook_is_edited_and_every_change_audited(client, signed_in, comments):
    signed_in("analyst")
    version = start(client)
    for name in ("patrols", "lights", "drugs", "dealing"):
        edit(client, version, action="add", name=name, description=f"About {name}")
    edit(client, version, action="rename", name="lights", new_name="lighting")
    edit(client, version, action="example", name="lighting", example="broken street lamp")
    response = comments[0][0]
    code(client, version, response.reference, ["dealing", "patrols"])
    edit(client, version, action="merge", name="dealing", into="drugs")
    edit(client, version, action="split", name="patrols", new_name="foot_patrols",
         description="Patrols on foot")
    edit(client, version, action="describe", name="drugs", description="Drugs and dealing")
    db.session.refresh(version)
    assert version.names == ["patrols", "foot_patrols", "lighting", "drugs"]
    assert version.codes[2]["examples"] == ["broken street lamp"]
    assert version.codes[3]["description"] == "Drugs and dealing"
    coding = db.session.scalar(sa.select(Coding).where(Coding.response_id == response.id))
    assert coding.codes == ["patrols", "drugs"]       # the merged code follows into its coding
    page = client.get(f"{base()}/codebook?version={version.id}").get_data(as_text=True)
    assert re.search(r'data-counts="drugs">1 comment coded, 0 marked quotable', page)
    assert re.search(r'data-counts="lighting">0 comments coded', page)
    actions = [e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
               if e.action.startswith("coding.")]
    assert actions == ["coding.version_start"] + ["coding.codebook_add"] * 4 + [
        "coding.codebook_rename", "coding.codebook_example", "coding.first",
        "coding.codebook_merge", "coding.codebook_split", "coding.codebook_describe"]
    # a name the codebook cannot hold is refused with a message, and nothing changes
    page = edit(client, version, action="add", name="a;b")
    assert page.status_code == 302
    assert "cannot contain" in client.get(page.headers["Location"]).get_data(as_text=True)
    db.session.refresh(version)
    assert len(version.names) == 4


def test_a_comment_in_another_language_is_coded_in_its_translation(client, signed_in,
                                                                    consultation):
    from consult import comment_translations

    written = "Więcej patroli policji w centrum miasta"
    response = add_response(consultation, {COLUMN: written}, language="pl")
    other = add_response(consultation, {COLUMN: "street lights are broken"})
    comment_translations.record(response, COLUMN, "More police patrols in the town centre", "pl",
                                None)
    found = {c.reference: c for c in work.comments(consultation, COLUMN)}
    assert found[response.reference].text == "More police patrols in the town centre"
    assert found[response.reference].original == written and found[response.reference].translated
    assert not found[other.reference].translated
    signed_in("analyst")
    version = start(client)
    edit(client, version, action="add", name="patrols")
    page = client.get(f"{base()}/code?version={version.id}&reference={response.reference}")
    body = page.get_data(as_text=True)
    assert "More police patrols in the town centre" in body
    assert "Staff translation from Polish" in body and written in body


def test_comments_are_shown_escaped(client, signed_in, consultation):
    response = add_response(consultation, {COLUMN: "<script>alert(1)</script> lights"})
    signed_in("analyst")
    version = start(client)
    edit(client, version, action="add", name="lighting")
    page = client.get(f"{base()}/code?version={version.id}&reference={response.reference}")
    body = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)" in body


def _codebook(client, version):
    for name in TOPICS:
        edit(client, version, action="add", name=name, description=f"Comments about {name}")


def test_suggestions_appear_once_enough_is_coded_and_code_next_asks_the_model(
        client, signed_in, comments):
    signed_in("analyst")
    version = start(client)
    _codebook(client, version)
    page = client.get(f"{base()}/code?version={version.id}").get_data(as_text=True)
    assert "No suggestion yet" in page
    first = re.search(r'name="reference" value="([^"]+)"', page).group(1)
    assert first == comments[0][0].reference        # in order while there is no model
    for response, topic in comments[:work.MIN_CODED]:
        assert code(client, version, response.reference, [topic],
                    quotable="yes").status_code == 302
    page = client.get(f"{base()}/code?version={version.id}").get_data(as_text=True)
    assert "The model suggests" in page and "% confident" in page
    # code next is the uncoded comment ThemeCoder.suggest_next puts first
    pool = work.comments(comments[0][0].consultation, COLUMN)
    model = work.train(version, {c.response_id: c for c in pool})
    left = [c for c in pool if c.response_id not in {r.id for r, _ in comments[:work.MIN_CODED]}]
    expected = left[model.suggest_next([c.text for c in left], n=1)[0]].reference
    assert re.search(r'name="reference" value="([^"]+)"', page).group(1) == expected
    assert f"{work.MIN_CODED} of 24 comments coded" in page
    # accepting the suggestion stores it with its confidence
    ticked = re.findall(r'name="codes" type="checkbox" value="([^"]+)"[^>]*checked', page)
    code(client, version, expected, ticked)
    coding = db.session.scalars(sa.select(Coding).order_by(Coding.id.desc())).first()
    assert coding.codes == ticked and [s["code"] for s in coding.suggested] == ticked
    assert 0 < coding.suggestion_confidence <= 1
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "coding.first" and event.details["accepted"] is True


def test_a_code_added_while_coding_joins_the_codebook(client, signed_in, comments):
    signed_in("analyst")
    version = start(client)
    _codebook(client, version)
    code(client, version, comments[0][0].reference, ["patrols"], new_code="night_time")
    db.session.refresh(version)
    assert version.names[-1] == "night_time"
    coding = db.session.scalar(sa.select(Coding))
    assert coding.codes == ["patrols", "night_time"]


def _double_code(client, signed_in, comments, flip=()):
    """The analyst codes all 24; lead analyst draws a sample of 8 for a second analyst."""
    from consult.staff.accounts import create_user

    from .conftest import PASSWORD, login

    signed_in("analyst")
    version = start(client)
    _codebook(client, version)
    for response, topic in comments:
        code(client, version, response.reference, [topic])
    second = create_user("second@example.org", "Second", "analyst", PASSWORD)
    post(client, f"{base()}/agreement?version={version.id}|{base()}/sample",
         version=version.id, coder=second.id, size="8")
    sample = db.session.scalars(sa.select(DoubleCodingAssignment)).all()
    assert len(sample) == 8 and {a.coder_id for a in sample} == {second.id}
    client.post("/staff/logout", data={"csrf_token": ""})
    client.delete_cookie("session")
    assert login(client, "second@example.org").status_code == 302
    return version, second, {a.response_id for a in sample}


def test_the_second_coder_codes_blind(client, signed_in, comments):
    version, second, sample = _double_code(client, signed_in, comments)
    topic_of = {r.id: t for r, t in comments}
    reference_of = {r.id: r.reference for r, _ in comments}
    page = client.get(f"{base()}/code?version={version.id}&second=1").get_data(as_text=True)
    assert "coding this comment blind" in page and "The model suggests" not in page
    assert " checked" not in page.split('id="quotable"')[0].split('name="codes"', 1)[-1]
    # the agreement page and the codebook's lists hide the first coder's codes meanwhile
    agreement = client.get(f"{base()}/agreement?version={version.id}").get_data(as_text=True)
    assert "double-coding part of this version's sample blind" in agreement
    listing = client.get(f"{base()}/codebook?version={version.id}&code=patrols").get_data(
        as_text=True)
    assert not any(reference_of[r] in listing for r in sample)
    for rid in sorted(sample):
        reference = re.search(r'name="reference" value="([^"]+)"', client.get(
            f"{base()}/code?version={version.id}&second=1").get_data(as_text=True)).group(1)
        assert reference in {reference_of[r] for r in sample}
        rid = next(r for r in sample if reference_of[r] == reference)
        code(client, version, reference, [topic_of[rid]])
    assert {c.response_id for c in db.session.scalars(sa.select(Coding).where(
        Coding.kind == "second"))} == sample
    assert "Every comment of your sample is coded" in client.get(
        f"{base()}/code?version={version.id}&second=1").get_data(as_text=True)


def _by_hand_kappa(a, b):
    """Cohen's (p_o - p_e) / (1 - p_e); undefined (NaN) when p_e = 1."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    po = np.mean(a == b)
    pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    return float("nan") if pe == 1 else (po - pe) / (1 - pe)


def _by_hand_alpha(a, b):
    """Krippendorff's nominal alpha of two complete present / absent codings of N comments:
    1 - (2N - 1) d / (n_0 n_1), d the comments they disagree on, n_0 and n_1 how many of the
    2N decisions are absent and present."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    n_1 = int(a.sum() + b.sum())
    n_0 = 2 * len(a) - n_1
    return 1 - (2 * len(a) - 1) * int((a != b).sum()) / (n_0 * n_1)


def test_agreement_figures_are_recomputed_by_hand_and_disagreements_settled(
        client, signed_in, comments):
    version, second, sample = _double_code(client, signed_in, comments)
    topic_of = {r.id: t for r, t in comments}
    reference_of = {r.id: r.reference for r, _ in comments}
    ids = sorted(sample)
    # the second coder disagrees on the first two: adds a code to one, changes the other
    second_codes = {rid: [topic_of[rid]] for rid in ids}
    other = "lighting" if topic_of[ids[0]] != "lighting" else "drugs"
    second_codes[ids[0]] = sorted({topic_of[ids[0]], other})
    second_codes[ids[1]] = ["patrols" if topic_of[ids[1]] != "patrols" else "drugs"]
    for rid in ids:
        code(client, version, reference_of[rid], second_codes[rid])
    page = client.get(f"{base()}/agreement?version={version.id}").get_data(as_text=True)
    figures = work.agreement(version, work.comments(comments[0][0].consultation, COLUMN))
    assert figures["n"] == 8
    people = {row["code"]: row for row in figures["people"]["per_code"]}
    for name in TOPICS:
        a = [name == topic_of[rid] for rid in ids]
        b = [name in second_codes[rid] for rid in ids]
        assert people[name]["kappa"] == pytest.approx(_by_hand_kappa(a, b))
        assert people[name]["alpha"] == pytest.approx(_by_hand_alpha(a, b))
        assert f"{people[name]['kappa']:.2f}" in page
    # samples-F1 by hand: mean over comments of 2|A∩B| / (|A| + |B|)
    by_hand = np.mean([2 * len({topic_of[r]} & set(second_codes[r])) /
                       (1 + len(second_codes[r])) for r in ids])
    assert figures["people"]["samples_f1"] == pytest.approx(by_hand)
    low, high = figures["people"]["samples_f1_low"], figures["people"]["samples_f1_high"]
    assert low <= by_hand <= high <= 1
    assert f"Samples-F1 <strong>{by_hand:.2f}</strong>" in page
    assert "First coder and the model" in page and "Second coder and the model" in page
    # the model is judged on the sample by a model trained on the other comments only
    from analysis.coding import Codebook, ThemeCoder

    others = [(r, t) for r, t in comments if r.id not in sample]
    model = ThemeCoder(codebook=Codebook.from_dict({"codes": version.codes}),
                       backend="tfidf").fit(
        [r.answers[COLUMN] for r, _ in others], [[t] for _, t in others])
    by_id = {r.id: r for r, _ in comments}
    predicted = model.predict([by_id[rid].answers[COLUMN] for rid in ids])
    versus_model = {row["code"]: row for row in figures["first_model"]["per_code"]}
    for name in TOPICS:
        a = [name == topic_of[rid] for rid in ids]
        m = [name in p for p in predicted]
        if len(set(a) | set(m)) > 1:
            assert versus_model[name]["kappa"] == pytest.approx(_by_hand_kappa(a, m))
    assert figures["first_model"]["samples_f1"] == pytest.approx(np.mean(
        [2 * len({topic_of[r]} & set(p)) / (1 + len(p)) for r, p in zip(ids, predicted)]))
    # the two disagreements are listed and settled
    assert page.count("Settle TST-") == 2
    assert "2 comments coded differently by the two coders: 2 to settle" in page
    assert "Signed off" not in page
    # settled: the first as the second coder had it, the second as the first coder had it
    settled_as = {ids[0]: second_codes[ids[0]], ids[1]: [topic_of[ids[1]]]}
    for rid, codes in settled_as.items():
        post(client, f"{base()}/agreement?version={version.id}|{base()}/settle",
             version=version.id, reference=reference_of[rid], codes=codes)
    settled = db.session.scalars(sa.select(Coding).where(Coding.kind == "settled")).all()
    assert {s.response_id: sorted(s.codes) for s in settled} == {
        rid: sorted(codes) for rid, codes in settled_as.items()}
    assert sorted(work.people_codes(version)[ids[0]]) == second_codes[ids[0]]
    # the model is then judged against people's settled codes (the first coder's elsewhere)
    after = work.agreement(version, work.comments(comments[0][0].consultation, COLUMN))
    truth = {rid: set(settled_as.get(rid, [topic_of[rid]])) for rid in ids}
    assert after["n_settled"] == 2
    assert after["settled_model"]["samples_f1"] == pytest.approx(np.mean(
        [2 * len(truth[r] & set(p)) / (len(truth[r]) + len(p)) for r, p in zip(ids, predicted)]))
    page = client.get(f"{base()}/agreement?version={version.id}").get_data(as_text=True)
    assert "People&#39;s settled codes and the model" in page
    assert "every one settled" in page and "Settle TST-" not in page
    assert page.count("Change the settled codes of TST-") == 2


def test_only_a_lead_analyst_signs_off_and_then_nothing_changes(client, signed_in, comments):
    version, second, sample = _double_code(client, signed_in, comments)
    topic_of = {r.id: t for r, t in comments}
    reference_of = {r.id: r.reference for r, _ in comments}
    ids = sorted(sample)
    for rid in ids:
        codes = [topic_of[rid]] if rid != ids[0] else ["drugs", "patrols"]
        code(client, version, reference_of[rid], codes)
    # an analyst cannot sign off
    assert post(client, f"/staff/|{base()}/sign-off", version=version.id).status_code == 403
    client.delete_cookie("session")
    signed_in("lead_analyst")
    sign = f"{base()}/agreement?version={version.id}|{base()}/sign-off"
    answer = post(client, sign, version=version.id)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Settle the disagreement between the two coders before signing off" in page
    assert db.session.get(CodebookVersion, version.id).sign_off is None
    post(client, f"{base()}/agreement?version={version.id}|{base()}/settle",
         version=version.id, reference=reference_of[ids[0]], codes=[topic_of[ids[0]]])
    post(client, sign, version=version.id, note="Checked with the team")
    db.session.expire_all()
    version = db.session.get(CodebookVersion, version.id)
    assert version.sign_off is not None and version.sign_off.figures["coded"] == 24
    assert version.sign_off.figures["double_coded"] == 8
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "coding.sign_off")).one()
    assert event.actor == "lead_analyst@example.org"
    # a signed-off version and its coding no longer change
    before = version.names
    edit(client, version, action="add", name="new_one")
    code(client, version, reference_of[ids[1]], ["drugs"])
    db.session.expire_all()
    assert db.session.get(CodebookVersion, version.id).names == before
    assert db.session.scalar(sa.select(Coding).where(
        Coding.response_id == ids[1], Coding.kind == "first")).codes == [topic_of[ids[1]]]


def test_a_codebook_starts_from_the_suggested_themes(client, signed_in, comments):
    signed_in("analyst")
    version = start(client, "themes")
    assert version.started_from == "themes" and len(version.names) >= 2
    assert all(code["description"] and code["examples"] for code in version.codes)
    page = client.get(f"{base()}/codebook?version={version.id}").get_data(as_text=True)
    assert version.names[0] in page


def test_themes_of_many_comments_are_found_by_a_job(client, signed_in, comments, monkeypatch):
    monkeypatch.setattr(work, "THEMES_IN_REQUEST", 5)
    signed_in("analyst")
    answer = post(client, f"{base()}|{base()}/versions", column=COLUMN, start="themes")
    assert "/staff/jobs/" in answer.headers["Location"]
    page = client.get(answer.headers["Location"], follow_redirects=True)
    version = db.session.scalars(sa.select(CodebookVersion)).one()
    assert version.started_from == "themes" and version.names
    assert page.request.path.endswith("/workbench/codebook")
    assert version.names[0] in page.get_data(as_text=True)
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "coding.version_start")).one()
    assert event.actor == "analyst@example.org"


def test_bad_input_gives_a_message_not_an_error(client, signed_in, comments):
    signed_in("analyst")
    assert client.get(f"{base()}/code?version=999").status_code == 404
    answer = client.get(f"{base()}/code")
    assert answer.status_code == 302 and "Choose a question and a codebook version" in client.get(
        answer.headers["Location"]).get_data(as_text=True)
    assert client.get(f"{base()}/codebook?version=abc").status_code == 404
    answer = post(client, f"{base()}|{base()}/versions", column="no_such_question", start="empty")
    assert "has no comment question" in client.get(answer.headers["Location"]).get_data(
        as_text=True)
    version = start(client)
    answer = post(client, f"{base()}/agreement?version={version.id}|{base()}/sample",
                  version=version.id, coder="1", size="many")
    body = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Choose the second coder" in body or "whole number" in body
    answer = code(client, version, comments[0][0].reference, ["not_a_code"])
    assert "Not a code of this codebook" in client.get(answer.headers["Location"]).get_data(
        as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Coding)) == 0


def shown(client, path):
    """The reference of the comment a coding page shows (following a skip's redirect)."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    found = re.search(r'name="reference" value="([^"]+)"', page)
    return found.group(1) if found else None


def test_skipping_a_comment_moves_on_and_it_comes_back_once_the_others_are_coded(
        client, signed_in, consultation):
    signed_in("analyst")
    for text in ("more patrols please", "street lights broken", "drug dealing in the park"):
        add_response(consultation, {COLUMN: text})
    version = start(client)
    edit(client, version, action="add", name="patrols")
    page = f"{base()}/code?version={version.id}"
    first = shown(client, page)
    assert shown(client, page) == first              # code next without skipping: the same one
    second = shown(client, f"{page}&skip={first}")
    assert second != first
    assert shown(client, page) == second             # the skip is remembered, not repeated
    third = shown(client, f"{page}&skip={second}")
    assert third not in {first, second}
    code(client, version, third, ["patrols"])
    # only skipped comments are left: they are offered again, the earliest skipped first
    assert shown(client, page) == first
    code(client, version, first, ["patrols"])
    assert shown(client, page) == second
    body = client.get(page).get_data(as_text=True)
    assert f"skip={second}" in body and "Skip this comment and code next" in body
    # a comment already coded is reviewed, not skipped: its link is plain "code next"
    body = client.get(f"{page}&reference={first}").get_data(as_text=True)
    assert "skip=" not in body and "Code next (key n)" in body
