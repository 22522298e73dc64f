"""Signing in and out: argon2 hashes, throttling, a new session at sign-in, idle timeout."""
from __future__ import annotations

import uuid

import pytest
import redis
import sqlalchemy as sa

from consult import create_app
from consult.extensions import db
from consult.models import AuditEvent, StaffUser
from consult.staff.accounts import create_user

from .conftest import PASSWORD, csrf_token, login


def test_passwords_are_stored_as_argon2_hashes(staff):
    user = staff["viewer"]
    assert user.password_hash.startswith("$argon2id$")
    from consult.staff.accounts import PasswordHasher

    assert PasswordHasher().time_cost >= 2  # the product uses the library defaults
    assert PASSWORD not in user.password_hash


def test_sign_in_and_out(client, staff):
    answer = login(client, "engagement@example.org")
    assert answer.status_code == 302
    assert client.get("/staff/consultations").status_code == 200
    token = csrf_token(client, "/staff/consultations")
    answer = client.post("/staff/logout", data={"csrf_token": token})
    assert answer.status_code == 302
    assert "/staff/login" in client.get("/staff/consultations").headers["Location"]
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.create"] * len(staff) + ["login", "logout"]


def test_wrong_password_says_what_to_do(client, staff):
    answer = login(client, "engagement@example.org", "not the password at all")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "The email address or password is not right" in page
    answer = login(client, "nobody@example.org", PASSWORD)
    assert "The email address or password is not right" in answer.get_data(as_text=True)


def test_a_new_session_is_made_at_sign_in(client, staff):
    client.get("/staff/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "admin@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        first = session["_user_id"]
    # a second sign-in changes the session token: a copy of the old cookie is worth nothing
    old_cookie = client.get_cookie("session").value
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/consultations")})
    login(client, "admin@example.org")
    with client.session_transaction() as session:
        assert session["_user_id"] != first
    other = client.application.test_client()
    other.set_cookie("session", old_cookie)
    assert other.get("/staff/consultations").status_code == 302


def test_deactivated_accounts_cannot_sign_in_and_lose_their_session(client, staff):
    login(client, "viewer@example.org")
    assert client.get("/staff/consultations").status_code == 200
    from consult.staff.accounts import set_active

    set_active(staff["viewer"], False)
    assert client.get("/staff/consultations").status_code == 302
    assert login(client, "viewer@example.org").status_code == 200


def test_idle_sessions_end(app, client, staff):
    login(client, "viewer@example.org")
    with client.session_transaction() as session:
        session["staff_last_seen"] -= 60 * app.config["STAFF_IDLE_TIMEOUT_MINUTES"] + 5
    answer = client.get("/staff/consultations")
    assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "signed out because nothing happened" in page


def test_next_only_leads_inside_the_staff_workspace(client, staff):
    token = csrf_token(client)
    answer = client.post("/staff/login?next=https://evil.example/", data={
        "email": "viewer@example.org", "password": PASSWORD, "csrf_token": token})
    assert answer.headers["Location"].endswith("/staff/")


def test_failed_sign_ins_are_throttled_per_address(client, staff):
    for _ in range(5):
        assert login(client, "admin@example.org", "wrong password!!").status_code == 200
    answer = login(client, "admin@example.org", PASSWORD)
    assert answer.status_code == 429
    body = answer.get_data(as_text=True)
    assert "Wait a minute, then try again" in body
    # In the staff workspace, with its own way on, not the residents' pages.
    assert "Consult staff" in body and "ask an admin to set a new one" in body
    assert "list of consultations" not in body


def test_failed_sign_ins_are_throttled_per_account(app, staff):
    for n in range(6):  # five free attempts, then the first to take the one-second slot
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
        assert login(client, "admin@example.org", "wrong password!!").status_code == 200
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    held = login(client, "admin@example.org", PASSWORD)
    assert held.status_code == 429 and held.headers["Retry-After"] == "1"
    # other accounts from a fresh address are not held back
    assert login(client, "viewer@example.org", PASSWORD).status_code == 302


def test_throttle_counts_are_kept_in_redis_when_configured(database_url):
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.ConnectionError:
        pytest.fail("Redis at 127.0.0.1:6379 is not reachable")
    email = f"r-{uuid.uuid4().hex}@example.org"  # names this run's counters in Redis
    prefix = f"test-{uuid.uuid4().hex}"
    settings = {"SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": prefix}
    app = create_app("testing", settings)
    server = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        with app.app_context():
            db.create_all()
            create_user(email, "", "viewer", PASSWORD)
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
            for _ in range(5):
                assert login(client, email, "wrong password!!").status_code == 200
            assert server.keys(f"*{prefix}*login*"), "no counter was written to Redis"
            # a second app process sharing the Redis sees the same counts
            other = create_app("testing", settings)
            with other.app_context():
                second = other.test_client()
                second.environ_base["REMOTE_ADDR"] = "10.9.9.10"
                # the sixth attempt takes the account's one-second slot; the next must wait
                assert login(second, email, "wrong password!!").status_code == 200
                slots = server.keys(f"*{prefix}*account-slot*")
                assert slots, "the account's slot was not written to Redis"
                # however long that password check took, the slot is still taken for the next
                for key in slots:
                    server.expire(key, 60)
                second.environ_base["REMOTE_ADDR"] = "10.9.9.11"
                assert login(second, email, PASSWORD).status_code == 429
                db.session.remove()
                db.engine.dispose()
            db.session.execute(sa.delete(AuditEvent))
            db.session.execute(sa.delete(StaffUser))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    finally:
        for pattern in (f"*{prefix}*",):
            for key in server.scan_iter(pattern):
                server.delete(key)


def test_with_rate_limits_switched_off_staff_still_sign_in_and_nothing_is_throttled(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'off.db'}",
                                 "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        create_user("admin@example.org", "Admin", "admin", PASSWORD)
        client = app.test_client()
        for _ in range(8):
            assert login(client, "admin@example.org", "wrong password!!").status_code == 200
        assert login(client, "admin@example.org", PASSWORD).status_code == 302
        db.session.remove()
        db.drop_all()
