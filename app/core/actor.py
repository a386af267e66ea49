"""Who is acting: resolved once per request from the session cookie and the mission."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from app.core.roles import permissions_for


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None = None
    email: str = ""
    name: str = ""
    is_platform_admin: bool = False
    role: str | None = None              # the role in the current mission, if any
    membership_id: uuid.UUID | None = None
    partner_agency_id: uuid.UUID | None = None
    host_institution_id: uuid.UUID | None = None  # a focal point's institution
    ip: str = ""
    preferred_locale: str | None = None  # the language chosen at sign-up or on the account
    permissions: frozenset[str] = field(default_factory=frozenset)

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        return self.email or "anonymous"


def make_actor(user, membership, ip: str) -> Actor:
    if user is None:
        return Actor(ip=ip)
    role = membership.role if membership is not None else None
    return Actor(
        user_id=user.id, email=user.email, name=user.name,
        is_platform_admin=user.is_platform_admin, role=role,
        membership_id=membership.id if membership is not None else None,
        partner_agency_id=membership.partner_agency_id if membership is not None else None,
        host_institution_id=membership.host_institution_id if membership is not None else None,
        ip=ip, preferred_locale=user.preferred_locale,
        permissions=permissions_for(role, user.is_platform_admin),
    )
