"""Passwords: everyone changes their own; an admin sets a new one for someone who forgot theirs.

Changing your own password keeps you signed in (the session is renewed with the account's new
token). Wrong current passwords are limited like sign-in attempts, so a session left open on a
shared computer cannot be used to guess them.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..extensions import db, limiter
from . import bp
from .accounts import MIN_PASSWORD_LENGTH, AccountError, check_password, set_password
from .roles import signed_in

WRONG_CURRENT = "Your current password is not right. Check it and try again."


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        DataRequired("Enter your current password."), Length(max=200)])
    new = PasswordField("New password", validators=[
        DataRequired("Enter a new password."), Length(max=200)])
    again = PasswordField("New password again", validators=[
        DataRequired("Enter the new password again."),
        EqualTo("new", message="The two new passwords are not the same. "
                               "Enter the same new password in both boxes.")])


@bp.route("/account/password", methods=["GET", "POST"])
# Every attempt is counted before the current password is checked, so attempts sent at once
# cannot pass the limit together.
@limiter.limit("5 per minute", methods=["POST"],
               error_message="Too many attempts to change the password. "
                             "Wait a minute, then try again.")
@signed_in
def change_password() -> Any:
    me = current_user._get_current_object()  # type: ignore[attr-defined]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not check_password(me, form.current.data or ""):
            form.current.errors = [WRONG_CURRENT]
        else:
            try:
                set_password(me, form.new.data or "", by=me)
            except AccountError as error:
                db.session.rollback()
                form.new.errors = [str(error)]
            else:
                login_user(me)  # this session goes on with the account's new token
                flash("Your password is changed.")
                return redirect(url_for("staff.home"))
    status = 400 if form.errors else 200
    return render_template("staff/password.html", form=form,
                           min_length=MIN_PASSWORD_LENGTH), status
