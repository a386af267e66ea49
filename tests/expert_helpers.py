"""Complete expert profiles made directly in the database, for staff-side tests."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.core.clock import now
from app.experts.models import (
    ExpertAvailability,
    ExpertConsent,
    ExpertDocument,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    Skill,
)
from tenants.context import TenantContext, tenant_scope
from tests.accounts_helpers import make_user


async def complete_profile(session_factory, tenant: TenantContext, *, status="submitted",
                           name="Test Expert", sector="education", language=("en", "C1"),
                           country="GB", skill_code="teacher_training",
                           consents=("matching",), available=(30, 200)):
    user = await make_user(session_factory, tenant, "expert")
    with tenant_scope(tenant):
        async with session_factory() as db:
            number = (await db.scalar(select(func.max(ExpertProfile.number)).where(
                ExpertProfile.tenant_id == tenant.id)) or 0) + 1
            profile = ExpertProfile(
                tenant_id=tenant.id, user_id=user.id, number=number, status=status,
                full_name=name, nationality="SD", residence_country=country,
                residence_city="Leeds", years_experience=12, summary="Summary",
                modality="hybrid", min_weeks=2, max_weeks=6, sectors=[sector],
                phone="+44 7700 900123", updated_at=now(),
                submitted_at=now() if status != "draft" else None)
            db.add(profile)
            await db.flush()
            db.add(ExpertLanguage(tenant_id=tenant.id, profile_id=profile.id,
                                  language=language[0], level=language[1]))
            skill = await db.scalar(select(Skill).where(Skill.code == skill_code))
            db.add(ExpertSkill(tenant_id=tenant.id, profile_id=profile.id, skill_id=skill.id))
            today = date.today()
            db.add(ExpertAvailability(tenant_id=tenant.id, profile_id=profile.id,
                                      kind="available",
                                      starts_on=today + timedelta(days=available[0]),
                                      ends_on=today + timedelta(days=available[1])))
            for purpose in consents:
                db.add(ExpertConsent(tenant_id=tenant.id, profile_id=profile.id,
                                     purpose=purpose, notice_version=1, granted_at=now()))
            db.add(ExpertDocument(tenant_id=tenant.id, profile_id=profile.id, filename="cv.pdf",
                                  content_type="application/pdf", size=100, sha256="0" * 64,
                                  storage_key=f"{tenant.id}/cv/none.pdf"))
            await db.commit()
    return user, profile


async def a_likely_duplicate(db, tenant: TenantContext) -> uuid.UUID:
    """Two new profiles of one person (the same name and birth year, two addresses), flagged
    as a likely pair through the real service: the pair's id."""
    from app.experts.duplicates import flag_likely_duplicates
    from app.experts.models import ExpertDuplicate

    name = f"Twin {uuid.uuid4().hex[:8]} Person"
    with tenant_scope(tenant):
        ids = []
        for _ in range(2):
            user = User(email=f"twin-{uuid.uuid4().hex[:10]}@example.org", name=name,
                        status="active", email_verified_at=now())
            db.add(user)
            await db.flush()
            number = (await db.scalar(select(func.max(ExpertProfile.number)).where(
                ExpertProfile.tenant_id == tenant.id)) or 0) + 1
            profile = ExpertProfile(tenant_id=tenant.id, user_id=user.id, number=number,
                                    status="verified", full_name=name, birth_year=1979,
                                    sectors=["education"], updated_at=now())
            db.add(profile)
            await db.flush()
            ids.append(profile.id)
        await flag_likely_duplicates(db, tenant, ids)
        pair_id = await db.scalar(select(ExpertDuplicate.id).where(
            ExpertDuplicate.tenant_id == tenant.id,
            ExpertDuplicate.profile_id == min(ids), ExpertDuplicate.other_id == max(ids)))
        await db.commit()
    assert pair_id is not None
    return pair_id
