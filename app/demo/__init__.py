"""Demo content for `portal seed-demo` and the first `portal run`: both missions from their
mission files, demo accounts to sign in with, a few hundred experts per mission
(app.demo.experts), host institutions with their assignment requests
(app.demo.institutions), assignments on the filled requests in every state
(app.demo.assignments), and partner agencies' trainings (app.demo.trainings). What the
demo contains is data, under app/demo/data/ (read by app.demo.content); the seeders write
it. Idempotent: every step upserts by a stable key
(mission slug, sector/partner code, email address, institution name)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.donors import set_donor_projects
from app.accounts.models import Membership, User
from app.config import Settings
from app.core.clock import now
from app.demo.assignments import seed_demo_assignments
from app.demo.content import accounts
from app.demo.experts import demo_password_hash, seed_demo_experts
from app.demo.institutions import seed_demo_institutions
from app.demo.records import seed_demo_records
from app.demo.trainings import seed_demo_trainings
from app.partners.models import FundingProject, PartnerAgency
from tenants.context import tenant_scope
from tenants.provisioning import load_mission, mission_files, provision_mission, to_context

# Shown in the README: for local demonstrations only, never on a shared server.
DEMO_PASSWORD = accounts().password


async def _user(db: AsyncSession, email: str, name: str, platform_admin: bool = False,
                second_factor_key: str | None = None) -> User:
    user = await db.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, preferred_locale="en", status="active",
                    password_hash=demo_password_hash(), email_verified_at=now(),
                    is_platform_admin=platform_admin, totp_secret=second_factor_key,
                    second_factor_at=now() if second_factor_key else None)
        db.add(user)
        await db.commit()
    return user


async def seed_demo(session_factory: async_sessionmaker[AsyncSession],
                    settings: Settings | None = None) -> list[str]:
    """Both missions with their demo people, experts, institutions and requests,
    assignments and trainings; with the settings (the secret key, the documents folder)
    also the records of everyday work (app.demo.records)."""
    seeded, demo = [], accounts()
    async with session_factory() as db:
        await _user(db, demo.hq_email, demo.hq_name, platform_admin=True,
                    second_factor_key=demo.hq_second_factor_key)
    for path in mission_files():
        async with session_factory() as db:
            tenant = await provision_mission(db, load_mission(path))
            seeded.append(tenant.slug)
        context = to_context(tenant)
        for account in demo.mission:
            async with session_factory() as db:
                user = await _user(db, f"{account.local}@{tenant.slug}.demo", account.name)
            with tenant_scope(context):
                async with session_factory() as db:
                    if await db.scalar(select(Membership).where(
                            Membership.tenant_id == tenant.id, Membership.user_id == user.id)):
                        continue
                    partner_id = await db.scalar(select(PartnerAgency.id).where(
                        PartnerAgency.tenant_id == tenant.id,
                        PartnerAgency.code == account.partner)) if account.partner else None
                    membership = Membership(tenant_id=tenant.id, user_id=user.id,
                                            role=account.role, partner_agency_id=partner_id,
                                            status="active")
                    db.add(membership)
                    if account.donor:
                        await set_donor_projects(db, context, membership, await db.scalars(
                            select(FundingProject.id).where(
                                FundingProject.tenant_id == tenant.id,
                                FundingProject.donor == account.donor)))
                    await db.commit()
        await seed_demo_experts(session_factory, context)
        await seed_demo_institutions(session_factory, context)
        await seed_demo_assignments(session_factory, context)
        await seed_demo_trainings(session_factory, context)
        if settings is not None:
            await seed_demo_records(session_factory, context, settings)
    return seeded
