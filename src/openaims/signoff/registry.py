"""Which kinds of subject can be signed off, and whom to tell of the decision.

The owning app registers its kind in AppConfig.ready(); the callback runs inside the sign-off
service's transaction, so the subject's state and the decision commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openaims.lib.errors import ServiceError

if TYPE_CHECKING:
    from openaims.signoff.models import SignOffRequest
    from openaims.tenancy.models import Tenant

# (actor, request) -> None, inside the sign-off's transaction; request.status is the decision.
OnDecided = Callable[["Tenant", "SignOffRequest"], None]


@dataclass(frozen=True)
class SubjectKind:
    kind: str
    label: str
    on_decided: OnDecided


_kinds: dict[str, SubjectKind] = {}


def register(kind: str, *, on_decided: OnDecided, label: str) -> None:
    _kinds[kind] = SubjectKind(kind, label, on_decided)


def get(kind: str) -> SubjectKind:
    if kind not in _kinds:
        raise ServiceError(f"nothing of the kind {kind!r} can be signed off", field="subject_kind")
    return _kinds[kind]


def kinds() -> list[SubjectKind]:
    return sorted(_kinds.values(), key=lambda k: k.label)
