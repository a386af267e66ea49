"""Trainings for tests and the route-driven suites (tests/isolation.py)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, UserSession
from app.core.clock import now
from app.partners.models import FundingProject, PartnerAgency
from app.trainings.models import Training, TrainingParticipant
from app.trainings.participants import certificate_code
from tenants.context import TenantContext, tenant_scope


async def a_new_agency(db: AsyncSession, tenant: TenantContext, name: str = "") -> uuid.UUID:
    code = f"test-{uuid.uuid4().hex[:8]}"
    with tenant_scope(tenant):
        agency = PartnerAgency(tenant_id=tenant.id, code=code, name=name or f"Agency {code}",
                               short_name=code[:10], kind="ngo", status="active")
        db.add(agency)
        await db.commit()
    return agency.id


async def _agency_of_last_signed_in(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    """The agency of the person who signed in last if they are a partner user of the
    mission (the harness signs its acting person in right before it makes objects, so a
    partner user acting sees their own agency's training), else the mission's first."""
    with tenant_scope(tenant):
        user_id = await db.scalar(select(UserSession.user_id).order_by(
            UserSession.created_at.desc()).limit(1))
        agency_id = user_id and await db.scalar(select(Membership.partner_agency_id).where(
            Membership.tenant_id == tenant.id, Membership.user_id == user_id,
            Membership.role == "partner_user"))
        if not agency_id:
            agency_id = await db.scalar(select(PartnerAgency.id).where(
                PartnerAgency.tenant_id == tenant.id).order_by(PartnerAgency.code).limit(1))
        await db.commit()
    assert agency_id is not None
    return agency_id


async def a_training(db: AsyncSession, tenant: TenantContext,
                     agency_id: uuid.UUID | None = None, status: str = "planned",
                     kind: str = "training", parent_id: uuid.UUID | None = None,
                     title: str = "Counter-trafficking for prosecutors",
                     female: int = 4, male: int = 5,
                     participant_mode: str = "counts") -> uuid.UUID:
    agency_id = agency_id or await _agency_of_last_signed_in(db, tenant)
    with tenant_scope(tenant):
        training = Training(tenant_id=tenant.id, partner_agency_id=agency_id,
                            parent_id=parent_id, title=title, kind=kind,
                            thematic_area="counter_trafficking", start_date=date(2027, 3, 1),
                            end_date=date(2027, 3, 3), place="Port Sudan", female=female,
                            male=male, status=status, version=1, updated_at=now(),
                            participant_mode=participant_mode)
        db.add(training)
        await db.commit()
    return training.id


async def a_funding_project(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    """One of the mission's funding projects (from its mission file)."""
    with tenant_scope(tenant):
        project_id = await db.scalar(select(FundingProject.id).where(
            FundingProject.tenant_id == tenant.id).order_by(FundingProject.code).limit(1))
        await db.commit()
    assert project_id is not None
    return project_id


async def a_listing_training(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    """A planned training that lists its participants one by one (none yet)."""
    return await a_training(db, tenant, female=0, male=0, participant_mode="individual")


async def a_listed_participant(db: AsyncSession, tenant: TenantContext) -> dict:
    """A participant, with consent, of a training that lists them one by one."""
    training_id = await a_training(db, tenant, female=1, male=0,
                                   participant_mode="individual")
    with tenant_scope(tenant):
        person = TrainingParticipant(tenant_id=tenant.id, training_id=training_id,
                                     position=0, name="Listed Person", sex="female",
                                     age_group="25_34", institution="Ministry of Interior",
                                     consent=True)
        db.add(person)
        await db.commit()
    return {"training_id": training_id, "participant_id": person.id}


async def a_certified_participant(db: AsyncSession, tenant: TenantContext) -> dict:
    """A participant named with consent of an approved training: certified."""
    training_id = await a_training(db, tenant, female=1, male=0, status="approved",
                                   participant_mode="individual",
                                   title="Certified counter-trafficking course")
    with tenant_scope(tenant):
        person = TrainingParticipant(tenant_id=tenant.id, training_id=training_id,
                                     position=0, name="Certified Person", sex="female",
                                     age_group="25_34", institution="Ministry of Interior",
                                     role="Inspector", contact="certified@example.org",
                                     consent=True, certificate_code=certificate_code())
        db.add(person)
        await db.commit()
    return {"training_id": training_id, "participant_id": person.id,
            "code": person.certificate_code}


async def a_certificate_code(db: AsyncSession, tenant: TenantContext) -> str:
    return (await a_certified_participant(db, tenant))["code"]
