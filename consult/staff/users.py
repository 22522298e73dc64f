"""Staff accounts, for admins: list, create, change role, deactivate or reactivate."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..models import StaffUser, as_id
from . import bp
from .accounts import AccountError, create_user, set_active, set_password, set_role
from .roles import PERMISSIONS, ROLE_TABLE, ROLES, requires

ROLE_CHOICES = [SelectChoice(role, ROLE_TABLE[role].label) for role in ROLES]


class NewUserForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter their email address."), Length(max=254)])
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="viewer")
    password = PasswordField("First password (they should change it)", validators=[
        DataRequired("Enter a first password."), Length(max=200)])


class SetPasswordForm(FlaskForm):
    account = SelectField("Account", choices=[], validate_choice=False)
    password = PasswordField("New password", validators=[
        DataRequired("Enter a new password for them."), Length(max=200)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class EmptyForm(FlaskForm):
    pass


def _me() -> StaffUser:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _page(form: NewUserForm, status: int = 200,
          password_form: SetPasswordForm | None = None) -> Any:
    users = db.session.scalars(sa.select(StaffUser).order_by(StaffUser.email)).all()
    password_form = password_form or SetPasswordForm()
    # Your own password is changed with "Change your password", which asks for the current one.
    password_form.account.choices = [SelectChoice("", "Choose an account")] + [
        SelectChoice(str(u.id), u.email) for u in users if u.id != _me().id]
    return render_template("staff/users.html", users=users, form=form, role_form=RoleForm,
                           empty_form=EmptyForm(), permissions=PERMISSIONS,
                           password_form=password_form), status


@bp.route("/users", methods=["GET"])
@requires("manage_users")
def users() -> Any:
    return _page(NewUserForm())


@bp.route("/users", methods=["POST"])
@requires("manage_users")
def users_create() -> Any:
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data or "", form.name.data or "", form.role.data or "",
                               form.password.data or "", by=_me())
        except AccountError as error:
            db.session.rollback()
            form.email.errors = [str(error)] if "email" in str(error).lower() else []
            if not form.email.errors:
                form.password.errors = [str(error)]
            return _page(form, 400)
        flash(f"Account created for {user.email} ({user.role}).")
        return redirect(url_for("staff.users"))
    return _page(form, 400)


def _user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@requires("manage_users")
def users_set_role(user_id: int) -> Any:
    user = _user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        if user.id == _me().id and form.role.data != "admin":
            flash("You cannot take the admin role from yourself. Ask another admin.")
        else:
            set_role(user, form.role.data or "", by=_me())
            flash(f"{user.email} is now {user.role}.")
    else:
        flash("Choose one of the roles.")
    return redirect(url_for("staff.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("manage_users")
def users_toggle_active(user_id: int) -> Any:
    user = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        if user.id == _me().id:
            flash("You cannot deactivate your own account.")
        else:
            set_active(user, not user.active, by=_me())
            flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.")
    return redirect(url_for("staff.users"))


@bp.route("/users/password", methods=["POST"])
@requires("manage_users")
def users_set_password() -> Any:
    """A new password for someone who forgot theirs: their sessions end, and they should change
    it when they next sign in."""
    form = SetPasswordForm()
    if form.validate_on_submit():
        account = form.account.data or ""
        user = db.session.get(StaffUser, as_id(account)) if as_id(account) else None
        if user is not None and user.id == _me().id:
            form.account.errors = ["Change your own password with Change your password, at the "
                                   "top of the page: it asks for your current one."]
            return _page(NewUserForm(formdata=None), 400, form)
        if user is None:
            form.account.errors = ["Choose the account to set a new password for."]
            return _page(NewUserForm(formdata=None), 400, form)
        try:
            set_password(user, form.password.data or "", by=_me())
        except AccountError as error:
            db.session.rollback()
            form.password.errors = [str(error)]
            return _page(NewUserForm(formdata=None), 400, form)
        flash(f"A new password is set for {user.email}, and their sessions have ended. Give it to "
              "them in person or by phone, and ask them to change it when they sign in.")
        return redirect(url_for("staff.users"))
    return _page(NewUserForm(formdata=None), 400, form)
