"""Comments on any registered object: how auditors (read-only otherwise) and members discuss findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from openaims.tenancy.models import Organization


class CommentQuerySet(models.QuerySet["Comment"]):
    def for_object(self, organization: Organization, object_type: str, object_id: object) -> CommentQuerySet:
        return self.filter(organization=organization, object_type=object_type, object_id=str(object_id))


class Comment(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["organization", "object_type", "object_id"], name="comment_object")]

    def __str__(self) -> str:
        return f"comment by {self.author} on {self.object_type}:{self.object_id}"
