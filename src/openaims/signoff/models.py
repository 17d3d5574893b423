"""A request that a named approver sign something off (5.1, 5.3: authority exercised by the person who holds it).

One component for every approval by act: an SoA version (6.1.3 f)), and later documents, audit
reports and management reviews. The subject lives in its owning app; here it is named by kind, id,
label and URL, and the owning app hears of the decision through `signoff.registry`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SignOffStatus(models.TextChoices):
    PENDING = "pending", "Awaiting sign-off"
    SIGNED = "signed", "Signed"
    RETURNED = "returned", "Returned"
    WITHDRAWN = "withdrawn", "Withdrawn"


class SignOffRequest(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    subject_kind = models.CharField(max_length=60, help_text='The owning app\'s kind, e.g. "controls.soa_version".')
    subject_id = models.CharField(max_length=40)
    subject_label = models.CharField(max_length=200)
    subject_url = models.CharField(max_length=300, blank=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=SignOffStatus.choices, default=SignOffStatus.PENDING)
    request_comment = models.TextField(blank=True)
    decision_comment = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One open request per subject: a second one would let two people decide the same thing.
            models.UniqueConstraint(
                fields=["organization", "subject_kind", "subject_id"],
                condition=Q(status="pending"),
                name="signoff_one_pending_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["organization", "approver", "status"], name="signoff_inbox")]

    def __str__(self) -> str:
        return f"Sign-off of {self.subject_label}"

    @property
    def is_pending(self) -> bool:
        return self.status == SignOffStatus.PENDING
