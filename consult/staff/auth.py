"""Signing in and out. Every attempt to sign in is counted before its password is checked, so
attempts sent in parallel cannot pass the limits:

- per account and address: 5 attempts a minute (``LOGIN_PAIR_LIMIT``): a stranger guessing from
  their own connection locks out only themselves;
- per address: 30 attempts a minute over all accounts (``LOGIN_ADDRESS_LIMIT``), against one
  connection trying many accounts;
- per account, from every address together: after 5 attempts in an hour without a sign-in, each
  further attempt must wait for a delay that doubles from 1 second to 5 minutes; an attempt
  within the delay is refused at once with ``Retry-After`` (never by holding a worker thread).
  A browser that signed in to the account before carries a signed cookie that spares it that
  delay, so the owner is not locked out by guesses from elsewhere.

The counters live in the rate-limit storage (Redis in production, shared by every process). A
new session (and a new session token on the account) is made at every sign-in, so an old
session id is worth nothing."""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from .. import audit
from ..extensions import db, limiter
from . import bp
from .accounts import check_password, find_user
from .roles import signed_in

LOGIN_PAIR_LIMIT = "5/minute"
LOGIN_ADDRESS_LIMIT = "30/minute"
# Attempts on one account within an hour before each further one waits, and the longest wait.
ACCOUNT_FREE_ATTEMPTS = 5
ACCOUNT_WINDOW_SECONDS = 3600
ACCOUNT_MAX_DELAY_SECONDS = 300
# The cookie of a browser that has signed in to an account before.
KNOWN_BROWSER_COOKIE = "consult_signed_in_before"
KNOWN_BROWSER_DAYS = 90

# Used while the shared storage cannot be reached: counting goes on in this process.
_fallback_storage = MemoryStorage()
try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover (redis is installed with Flask-Limiter's storage)
    RedisError = OSError  # type: ignore[assignment,misc]
STORAGE_ERRORS = (OSError, RedisError, StorageError)


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[
        DataRequired("Enter your password."), Length(max=200)])


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/staff"):
            return target
    return url_for("staff.home")


def _account_id(email: str) -> str:
    # Counter keys and the cookie name an account by a hash: no email address in Redis.
    return hashlib.sha256(email.strip().lower()[:254].encode()).hexdigest()[:32]


def _refuse(seconds: float) -> TooManyRequests:
    return TooManyRequests("Too many attempts to sign in.", retry_after=max(1, math.ceil(seconds)))


class SignInThrottle:
    """The counters of one attempt to sign in to ``account`` from ``address``."""

    def __init__(self, account: str, address: str) -> None:
        self.account = account
        self.address = address
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "consult"
        self.pair = (prefix, "login-pair", account, address)
        self.from_address = (prefix, "login-address", address)
        self.attempts_key = f"{prefix}/login/account/{account}"
        self.slot_key = f"{prefix}/login/account-slot/{account}"

    @staticmethod
    def _storage():
        return limiter.storage

    def _run(self, action):
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return None  # limits are switched off (benchmarks, browser tests): count nothing
        try:
            return action(self._storage(), limiter.limiter)
        except STORAGE_ERRORS:  # the shared storage is away: count in this process meanwhile
            current_app.logger.warning("rate-limit storage unavailable; counting sign-in attempts "
                                       "in this process", exc_info=True)
            from limits.strategies import FixedWindowRateLimiter

            return action(_fallback_storage, FixedWindowRateLimiter(_fallback_storage))

    def admit(self, known_browser: bool) -> None:
        """Counts this attempt, or raises 429 with the seconds to wait; called before the
        password is checked."""
        def count(storage, strategy):
            for limit, keys in ((parse(LOGIN_PAIR_LIMIT), self.pair),
                                (parse(LOGIN_ADDRESS_LIMIT), self.from_address)):
                if not strategy.hit(limit, *keys):
                    reset = strategy.get_window_stats(limit, *keys).reset_time
                    return reset - time.time()
            if known_browser:
                return None
            attempts = storage.incr(self.attempts_key, ACCOUNT_WINDOW_SECONDS)
            if attempts <= ACCOUNT_FREE_ATTEMPTS:
                return None
            delay = min(2 ** (attempts - ACCOUNT_FREE_ATTEMPTS - 1), ACCOUNT_MAX_DELAY_SECONDS)
            # One attempt per delay: the first to take the slot goes on, the rest wait for it.
            if storage.incr(self.slot_key, delay) == 1:
                return None
            # A refused attempt does not lengthen the delay.
            storage.incr(self.attempts_key, ACCOUNT_WINDOW_SECONDS, amount=-1)
            return storage.get_expiry(self.slot_key) - time.time()

        wait = self._run(count)
        if wait is not None:
            raise _refuse(wait)

    def succeeded(self) -> None:
        def clear(storage, strategy):
            strategy.clear(parse(LOGIN_PAIR_LIMIT), *self.pair)
            storage.clear(self.attempts_key)
            storage.clear(self.slot_key)
        self._run(clear)


def _browser_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="staff-known-browser")


def _known_browser(account: str) -> bool:
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not raw or len(raw) > 4000:
        return False
    try:
        accounts = _browser_serializer().loads(raw, max_age=KNOWN_BROWSER_DAYS * 86400)
    except BadSignature:
        return False
    return isinstance(accounts, list) and account in accounts


def _remember_browser(response: Any, account: str) -> None:
    accounts: list[str] = []
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if raw and len(raw) <= 4000:
        try:
            loaded = _browser_serializer().loads(raw, max_age=KNOWN_BROWSER_DAYS * 86400)
            if isinstance(loaded, list):
                accounts = [a for a in loaded if isinstance(a, str) and a != account]
        except BadSignature:
            pass
    accounts = [account] + accounts[:4]
    response.set_cookie(KNOWN_BROWSER_COOKIE, _browser_serializer().dumps(accounts),
                        max_age=KNOWN_BROWSER_DAYS * 86400, path=url_for("staff.login"),
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                        httponly=True, samesite="Strict")


@bp.route("/login", methods=["GET", "POST"])
@limiter.exempt
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        account = _account_id(email)
        throttle = SignInThrottle(account, get_remote_address())
        throttle.admit(known_browser=_known_browser(account))
        user = find_user(email)
        if check_password(user, form.password.data or "") and user is not None and user.active:
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # a fresh session: nothing from before sign-in is carried over
            user.session_token = secrets.token_hex(16)
            user.last_login_at = dt.datetime.now(dt.timezone.utc)
            audit.record("login", target=user.email, user=user)
            db.session.commit()
            throttle.succeeded()
            login_user(user)
            now = dt.datetime.now(dt.timezone.utc).timestamp()
            session["staff_last_seen"] = now
            session["staff_signed_in_at"] = now
            answer = redirect(next_url)
            _remember_browser(answer, account)
            return answer
        audit.record("login.failed", target=email[:254], actor="")
        db.session.commit()
        form.password.errors.append(
            "The email address or password is not right. Check them and try again.")
    return render_template("staff/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Any:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    user.session_token = secrets.token_hex(16)
    audit.record("logout", target=user.email, user=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("staff.login"))


@bp.route("/")
@signed_in
def home() -> Any:
    return redirect(url_for("staff.consultations"))
