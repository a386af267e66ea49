"""Demo records of everyday work for `portal seed-demo`, from
app/demo/data/<mission>/records.toml: staff notes on experts, saved searches, a pending
invitation (and its mail), an API token, a single sign-on provider (turned off: its address
is an example) with the demo partner user's link to it, an import that waits for a
corrected file, an expert imported a second time (a likely duplicate), and documents: CVs of a few verified experts and the terms of reference of
a request, written as PDFs from what their records say (app.documents.pdf). With them every kind of mission record exists in both missions, for a
person trying the portal and for the cross-mission sweeps (tests/test_demo_coverage.py).

Written through the domains' services as the demo programme officer or mission admin
would; the provider and the identity link are written directly (setting a provider up
fetches its address, which is an example here). Idempotent: each kind is skipped when the
mission already has it.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.invitations import invite
from app.accounts.models import Invitation, User
from app.accounts.sso import secret_box
from app.accounts.sso_models import IdentityProvider, UserIdentity
from app.api.models import ApiToken
from app.api.tokens import create_token
from app.assignment_requests.documents import save_terms_document
from app.assignment_requests.form import check_editable
from app.assignment_requests.models import AssignmentRequest, RequestDocument
from app.assignment_requests.services import RequestActionRefused
from app.assignments.follow_ups import send_follow_ups
from app.assignments.milestones import save_evidence
from app.assignments.models import (
    Assignment,
    Milestone,
    MilestoneEvidence,
    ReminderOptOut,
    ReminderSent,
)
from app.assignments.reminders import local_moment, send_reminders, set_reminders
from app.config import Settings, resolve_secret_key
from app.core.clock import now
from app.demo.content import mission_records
from app.demo.people import demo_member
from app.documents import MB
from app.documents.pdf import PdfDocument
from app.experts.documents import save_cv
from app.experts.models import ExpertDocument, ExpertDuplicate, ExpertNote, ExpertProfile
from app.experts.services import add_note
from app.imports.models import ImportBatch
from app.imports.services import Links, check_batch, read_upload, receive_upload, run_import
from app.matching.models import SavedSearch
from app.matching.registry_search import save_search
from app.partners.models import PartnerAgency
from app.storage import storage_for
from tenants.context import TenantContext, tenant_scope

CVS = 3  # verified experts of each mission with a CV on file


async def _none_yet(db: AsyncSession, tenant: TenantContext, model) -> bool:
    return not await db.scalar(select(func.count()).select_from(model).where(
        model.tenant_id == tenant.id))


async def seed_demo_records(session_factory: async_sessionmaker[AsyncSession],
                            tenant: TenantContext, settings: Settings) -> None:
    records = mission_records(tenant.slug)
    if records is None:
        return
    base = settings.links_base
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
            storage = storage_for(settings)
            max_bytes = settings.max_upload_mb * MB
            if await _none_yet(db, tenant, ExpertDocument):
                profiles = await db.scalars(select(ExpertProfile).where(
                    ExpertProfile.tenant_id == tenant.id, ExpertProfile.status == "verified")
                    .order_by(ExpertProfile.number).limit(CVS))
                for profile in list(profiles):
                    await save_cv(db, tenant, officer, profile, "cv.pdf", _cv(profile),
                                  storage, max_bytes=max_bytes)
            if await _none_yet(db, tenant, RequestDocument):
                await _terms_of_reference(db, tenant, officer, storage, max_bytes)
            if await _none_yet(db, tenant, MilestoneEvidence):
                await _evidence(db, tenant, officer, storage, max_bytes)
            # A day of the daily job: reminders of what is overdue and the follow-up
            # questionnaires due, as the worker would send them at the mission's noon; the
            # focal point has turned their reminders off.
            if await _none_yet(db, tenant, ReminderSent):
                noon = local_moment(tenant, now()).replace(hour=12, minute=0)
                secret = resolve_secret_key(settings)
                await send_reminders(db, tenant, secret, base, noon)
                await send_follow_ups(db, tenant, secret, base, noon)
            focal = await demo_member(db, tenant, "focal")
            if focal is not None and await _none_yet(db, tenant, ReminderOptOut):
                await set_reminders(db, tenant, focal, False)
            if await _none_yet(db, tenant, ImportBatch):
                batch = await receive_upload(db, tenant, officer, storage, "experts",
                                             records.import_file, records.import_data,
                                             "submitted", tenant.default_locale)
                await check_batch(db, storage, tenant, officer, batch.id)
            if await _none_yet(db, tenant, ExpertDuplicate):
                await _imported_twice(session_factory, db, tenant, officer, records, base)


async def _imported_twice(session_factory, db: AsyncSession, tenant: TenantContext, officer,
                          records, base: str) -> None:
    """An earlier roster's row for an expert who is already here, under another reference
    and address: the import flags the pair, as it would for a real roster."""
    profile = await db.scalar(select(ExpertProfile).where(
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.status == "verified",
        ExpertProfile.birth_year.is_not(None)).order_by(ExpertProfile.number).limit(1))
    if profile is None:
        return
    await db.commit()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["external_ref", "full_name", "email", "birth_year", "nationality",
                     "sectors", "consents"])
    writer.writerow([records.duplicate_ref, profile.full_name, records.duplicate_email,
                     profile.birth_year, profile.nationality or "",
                     "; ".join(profile.sectors), "none"])
    await run_import(session_factory, tenant, officer,
                     read_upload(out.getvalue().encode(), "experts"), "experts",
                     "submitted", False, links=Links(base))


def _cv(profile: ExpertProfile) -> bytes:
    doc = PdfDocument(title=f"CV — {profile.full_name}", lang="en",
                      author=profile.full_name)
    doc.heading(profile.full_name)
    doc.paragraph(profile.summary or "—")
    doc.facts([("City", profile.residence_city or "—"), ("Phone", profile.phone or "—")])
    return doc.output()


async def _terms_of_reference(db: AsyncSession, tenant: TenantContext, officer, storage,
                              max_bytes: int) -> None:
    """The first request staff may still edit gets its terms of reference as a file."""
    for request in list(await db.scalars(select(AssignmentRequest).where(
            AssignmentRequest.tenant_id == tenant.id).order_by(AssignmentRequest.number))):
        try:
            check_editable(officer, request)
        except RequestActionRefused:  # not editable in its state: the next one
            continue
        doc = PdfDocument(title=request.title, lang=tenant.default_locale)
        doc.heading(request.title)
        for part in (request.background, request.objectives, request.tasks,
                     request.deliverables):
            if part:
                doc.paragraph(part)
        await save_terms_document(db, tenant, officer, request, "terms-of-reference.pdf",
                                  doc.output(), storage, max_bytes=max_bytes)
        return


async def _evidence(db: AsyncSession, tenant: TenantContext, officer, storage,
                    max_bytes: int) -> None:
    """A milestone already done of a completed assignment gets its evidence, two files, as
    the officer hands them in (done ones: the overdue ones the reminders show stay so)."""
    found = (await db.execute(
        select(Milestone.assignment_id, Milestone.id, Milestone.title)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .where(Milestone.tenant_id == tenant.id, Milestone.status == "done",
               Assignment.status == "completed")
        .order_by(Assignment.created_at, Milestone.position).limit(1))).first()
    await db.commit()
    if found is None:
        return
    assignment_id, milestone_id, title = found
    for filename, heading in (("deliverable.pdf", title),
                              ("attendance-sheet.pdf", f"Attendance — {title}")):
        doc = PdfDocument(title=heading, lang=tenant.default_locale)
        doc.heading(heading)
        doc.paragraph("Handed in through the Diaspora Bridge portal.")
        await save_evidence(db, tenant, officer, assignment_id, milestone_id, filename,
                            doc.output(), storage, max_bytes=max_bytes)


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
