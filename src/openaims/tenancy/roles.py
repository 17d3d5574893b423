"""Roles and what each may do (clause 5.3: roles, responsibilities and authorities in the AIMS)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    CONTRIBUTOR = "contributor", "Contributor"
    AUDITOR = "auditor", "Auditor"
    VIEWER = "viewer", "Viewer"


class Perm:
    """Named capabilities; views, API operations and services ask for one of these, never for a role."""

    READ = "read"  # see the organization's AIMS content and each object's history
    WRITE = "write"  # create and change AIMS content
    APPROVE = "approve"  # sign off: approvals, acceptance, publishing (used by later capabilities)
    COMMENT = "comment"
    AUDIT_LOG = "audit_log"  # read, verify and export the organization-wide audit trail
    MANAGE_MEMBERS = "manage_members"
    MANAGE_ORGANIZATION = "manage_organization"


_ALL = {
    Perm.READ,
    Perm.WRITE,
    Perm.APPROVE,
    Perm.COMMENT,
    Perm.AUDIT_LOG,
    Perm.MANAGE_MEMBERS,
    Perm.MANAGE_ORGANIZATION,
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(_ALL),
    Role.MANAGER: frozenset({Perm.READ, Perm.WRITE, Perm.APPROVE, Perm.COMMENT, Perm.AUDIT_LOG}),
    Role.CONTRIBUTOR: frozenset({Perm.READ, Perm.WRITE, Perm.COMMENT}),
    # Auditors are read-only everywhere, may comment, and see the whole trail (internal/external audit).
    Role.AUDITOR: frozenset({Perm.READ, Perm.COMMENT, Perm.AUDIT_LOG}),
    Role.VIEWER: frozenset({Perm.READ}),
}

ROLE_DESCRIPTIONS = {
    Role.OWNER: "Everything, including members, roles and organization settings.",
    Role.MANAGER: "Runs the AIMS: creates, changes and approves content; reads the audit trail.",
    Role.CONTRIBUTOR: "Creates and changes content; cannot approve.",
    Role.AUDITOR: "Read-only everywhere, may comment, reads and exports the audit trail.",
    Role.VIEWER: "Read-only.",
}


def has_perm(role: str, perm: str) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())


def role_within(candidate: str, ceiling: str) -> bool:
    """A role is within another when it can do nothing the other cannot (tokens, invitations)."""
    return ROLE_PERMISSIONS[candidate] <= ROLE_PERMISSIONS[ceiling]


def roles_within(ceiling: str) -> list[str]:
    return [role for role in Role.values if role_within(role, ceiling)]


def effective_role(membership_role: str, token_role: str | None = None) -> str:
    """A token acts with its own role, but never above what its owner can do today."""
    if token_role is None:
        return membership_role
    if role_within(token_role, membership_role):
        return token_role
    return _meet(membership_role, token_role)


def _meet(a: str, b: str) -> str:
    # The strongest role whose permissions fit inside both; viewer always does.
    common = ROLE_PERMISSIONS[a] & ROLE_PERMISSIONS[b]
    for role in Role.values:
        if ROLE_PERMISSIONS[role] <= common:
            return role
    return Role.VIEWER
