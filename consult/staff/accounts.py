"""Staff accounts: argon2 password hashes, creating users, changing roles and passwords,
deactivating.

Used by the admin page and by ``flask users ...``; every change is written to the audit log.
"""
from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import audit
from ..extensions import db
from ..models import StaffUser
from .roles import ROLES

MIN_PASSWORD_LENGTH = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A change to an account that cannot be made; the message says why, in plain English."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: StaffUser | None, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is not None and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user is not None


def password_problem(password: str, email: str = "") -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Enter a password of at least {MIN_PASSWORD_LENGTH} characters."
    if email and password.lower() == email.lower():
        return "Choose a password that is not your email address."
    return None


def find_user(email: str) -> StaffUser | None:
    return db.session.scalar(
        sa.select(StaffUser).where(sa.func.lower(StaffUser.email) == email.strip().lower())
    )


def new_email_problem(email: str) -> str | None:
    """What is wrong with ``email`` for a new account, or None."""
    email = email.strip()
    if not EMAIL.match(email):
        return "Enter an email address in the right format, like name@example.org."
    if find_user(email):
        return f"There is already a staff account for {email}."
    return None


def create_user(email: str, name: str, role: str, password: str,
                by: StaffUser | None = None) -> StaffUser:
    email = email.strip()
    if not EMAIL.match(email):
        raise AccountError(new_email_problem(email) or "")
    if role not in ROLES:
        raise AccountError(f"Choose a role: {', '.join(ROLES)}.")
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    if find_user(email):
        raise AccountError(f"There is already a staff account for {email}.")
    user = StaffUser(email=email, name=name.strip(), role=role,
                     password_hash=hash_password(password),
                     session_token=secrets.token_hex(16), active=True)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", target=email, user=by, role=role)
    db.session.commit()
    return user


def set_role(user: StaffUser, role: str, by: StaffUser | None = None) -> None:
    if role not in ROLES:
        raise AccountError(f"Choose a role: {', '.join(ROLES)}.")
    old = user.role
    user.role = role
    user.session_token = secrets.token_hex(16)  # the new role applies from the next sign-in
    audit.record("user.set_role", target=user.email, user=by, old_role=old, new_role=role)
    db.session.commit()


def set_active(user: StaffUser, active: bool, by: StaffUser | None = None) -> None:
    user.active = active
    user.session_token = secrets.token_hex(16)  # ends the account's sessions
    audit.record("user.activate" if active else "user.deactivate", target=user.email, user=by)
    db.session.commit()


def set_password(user: StaffUser, password: str, by: StaffUser | None = None) -> None:
    """A new password for ``user``; the account's session ends (when people change their own
    password, the caller signs their session in again)."""
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_hex(16)
    own = by is not None and by.id == user.id
    audit.record("user.change_password" if own else "user.set_password", target=user.email,
                 user=by)
    db.session.commit()
