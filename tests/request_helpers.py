"""Host institutions and assignment requests for tests, written straight to the database
(the form and the services are tested through the pages). They take an open session."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.identity import Actor
from app.accounts.roles import permissions_for
from app.assignment_requests.documents import save_terms_document
from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
from app.documents import MB
from app.experts.models import Skill
from app.institutions.models import HostInstitution
from tenants.context import TenantContext, tenant_scope
from tests.conftest import base_test_settings
from tests.documents_helpers import app_storage, minimal_pdf


async def make_institution(db: AsyncSession, tenant: TenantContext, status: str = "approved",
                           name: str | None = None) -> HostInstitution:
    with tenant_scope(tenant):
        institution = HostInstitution(
            tenant_id=tenant.id, name=name or f"Ministry {uuid.uuid4().hex[:6]}",
            kind="ministry", sectors=["water_management"], city="Capital", status=status)
        db.add(institution)
        await db.commit()
    return institution


async def make_request(db: AsyncSession, tenant: TenantContext, institution_id: uuid.UUID,
                       status: str = "draft", complete: bool = True) -> AssignmentRequest:
    """A request in the given state; complete means every part needed to submit is there."""
    with tenant_scope(tenant):
        number = (await db.scalar(select(func.max(AssignmentRequest.number)).where(
            AssignmentRequest.tenant_id == tenant.id)) or 0) + 1
        start = date.today() + timedelta(days=30)
        request = AssignmentRequest(
            tenant_id=tenant.id, institution_id=institution_id, number=number,
            status=status, title=f"Train engineers in leak detection {number}",
            objectives="Reduce water losses." if complete else "",
            tasks="Run a two-week course." if complete else "",
            sector="water_management" if complete else None,
            modality="on_site" if complete else None, city="Port Sudan",
            duration_weeks=4 if complete else None,
            earliest_start=start if complete else None,
            latest_start=start + timedelta(days=30) if complete else None,
            experts_wanted=1, priority="normal")
        db.add(request)
        await db.flush()
        if complete:
            skill = await db.scalar(select(Skill).where(Skill.tenant_id == tenant.id)
                                    .order_by(Skill.code).limit(1))
            db.add(RequestSkill(tenant_id=tenant.id, request_id=request.id,
                                skill_id=skill.id, required=True))
            db.add(RequestLanguage(tenant_id=tenant.id, request_id=request.id,
                                   language="en", min_level="B2"))
        await db.commit()
    return request


async def a_host_institution(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    return (await make_institution(db, tenant)).id


async def an_assignment_request(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    """A complete draft request with its terms of reference attached (through the service)."""
    institution = await make_institution(db, tenant)
    request = await make_request(db, tenant, institution.id)
    staff = Actor(email="staff@example.org", name="Staff", role="staff",
                  permissions=permissions_for("staff", False))
    with tenant_scope(tenant):
        await save_terms_document(db, tenant, staff, request, "tor.pdf",
                                  minimal_pdf("Terms of reference"), app_storage(),
                                  max_bytes=base_test_settings().max_upload_mb * MB)
    return request.id
