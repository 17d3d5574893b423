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
    # Move an AI system past a life-cycle gate whose items are missing, with a recorded reason. A system's
    # business owner may too when they can write (inventory.lifecycle decides that per system).
    OVERRIDE_GATES = "override_gates"


_ALL = {
    Perm.READ,
    Perm.WRITE,
    Perm.APPROVE,
    Perm.COMMENT,
    Perm.AUDIT_LOG,
    Perm.MANAGE_MEMBERS,
    Perm.MANAGE_ORGANIZATION,
    Perm.OVERRIDE_GATES,
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


# Work no person starts (scheduled runs, background jobs, monitoring breaches, the CLI's system tasks) acts
# as the organization's system actor: it may read and write content and comment, never approve, accept
# risk, override a gate, or manage members — those stay acts of a named person.
SYSTEM_PERMISSIONS: frozenset[str] = frozenset({Perm.READ, Perm.WRITE, Perm.COMMENT})

# Authority to accept a residual risk, weakest first. Risk criteria name the least role that may accept a
# level (`accept_role`); a role at or above it in this order may. Roles not listed (auditor, viewer) and
# the system actor never accept risk.
ACCEPTING_ROLES: tuple[str, ...] = (Role.CONTRIBUTOR, Role.MANAGER, Role.OWNER)


def acceptance_authority(role: str | None) -> int:
    """0 for a role that never accepts risk, else its rank in ACCEPTING_ROLES from 1."""
    return ACCEPTING_ROLES.index(role) + 1 if role in ACCEPTING_ROLES else 0


def role_with_article(role: str) -> str:
    """'a manager', 'an owner': a role named in a sentence."""
    name = str(Role(role).label).lower()
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def accepting_role_phrase(role: str) -> str:
    """'a manager or owner': who meets `role` as a criteria's accept_role (the criteria form's choices)."""
    names = [str(Role(r).label).lower() for r in ACCEPTING_ROLES[ACCEPTING_ROLES.index(role) :]]
    article = "an" if names[0][0] in "aeiou" else "a"
    return f"{article} {', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else f"{article} {names[0]}"


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
