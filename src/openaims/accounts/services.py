"""Writes for user accounts: creation, password change, login attempts (recorded in the global chain)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openaims.accounts.models import LoginAttempt, User
from openaims.audittrail.services import Action, record_event
from openaims.lib.errors import Conflict, ServiceError


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

    Password rules are Django's validators unless the caller is seeding demo data.
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


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ServiceError("your current password is not correct", field="old_password")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="new_password") from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        # The hash itself never enters the trail; only that it changed.
        record_event(actor=user, organization=None, obj=user, action="password_change")


def login_is_throttled(*, username: str, ip_address: str | None) -> bool:
    since = timezone.now() - timedelta(seconds=settings.AIMS_LOGIN_WINDOW_SECONDS)
    failures = LoginAttempt.objects.filter(succeeded=False, at__gte=since)
    limit = settings.AIMS_LOGIN_MAX_FAILURES
    if failures.filter(username__iexact=username.strip()).count() >= limit:
        return True
    # An address gets more room than a username: several people may share one NAT.
    return bool(ip_address) and failures.filter(ip_address=ip_address).count() >= limit * 4


def login_attempt_record(*, username: str, ip_address: str | None, user: User | None = None, succeeded: bool) -> None:
    with transaction.atomic():
        LoginAttempt.objects.create(username=username.strip()[:150], ip_address=ip_address, succeeded=succeeded)
        if succeeded and user is not None:
            record_event(actor=user, organization=None, obj=user, action="login")
            # A successful login clears the failures counted against that username.
            LoginAttempt.objects.filter(username__iexact=username.strip(), succeeded=False).delete()
        elif user is not None:
            record_event(actor=None, organization=None, obj=user, action="login_failed")
