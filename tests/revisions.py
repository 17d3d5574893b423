"""Edit forms carry the revision they were opened at (lib/concurrency): tests post the current one."""

from __future__ import annotations


def revision_of(obj) -> int:
    """The object's revision as stored now (what a page opened now would carry)."""
    return type(obj).objects.values_list("revision", flat=True).get(pk=obj.pk)
