"""People who use OpenAIMS, and the record of login attempts used for throttling."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person. Our own model from day one, so SSO and profile fields can be added without a swap."""

    full_name = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class LoginAttempt(models.Model):
    """A failed or successful login, per username and address, for throttling and the security log."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip_address", "at"], name="login_attempt_ip_at")]

    def __str__(self) -> str:
        return f"{'ok' if self.succeeded else 'failed'} login {self.username} at {self.at:%Y-%m-%d %H:%M}"
