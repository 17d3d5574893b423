"""Writes for user accounts: creation, login, password change and reset (recorded in the global chain)."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openaims.accounts.models import User
from openaims.accounts.throttle import attempt_count, attempt_succeeded, login_keys
from openaims.audittrail.services import Action, record_event
from openaims.lib.errors import Conflict, ServiceError
from openaims.tenancy.services import user_for_login


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    email: str = "",
    full_name: str = "",
    validate_password: bool = True,
) -> User:
    """Create an active user; `actor` None means they sign themselves up (invitation link, `aims createuser`).

    Password rules are Django's validators unless the caller is seeding demo data. Account-level,
    outside any organization: `actor` is a user (or None), not a Tenant.
    """
    users = get_user_model()
    username = username.strip()
    with transaction.atomic():
        if users.objects.filter(username__iexact=username).exists():
            raise Conflict(f"the username {username!r} is taken", field="username")
        if email and users.objects.filter(email__iexact=email).exists():
            raise Conflict(f"an account with {email} exists already", field="email")
        user = users(username=username, email=email.strip().lower(), full_name=full_name.strip())
        try:
            user.full_clean(exclude=["password"])
            if validate_password:
                password_validation.validate_password(password, user)
        except ValidationError as exc:
            messages = exc.messages
            field = next(iter(exc.message_dict)) if hasattr(exc, "error_dict") else "password"
            raise ServiceError(" ".join(messages), field=field) from None
        user.set_password(password)
        user.save()
        record_event(
            actor=actor if actor is not None and actor.pk else user,
            organization=None,
            obj=user,
            action=Action.CREATE,
            changes={"username": [None, user.username], "email": [None, user.email]},
        )
    return user


def _set_password(*, actor: User | None, user: User, new_password: str, action: str) -> None:
    """Validate and set a password, audited; the hash itself never enters the trail, only that it changed."""
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="new_password") from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record_event(actor=actor, organization=None, obj=user, action=action)


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """A person changes their own password: account-level, so the actor is the user, not a Tenant."""
    if not user.check_password(old_password):
        raise ServiceError("your current password is not correct", field="old_password")
    _set_password(actor=user, user=user, new_password=new_password, action="password_change")


def login_authenticate(*, request: HttpRequest | None, identifier: str, password: str, ip_address: str | None) -> User:
    """Check a login by username or email; the signed-in user, or Throttled / ServiceError (the same for any failure).

    The attempt is counted before the password is checked (accounts/throttle.py), and the hasher runs
    whether or not the account exists, so neither the answer nor its time says which usernames exist.
    Account-level, before anyone is signed in: the event's actor is the user (or nobody, on failure).
    """
    candidate = user_for_login(identifier)
    # Failures count against the account however it is named (username or email), not per spelling.
    keys = login_keys(account=candidate.get_username() if candidate else identifier, ip_address=ip_address)
    attempt_count(keys)
    if candidate is not None:
        user = authenticate(request, username=candidate.get_username(), password=password)
    else:
        # What ModelBackend does for a missing user: hash the password once, so a miss costs what a hit costs.
        get_user_model()().set_password(password)
        user = None
    if not isinstance(user, User):
        if candidate is not None:
            with transaction.atomic():
                record_event(actor=None, organization=None, obj=candidate, action="login_failed")
        raise ServiceError("Wrong username or password.")
    with transaction.atomic():
        attempt_succeeded(keys)
        record_event(actor=user, organization=None, obj=user, action="login")
    return user


def password_reset_requested(*, user: User) -> None:
    """A reset link was e-mailed to the user (someone asked for it by address): recorded, nobody acting."""
    with transaction.atomic():
        record_event(actor=None, organization=None, obj=user, action="password_reset_requested")


def password_reset_link(*, user: User) -> str:
    """A one-time reset path for an operator to hand over (`aims user reset-password`); the request is audited.

    Django's token: valid for PASSWORD_RESET_TIMEOUT, and only until the password (or last login) changes.
    """
    with transaction.atomic():
        record_event(actor=None, organization=None, obj=user, action="password_reset_link")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)])


def password_reset_complete(*, actor: User | None, user: User, new_password: str) -> None:
    """Set a new password without the old one: validated, audited, the hash never in the trail.

    `actor` is the user following an e-mailed link (they proved they hold the mailbox), None for an operator.
    """
    _set_password(actor=actor, user=user, new_password=new_password, action="password_reset")
