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
from ..models import StaffUser
from . import bp
from .accounts import AccountError, create_user, set_active, set_role
from .roles import PERMISSIONS, ROLES, requires

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]


class NewUserForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter their email address."), Length(max=254)])
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="viewer")
    password = PasswordField("First password (they should change it)", validators=[
        DataRequired("Enter a first password."), Length(max=200)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class EmptyForm(FlaskForm):
    pass


def _me() -> StaffUser:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _page(form: NewUserForm, status: int = 200) -> Any:
    users = db.session.scalars(sa.select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("staff/users.html", users=users, form=form, role_form=RoleForm,
                           empty_form=EmptyForm(), permissions=PERMISSIONS), status


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
