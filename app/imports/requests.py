"""Importing assignment requests: each row names its host institution (by name, or by its
name in the mission's other language), and is checked with the request form's rules
(sector, skills of the vocabulary, languages with minimum levels, the start window and the
end date). A request that does not start as a draft needs what submitting needs (terms of
reference, sector and a required skill, dates and logistics).

A row whose external_ref exists updates that request while staff may still change it
(draft, submitted, open); new requests are numbered under the mission's numbering lock.
Requests are written through the ORM: the search outbox follows by itself."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignment_requests.form import check_dates
from app.assignment_requests.models import (
    PRIORITIES,
    AssignmentRequest,
    RequestLanguage,
    RequestSkill,
)
from app.assignment_requests.states import EDITABLE, STAFF
from app.audit.services import record as audit
from app.core.actor import Actor
from app.core.clock import now
from app.core.numbering import next_number
from app.experts.models import EDUCATION_LEVELS, MODALITIES
from app.i18n import gettext as _
from app.imports.checks import FirstSeen, RowCheck, RowError
from app.imports.experts import Vocabulary
from app.imports.readers import SourceFile, SourceRow
from app.institutions.models import HostInstitution
from app.web.forms import FieldErrors
from search_index.text import fold
from tenants.context import TenantContext

MAX_TEXT = 10_000
CHUNK = 200
TEXT_FIELDS = (("title", 200), ("background", MAX_TEXT), ("objectives", MAX_TEXT),
               ("tasks", MAX_TEXT), ("deliverables", MAX_TEXT), ("expected_outputs", 2000))


@dataclass
class RequestRecord:
    row: int
    ref: str
    institution_id: uuid.UUID | None      # None only on a row with errors, never written
    fields: dict
    required_skills: list[uuid.UUID] = field(default_factory=list)
    desired_skills: list[uuid.UUID] = field(default_factory=list)
    languages: list[tuple[str, str]] = field(default_factory=list)
    request_id: uuid.UUID | None = None


@dataclass
class Institutions:
    by_name: dict[str, list[HostInstitution]]


async def institutions(db: AsyncSession, tenant: TenantContext) -> Institutions:
    by_name: dict[str, list[HostInstitution]] = {}
    for institution in await db.scalars(select(HostInstitution).where(
            HostInstitution.tenant_id == tenant.id)):
        for name in {fold(institution.name), fold(institution.other_name or "")} - {""}:
            by_name.setdefault(name, []).append(institution)
    return Institutions(by_name)


def check_row(row: SourceRow, present: set[str], vocab: Vocabulary, known: Institutions,
              initial_status: str) -> tuple[RequestRecord | None, list[RowError]]:
    c = RowCheck(row.number, row.values, present)
    complete = initial_status != "draft"  # what submitting needs
    ref = c.text("external_ref", 120, required=True)
    institution_name = c.text("institution", 300, required=True)
    institution = None
    if institution_name:
        found = known.by_name.get(fold(institution_name), [])
        if not found:
            c.fail("institution", _("Unknown host institution “%(value)s”.")
                   % {"value": institution_name})
        elif len(found) > 1:
            c.fail("institution", _("Several host institutions are called “%(value)s”: rename "
                                    "one first.") % {"value": institution_name})
        elif found[0].status != "approved":
            c.fail("institution", _("The institution “%(value)s” is not approved.")
                   % {"value": institution_name})
        else:
            institution = found[0]
    fields: dict = {}
    for name, limit in TEXT_FIELDS:
        if name in present or name == "title":
            fields[name] = c.text(name, limit, required=name == "title" or (
                complete and name in ("objectives", "tasks")))
    if complete:
        for name in ("objectives", "tasks", "sector", "required_skills", "modality",
                     "duration_weeks", "earliest_start", "latest_start"):
            if name not in present:
                c.fail(name, _("This field is required."))
    if "sector" in present:
        sectors = c.sectors("sector", vocab.sectors, vocab.sector_labels, single=True)
        fields["sector"] = sectors[0] if sectors else None
        if complete and not sectors and c.ok:
            c.fail("sector", _("This field is required."))
    if "min_years_experience" in present:
        fields["min_years_experience"] = c.integer("min_years_experience", 0, 50)
    if "education_level" in present:
        fields["education_level"] = c.choice("education_level", EDUCATION_LEVELS)
    if "modality" in present:
        fields["modality"] = c.choice("modality", MODALITIES, required=complete)
    if "city" in present:
        fields["city"] = c.text("city", 120, required=fields.get("modality") in
                                ("on_site", "hybrid"))
    elif fields.get("modality") in ("on_site", "hybrid"):
        c.fail("city", _("This field is required."))
    if "duration_weeks" in present:
        fields["duration_weeks"] = c.integer("duration_weeks", 1, 104, required=complete)
    for name in ("earliest_start", "latest_start", "finish_by"):
        if name in present:
            fields[name] = c.day(name, required=complete and name != "finish_by")
    if "experts_wanted" in present:
        fields["experts_wanted"] = c.integer("experts_wanted", 1, 50) or 1
    if "priority" in present:
        fields["priority"] = c.choice("priority", PRIORITIES, default="normal")
    record = RequestRecord(row=row.number, ref=ref,
                           institution_id=institution.id if institution else None,
                           fields=fields)
    if "required_skills" in present:
        record.required_skills = [s.id for s in c.skills("required_skills", vocab.skills)]
        if complete and not record.required_skills and c.ok:
            c.fail("required_skills", _("Name at least one skill the expert must have."))
    if "desired_skills" in present:
        record.desired_skills = [s.id for s in c.skills("desired_skills", vocab.skills)
                                 if s.id not in record.required_skills]
    if "languages" in present:
        record.languages = c.languages("languages")
    return (record, []) if c.ok else (None, c.errors)


def check_file(source: SourceFile, vocab: Vocabulary, known: Institutions,
               initial_status: str) -> tuple[list[RequestRecord], list[RowError]]:
    present = set(source.columns)
    records, errors = [], []
    refs = FirstSeen("external_ref", _("The same reference as row %(row)s."))
    for row in source.rows:
        record, row_errors = check_row(row, present, vocab, known, initial_status)
        same_ref = refs.repeated(row.number, str(row.values.get("external_ref") or "").strip())
        if same_ref:
            row_errors = [same_ref]
        if row_errors:
            errors += row_errors
        else:
            assert record is not None  # check_row makes one when the row has no errors
            records.append(record)
    return records, errors


async def resolve(db: AsyncSession, tenant: TenantContext,
                  records: list[RequestRecord]) -> dict[int, RowError]:
    """Existing requests by reference (updated, while staff may still change them), and the
    date rules, which allow a date already stored to stay as it is."""
    existing = {r.external_ref: r for r in await db.scalars(select(AssignmentRequest).where(
        AssignmentRequest.tenant_id == tenant.id,
        AssignmentRequest.external_ref.in_([r.ref for r in records])))} if records else {}
    refused: dict[int, RowError] = {}
    for record in records:
        request = existing.get(record.ref)
        if request is not None and request.status not in EDITABLE[STAFF]:
            refused[record.row] = RowError(record.row, "external_ref", _(
                "This request has moved on (%(status)s) and can no longer be changed by an "
                "import.") % {"status": request.status})
            continue
        errors = FieldErrors()
        f = record.fields
        check_dates(errors, request or AssignmentRequest(), f.get("earliest_start"),
                    f.get("latest_start"), f.get("finish_by"), f.get("duration_weeks"))
        if errors:
            column, reason = next(iter(errors.items()))
            refused[record.row] = RowError(record.row, column, reason)
            continue
        record.request_id = request.id if request else None
    return refused


@dataclass
class WriteContext:
    tenant: TenantContext
    actor: Actor
    initial_status: str
    present: set[str]
    batch_id: uuid.UUID | None


async def write(db: AsyncSession, ctx: WriteContext, records: list[RequestRecord],
                progress: Callable[[int], Awaitable[None]] | None = None) -> tuple[int, int]:
    tenant, moment = ctx.tenant, now()
    created = updated = 0
    number = None
    for start in range(0, len(records), CHUNK):
        chunk = records[start:start + CHUNK]
        existing = {r.id: r for r in await db.scalars(select(AssignmentRequest).where(
            AssignmentRequest.tenant_id == tenant.id,
            AssignmentRequest.id.in_([r.request_id for r in chunk if r.request_id])))}
        for record in chunk:
            assert record.institution_id is not None  # check_file keeps rows without errors
            request = existing.get(record.request_id) if record.request_id else None
            if request is None:
                if number is None:
                    number = await next_number(db, tenant, AssignmentRequest.number)
                request = AssignmentRequest(
                    tenant_id=tenant.id, institution_id=record.institution_id, number=number,
                    status=ctx.initial_status, created_by_id=ctx.actor.user_id,
                    external_ref=record.ref, experts_wanted=1, priority="normal",
                    submitted_at=moment if ctx.initial_status != "draft" else None,
                    opened_at=moment if ctx.initial_status == "open" else None)
                number += 1
                db.add(request)
                created += 1
            else:
                request.institution_id = record.institution_id
                updated += 1
            for key, value in record.fields.items():
                setattr(request, key, value if value is not None or key not in (
                    "background", "objectives", "tasks", "deliverables", "expected_outputs",
                    "city") else "")
            request.updated_at = moment
            await db.flush()
            record.request_id = request.id
        for model, column, rows in (
                (RequestSkill, "required_skills", lambda r: [
                    RequestSkill(tenant_id=tenant.id, request_id=r.request_id, skill_id=s,
                                 required=True) for s in r.required_skills] + [
                    RequestSkill(tenant_id=tenant.id, request_id=r.request_id, skill_id=s,
                                 required=False) for s in r.desired_skills]),
                (RequestLanguage, "languages", lambda r: [
                    RequestLanguage(tenant_id=tenant.id, request_id=r.request_id,
                                    language=code, min_level=level)
                    for code, level in r.languages])):
            touched = column in ctx.present or (column == "required_skills"
                                                and "desired_skills" in ctx.present)
            if not touched:
                continue
            ids = [r.request_id for r in chunk]
            await db.execute(delete(model).where(model.tenant_id == tenant.id,
                                                 model.request_id.in_(ids)))
            for record in chunk:
                db.add_all(rows(record))
        for record in chunk:
            audit(db, tenant.id, ctx.actor, "assignment_request.imported", "assignment_request",
                  record.request_id, after={"external_ref": record.ref, "row": record.row,
                                            "batch": str(ctx.batch_id) if ctx.batch_id
                                            else None})
        await db.flush()
        if progress is not None:
            await progress(len(chunk))
    return created, updated
