"""Demo content for `portal seed-demo` and the first `portal run`: both missions from their
mission files, demo accounts to sign in with, a few hundred experts per mission
(app.experts.demo), and host institutions with their assignment requests
(app.institutions.demo). Idempotent: every step upserts by a stable key (mission slug,
sector/partner code, email address, institution name)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Membership, User
from app.accounts.passwords import hash_password
from app.core.clock import now
from app.experts.demo import seed_demo_experts
from app.institutions.demo import seed_demo_institutions
from app.partners.models import PartnerAgency
from tenants.context import tenant_scope
from tenants.provisioning import load_mission, mission_files, provision_mission, to_context

# Shown in the README: for local demonstrations only, never on a shared server.
DEMO_PASSWORD = "bridge demo 2026"
HQ_ACCOUNT = ("hq@diaspora-bridge.demo", "HQ Administrator")
# (email local part, name, role, partner agency code or None), per mission
MISSION_ACCOUNTS = [
    ("admin", "Mission Administrator", "mission_admin", None),
    ("officer", "Programme Officer", "staff", None),
    ("partner", "UNHCR Focal Person", "partner_user", "unhcr"),
    # Linked to the mission's water institution by seed_demo_institutions, which runs later.
    ("focal", "Institution Focal Point", "institution_focal_point", None),
]


async def _user(db: AsyncSession, email: str, name: str, platform_admin: bool = False) -> User:
    user = await db.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, preferred_locale="en", status="active",
                    password_hash=hash_password(DEMO_PASSWORD), email_verified_at=now(),
                    is_platform_admin=platform_admin)
        db.add(user)
        await db.commit()
    return user


async def seed_demo(session_factory: async_sessionmaker[AsyncSession]) -> list[str]:
    seeded = []
    async with session_factory() as db:
        await _user(db, *HQ_ACCOUNT, platform_admin=True)
    for path in mission_files():
        async with session_factory() as db:
            tenant = await provision_mission(db, load_mission(path))
            seeded.append(tenant.slug)
        context = to_context(tenant)
        for local, name, role, partner_code in MISSION_ACCOUNTS:
            async with session_factory() as db:
                user = await _user(db, f"{local}@{tenant.slug}.demo", name)
            with tenant_scope(context):
                async with session_factory() as db:
                    if await db.scalar(select(Membership).where(
                            Membership.tenant_id == tenant.id, Membership.user_id == user.id)):
                        continue
                    partner_id = await db.scalar(select(PartnerAgency.id).where(
                        PartnerAgency.tenant_id == tenant.id,
                        PartnerAgency.code == partner_code)) if partner_code else None
                    db.add(Membership(tenant_id=tenant.id, user_id=user.id, role=role,
                                      partner_agency_id=partner_id, status="active"))
                    await db.commit()
        await seed_demo_experts(session_factory, context)
        await seed_demo_institutions(session_factory, context)
    return seeded
