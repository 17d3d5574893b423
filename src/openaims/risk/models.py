"""AI risks (clauses 6.1.2, 6.1.3, 8.2, 8.3). This first slice holds what the SoA needs: a risk and the
controls its treatment selects. The risk-register issue adds criteria, scores, treatment plans and
acceptance on these same rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RiskQuerySet(models.QuerySet):
    def for_organization(self, organization) -> RiskQuerySet:
        return self.filter(organization=organization)


class Risk(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    AUDITED_FIELDS = ("title", "description", "owner")

    objects = RiskQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class RiskControl(models.Model):
    """A control that the risk's treatment selects (6.1.3): the link the SoA derives inclusion from."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="control_links")
    control = models.ForeignKey("controls.Control", on_delete=models.CASCADE, related_name="risk_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["risk", "control"], name="risk_control_unique")]

    def __str__(self) -> str:
        return f"{self.risk} → {self.control}"
