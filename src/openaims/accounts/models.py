"""People who use OpenAIMS, and the counters that slow down password guessing."""

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


class ThrottleCounter(models.Model):
    """Recent failures counted against one key (an address and account pair, an account, a reset address).

    One row per key, locked while it is counted, so parallel attempts cannot all slip under the limit.
    A row whose `forget_after` has passed counts as empty and may be deleted.
    """

    key = models.CharField(max_length=400, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    forget_after = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} failures"
