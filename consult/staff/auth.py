"""Signing in and out. Failed sign-ins are throttled per address and per account; a new session
(and a new session token on the account) is made at every sign-in, so an old session id is
worth nothing."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from .. import audit
from ..extensions import db, limiter
from . import bp
from .accounts import check_password, find_user
from .roles import signed_in

LOGIN_LIMIT = "5/minute"


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[
        DataRequired("Enter your password."), Length(max=200)])


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response: Any) -> bool:
    # Only failed attempts count towards the limit: a successful sign-in redirects.
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/staff"):
            return target
    return url_for("staff.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed,
               error_message="Too many attempts to sign in. Wait a minute, then try again.")
@limiter.limit(LOGIN_LIMIT, methods=["POST"], key_func=_account_key, deduct_when=_failed,
               error_message="Too many attempts to sign in. Wait a minute, then try again.")
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data or "")
        if check_password(user, form.password.data or "") and user is not None and user.active:
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # a fresh session: nothing from before sign-in is carried over
            user.session_token = secrets.token_hex(16)
            user.last_login_at = dt.datetime.now(dt.timezone.utc)
            audit.record("login", target=user.email, user=user)
            db.session.commit()
            login_user(user)
            session["staff_last_seen"] = dt.datetime.now(dt.timezone.utc).timestamp()
            return redirect(next_url)
        audit.record("login.failed", target=(form.email.data or "")[:254], actor="")
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
