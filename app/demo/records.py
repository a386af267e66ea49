"""Demo records of everyday work for `portal seed-demo`, from
app/demo/data/<mission>/records.toml: staff notes on experts, saved searches, a pending
invitation (and its mail), an API token, a single sign-on provider (turned off: its address
is an example) with the demo partner user's link to it, and an import that waits for a
corrected file. With them every kind of mission record exists in both missions, for a
person trying the portal and for the cross-mission sweeps (tests/test_demo_coverage.py).

Written through the domains' services as the demo programme officer or mission admin
would; the provider and the identity link are written directly (setting a provider up
fetches its address, which is an example here). Idempotent: each kind is skipped when the
mission already has it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.invitations import invite
from app.accounts.models import Invitation, User
from app.accounts.sso import secret_box
from app.accounts.sso_models import IdentityProvider, UserIdentity
from app.api.models import ApiToken
from app.api.tokens import create_token
from app.config import Settings
from app.core.clock import now
from app.demo.content import mission_records
from app.demo.people import demo_member
from app.experts.models import ExpertNote, ExpertProfile
from app.experts.services import add_note
from app.imports.models import ImportBatch
from app.imports.services import check_batch, receive_upload
from app.matching.models import SavedSearch
from app.matching.registry_search import save_search
from app.partners.models import PartnerAgency
from app.storage import storage_for
from tenants.context import TenantContext, tenant_scope


async def _none_yet(db: AsyncSession, tenant: TenantContext, model) -> bool:
    return not await db.scalar(select(func.count()).select_from(model).where(
        model.tenant_id == tenant.id))


async def seed_demo_records(session_factory: async_sessionmaker[AsyncSession],
                            tenant: TenantContext, settings: Settings) -> None:
    records = mission_records(tenant.slug)
    if records is None:
        return
    base = settings.base_url or f"http://{settings.host}:{settings.port}"
    with tenant_scope(tenant):
        async with session_factory() as db:
            officer = await demo_member(db, tenant, "officer")
            admin = await demo_member(db, tenant, "admin")
            if officer is None or admin is None:
                return
            if await _none_yet(db, tenant, ExpertNote):
                experts = await db.scalars(select(ExpertProfile.id).where(
                    ExpertProfile.tenant_id == tenant.id, ExpertProfile.status == "verified")
                    .order_by(ExpertProfile.number).limit(len(records.notes)))
                for profile_id, body in zip(list(experts), records.notes, strict=False):
                    await add_note(db, tenant, officer, profile_id, body)
                    await db.commit()
            if await _none_yet(db, tenant, SavedSearch):
                for name, query in records.saved_searches:
                    await save_search(db, tenant, officer, name, query, tenant.default_locale)
            if await _none_yet(db, tenant, Invitation):
                await invite(db, tenant, admin, records.invitation_email,
                             records.invitation_role, None,
                             lambda token: f"{base}/{tenant.slug}/invitations/{token}")
            if await _none_yet(db, tenant, ApiToken):
                await create_token(db, tenant, admin, records.api_token)
            if await _none_yet(db, tenant, IdentityProvider):
                await _provider(db, tenant, settings, records)
            if await _none_yet(db, tenant, ImportBatch):
                storage = storage_for(settings)
                batch = await receive_upload(db, tenant, officer, storage, "experts",
                                             records.import_file, records.import_data,
                                             "submitted", tenant.default_locale)
                await check_batch(db, storage, tenant, officer, batch.id)


async def _provider(db: AsyncSession, tenant: TenantContext, settings: Settings,
                    records) -> None:
    agency_id = await db.scalar(select(PartnerAgency.id).where(
        PartnerAgency.tenant_id == tenant.id, PartnerAgency.code == records.sso_agency))
    provider = IdentityProvider(
        tenant_id=tenant.id, name=records.sso_name, issuer=records.sso_issuer,
        client_id=records.sso_client_id,
        client_secret_encrypted=secret_box(settings).encrypt(b"demo secret").decode(),
        allowed_domains=list(records.sso_domains), default_role="partner_user",
        partner_agency_id=agency_id, existing_members_only=True, enabled=False)
    db.add(provider)
    await db.flush()
    partner = await db.scalar(select(User).where(
        User.email == f"partner@{tenant.slug}.demo"))
    if partner is not None:
        db.add(UserIdentity(tenant_id=tenant.id, provider_id=provider.id,
                            subject=records.sso_subject, user_id=partner.id,
                            email=f"partner@{records.sso_domains[0]}",
                            last_sign_in_at=now()))
    await db.commit()
