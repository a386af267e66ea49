"""API tokens and a small matching scene (an open request and experts around it) for the
JSON API's tests, written through the services and straight to the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from app.api.tokens import create_token
from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
from app.core.actor import Actor
from app.core.clock import now
from app.core.roles import permissions_for
from app.experts.models import Skill
from tenants.context import TenantContext, tenant_scope
from tests.expert_helpers import complete_profile
from tests.request_helpers import make_institution, make_request

ADMIN = Actor(email="admin@example.org", name="Mission Admin", role="mission_admin",
              permissions=permissions_for("mission_admin", False))


async def api_token(session_factory, tenant: TenantContext, name: str = "dashboard",
                    scope: str = "full") -> str:
    """A new token of the mission (its plain text)."""
    with tenant_scope(tenant):
        async with session_factory() as db:
            _token, plain = await create_token(db, tenant, ADMIN, name, scope)
    return plain


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Scene:
    request: AssignmentRequest
    draft: AssignmentRequest
    shared: list          # verified experts who consent to matching and to sharing
    pseudonymous: list    # verified experts who consent to matching only
    no_consent: object    # a verified expert who does not consent to matching


async def matching_scene(session_factory, tenant: TenantContext, tag: str = "") -> Scene:
    """An open request wanting teacher training and English (B2), and experts of every kind
    of consent around it; call the index drain afterwards."""
    async with session_factory() as db:
        institution = await make_institution(db, tenant, name=f"Ministry of Education {tag}")
        request = await make_request(db, tenant, institution.id, status="open")
        draft = await make_request(db, tenant, institution.id, status="draft")
    with tenant_scope(tenant):
        async with session_factory() as db:
            row = await db.scalar(select(AssignmentRequest).where(
                AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.id == request.id))
            row.sector, row.opened_at, row.min_years_experience = "education", now(), 8
            training = await db.scalar(select(Skill.id).where(
                Skill.tenant_id == tenant.id, Skill.code == "teacher_training"))
            await db.execute(RequestSkill.__table__.delete().where(
                RequestSkill.request_id == request.id))
            await db.execute(RequestLanguage.__table__.delete().where(
                RequestLanguage.request_id == request.id))
            db.add(RequestSkill(tenant_id=tenant.id, request_id=request.id, skill_id=training,
                                required=True))
            db.add(RequestLanguage(tenant_id=tenant.id, request_id=request.id, language="en",
                                   min_level="B2"))
            await db.commit()
            await db.refresh(row)
            request = row
    shared, pseudonymous = [], []
    for i, (language, sector) in enumerate([(("en", "C2"), "education"),
                                            (("en", "B2"), "education"),
                                            (("en", "C1"), "health")]):
        _u, profile = await complete_profile(
            session_factory, tenant, status="verified", name=f"Shared Expert {tag}{i}",
            language=language, sector=sector, consents=("matching", "share_with_institutions"))
        shared.append(profile)
        _u, profile = await complete_profile(
            session_factory, tenant, status="verified", name=f"Private Expert {tag}{i}",
            language=language, sector=sector, consents=("matching",))
        pseudonymous.append(profile)
    _u, no_consent = await complete_profile(session_factory, tenant, status="verified",
                                            name=f"Unlisted Expert {tag}", consents=())
    return Scene(request=request, draft=draft, shared=shared, pseudonymous=pseudonymous,
                 no_consent=no_consent)


def ids(items) -> list[uuid.UUID]:
    return [item.id for item in items]


async def an_api_token(db, tenant: TenantContext) -> uuid.UUID:
    """An API token of the mission (tests/isolation.py: revoking one)."""
    with tenant_scope(tenant):
        token, _plain = await create_token(db, tenant, ADMIN, f"isolation {uuid.uuid4().hex[:6]}")
    return token.id
