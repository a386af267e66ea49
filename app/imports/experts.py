"""Importing experts: checking every row of a roster against the profile rules and the
mission's data (sectors, skills vocabulary, existing experts and accounts), then writing the
valid rows in bulk inside the caller's transaction.

Who each row is:
- a profile with the row's external_ref exists: it is updated, provided its expert has the
  row's email address (a reference never moves a profile to another person);
- otherwise, an account with the row's email exists: an expert of this mission without a
  reference gets the reference and the row's data; someone without a role here becomes an
  expert of the mission; anybody holding another role here is refused;
- otherwise a new account (no password) with an expert membership and a profile is
  created, and the person is mailed a one-time link to choose a password and confirm.

Only the columns present in the file are written on update; an empty cell in a present
column clears that part. Consent purposes are granted with source "imported_roster" against
the mission's current notice version, never withdrawn by an import. Writes bypass the ORM
(each table's rows of a chunk in one COPY), so the search outbox rows and audit events are
added here, one per profile, in the same transaction."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, cast, delete, func, select, update
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from app.accounts.models import Membership, User
from app.accounts.services import email_problem, normalise_email, password_link_tokens
from app.core.actor import Actor
from app.core.clock import now
from app.core.numbering import next_number
from app.core.roster_format import NO_CONSENT
from app.db.bulk import CopyWriter, ascending_ids
from app.experts.duplicates import flag_likely_duplicates, profile_keys
from app.experts.models import (
    AVAILABILITY_KINDS,
    CONSENT_PURPOSES,
    EDUCATION_LEVELS,
    GENDERS,
    HEADLINE_LENGTH,
    MODALITIES,
    ConsentNotice,
    ExpertAvailability,
    ExpertConsent,
    ExpertEducation,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    ExpertWork,
    Skill,
)
from app.experts.profile_form import PHONE, one_line, resolve_skill_names, skill_index
from app.i18n import current_locale
from app.i18n import gettext as _
from app.imports.checks import FirstSeen, RowCheck, RowError, unknown_value
from app.imports.readers import SourceFile, SourceRow
from app.search.documents import NOT_INDEXED, Window, expert_document, skill_texts
from app.search.outbox import EXPERTS
from app.search.sync import StagedIndex
from search_index.text import fold
from tenants.context import TenantContext
from tenants.services import list_sectors

# Imported experts confirm through a password link; a roster's people may take a while.
CONFIRM_LINK_LIFETIME = timedelta(days=14)
CHUNK = 5000  # rows per bulk write and per progress report
CHILD_COLUMNS = {"languages": ExpertLanguage, "education": ExpertEducation,
                 "work_history": ExpertWork, "skills": ExpertSkill,
                 "availability": ExpertAvailability}
# What each part's table gets from a row (beside tenant_id and profile_id).
PART_FIELDS = {"languages": ("language", "level"), "skills": ("skill_id",),
               "education": ("level", "field", "institution", "year"),
               "work_history": ("title", "employer", "country", "started_on", "ended_on",
                                "description"),
               "availability": ("kind", "starts_on", "ends_on")}
PROFILE_FIELDS = ("full_name", "phone", "gender", "birth_year", "nationality",
                  "residence_country", "residence_city", "years_experience", "headline",
                  "summary", "modality", "min_weeks", "max_weeks", "sectors")
# What an empty cell stores in the profile's NOT NULL columns.
NOT_NULL = {"phone": "", "residence_city": "", "headline": "", "summary": "", "sectors": []}
# The columns each bulk write fills (COPY: every NOT NULL column without a server default).
USER_COLUMNS = ("id", "email", "name", "preferred_locale", "password_hash", "status",
                "email_verified_at", "is_platform_admin")
MEMBERSHIP_COLUMNS = ("tenant_id", "user_id", "role", "status", "partner_agency_id",
                      "host_institution_id")
PROFILE_COLUMNS = ("id", "tenant_id", "user_id", "number", "status", "status_reason",
                   "submitted_at", "verified_at", "updated_at", "erased_at", "external_ref",
                   *PROFILE_FIELDS)
CONSENT_COLUMNS = ("tenant_id", "profile_id", "purpose", "notice_version", "source",
                   "granted_at", "withdrawn_at")
TOKEN_COLUMNS = ("id", "tenant_id", "token_hash", "user_id", "purpose", "expires_at",
                 "used_at")
MAIL_COLUMNS = ("tenant_id", "to_address", "subject", "body", "kind", "status", "attempts",
                "last_error", "locale", "context")
AUDIT_COLUMNS = ("tenant_id", "actor_id", "actor_label", "action", "object_type", "object_id",
                 "before", "after", "ip")
OUTBOX_COLUMNS = ("id", "tenant_id", "index", "object_id", "attempts", "last_error",
                  "next_attempt_at")
# Every table's columns as the rows of a chunk (write's _rows) hold them, ids first.
COLUMNS = {"users": USER_COLUMNS, "expert_profiles": PROFILE_COLUMNS,
           "memberships": ("id", *MEMBERSHIP_COLUMNS),
           **{model.__table__.name: ("id", "tenant_id", "profile_id", *PART_FIELDS[column])
              for column, model in CHILD_COLUMNS.items()},
           "one_time_tokens": TOKEN_COLUMNS, "outbox_mails": ("id", *MAIL_COLUMNS),
           "audit_events": ("id", *AUDIT_COLUMNS), "search_outbox": OUTBOX_COLUMNS,
           "expert_consents": ("id", *CONSENT_COLUMNS)}


@dataclass
class ExpertRecord:
    row: int
    ref: str
    email: str
    fields: dict                      # expert_profiles columns present in the file
    languages: list[tuple[str, str]] = field(default_factory=list)
    education: list[dict] = field(default_factory=list)
    work_history: list[dict] = field(default_factory=list)
    skills: list[uuid.UUID] = field(default_factory=list)
    new_skills: list[str] = field(default_factory=list)  # to add as free tags
    availability: list[dict] = field(default_factory=list)
    consents: list[str] = field(default_factory=list)
    # Decided against the database:
    profile_id: uuid.UUID | None = None    # None: a new profile
    user_id: uuid.UUID | None = None       # None: a new account
    new_membership: bool = False
    has_password: bool = False
    attach_ref: bool = False               # an existing profile receives the reference


@dataclass
class Vocabulary:
    sectors: dict[str, str]           # folded code or name -> code, of the offered sectors
    sector_labels: dict[str, str]     # code -> its name in the reader's language
    skills: dict                      # folded name/synonym/code -> Skill
    notice_version: int | None


async def vocabulary(db: AsyncSession, tenant: TenantContext) -> Vocabulary:
    """The mission's data a row is checked against. A deactivated sector is unknown here:
    records that hold it keep it, a file cannot give it to a new one."""
    sectors: dict[str, str] = {}
    labels: dict[str, str] = {}
    locale = current_locale()
    for sector in await list_sectors(db, tenant, active_only=True):
        sectors[fold(sector.code)] = sector.code
        labels[sector.code] = sector.display_name(locale)
        for name in (sector.names or {}).values():
            sectors.setdefault(fold(name), sector.code)
    version = await db.scalar(select(func.max(ConsentNotice.version)).where(
        ConsentNotice.tenant_id == tenant.id))
    return Vocabulary(sectors, labels, await skill_index(db, tenant), version)


class CellMemo:
    """What a multi-valued cell was read as, by column and text: a roster repeats the same
    languages, sectors, skills, consents, periods and degrees in row after row, and each
    reading is pure given the cell and the mission's vocabulary. Only a cell read without a
    problem, in a row without one so far, is kept (a row's earlier problem can make a
    reader stop early); each row gets its own copy of the list."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], list | None] = {}
        self.today = date.today()  # one day for the whole file

    def read(self, c: RowCheck, column: str, reader: Callable[[], list | None]) -> Any:
        raw = c.values.get(column)
        if raw.__class__ is not str or c.errors:
            return reader()
        key = (column, raw)
        value = self.values.get(key, _UNREAD)
        if value is _UNREAD:
            value = reader()
            if c.errors:
                return value
            self.values[key] = value
        return None if value is None else list(value)


_UNREAD: Any = object()


def check_row(row: SourceRow, present: set[str], vocab: Vocabulary,
              free_skills: bool = False,
              memo: CellMemo | None = None) -> tuple[ExpertRecord | None, list[RowError]]:
    """The row as a record, or its errors (file-level rules only; the database is asked
    later for the whole file at once). With free_skills, skills the vocabulary does not know
    are kept by name, to be added as free tags when the file is written."""
    c = RowCheck(row.number, row.values, present)
    memo = memo or CellMemo()
    ref = c.text("external_ref", 120, required=True)
    full_name = c.text("full_name", 200, required=True)
    email = normalise_email(c.raw("email"))
    if not email:
        c.fail("email", _("This field is required."))
    elif problem := email_problem(email):
        c.fail("email", problem)
    fields: dict = {"full_name": full_name}
    if "phone" in present:
        phone = c.text("phone", 40)
        if phone and not PHONE.match(phone):
            c.fail("phone", _("Enter a phone number with digits only, like +31 6 1234 5678."))
        fields["phone"] = phone
    if "gender" in present:
        fields["gender"] = c.choice("gender", GENDERS)
    if "birth_year" in present:
        fields["birth_year"] = c.integer("birth_year", 1930, memo.today.year - 18)
    for column in ("nationality", "residence_country"):
        if column in present:
            fields[column] = c.country(column)
    if "residence_city" in present:
        fields["residence_city"] = c.text("residence_city", 120)
    if "years_experience" in present:
        fields["years_experience"] = c.integer("years_experience", 0, 60)
    if "headline" in present:  # one line, as the profile form saves it, then measured
        fields["headline"] = headline = one_line(c.raw("headline"))
        if len(headline) > HEADLINE_LENGTH:
            c.fail("headline", _("Use at most %(n)s characters.") % {"n": HEADLINE_LENGTH})
    if "summary" in present:
        fields["summary"] = c.text("summary", 3000)
    if "modality" in present:
        fields["modality"] = c.choice("modality", MODALITIES)
    for column in ("min_weeks", "max_weeks"):
        if column in present:
            fields[column] = c.integer(column, 1, 104)
    if fields.get("min_weeks") and fields.get("max_weeks") \
            and fields["max_weeks"] < fields["min_weeks"]:
        c.fail("max_weeks", _("The longest assignment cannot be shorter than the shortest."))
    if "sectors" in present:
        fields["sectors"] = memo.read(c, "sectors", lambda: c.sectors(
            "sectors", vocab.sectors, vocab.sector_labels))
    record = ExpertRecord(row=row.number, ref=ref, email=email, fields=fields)
    if "languages" in present:
        record.languages = memo.read(c, "languages", lambda: c.languages("languages"))
    if "education" in present:
        record.education = memo.read(c, "education", lambda: _education(c))
    if "work_history" in present:
        record.work_history = _work(c, memo.today)
    if "skills" in present:
        if free_skills:  # unknown names are collected per record: read every time
            record.skills = [s.id for s in c.skills("skills", vocab.skills,
                                                    record.new_skills)]
        else:
            record.skills = memo.read(c, "skills", lambda: [
                s.id for s in c.skills("skills", vocab.skills)])
    if "availability" in present:
        record.availability = memo.read(c, "availability", lambda: _availability(c))
    consents = memo.read(c, "consents", lambda: _consents(c)) if "consents" in present \
        else None
    record.consents = ["matching"] if consents is None else consents
    return (record, []) if c.ok else (None, c.errors)


def _education(c: RowCheck) -> list[dict]:
    out = []
    this_year = date.today().year
    for parts in c.items("education", ("level", "field", "institution", "year"), "|"):
        if len(parts) != 4 or not all(parts[:3]):
            c.fail("education", _("Write each degree as level|field|institution|year, like "
                                  "7|Water engineering|University of Khartoum|2012."))
            return []
        level, field_, institution, year = parts
        if level not in EDUCATION_LEVELS:
            c.fail("education", unknown_value(level, EDUCATION_LEVELS))
            return []
        if len(field_) > 200 or len(institution) > 200:
            c.fail("education", _("Use at most %(n)s characters.") % {"n": 200})
            return []
        number = None
        if year:
            try:
                number = int(year)
            except ValueError:
                c.fail("education", _("Enter a whole number."))
                return []
            if not 1950 <= number <= this_year:
                c.fail("education", _("Enter a number from %(low)s to %(high)s.")
                       % {"low": 1950, "high": this_year})
                return []
        out.append(dict(level=level, field=field_, institution=institution, year=number))
    return out


def _work(c: RowCheck, today: date) -> list[dict]:
    out = []
    fields = ("title", "employer", "country", "started_on", "ended_on", "description")
    for parts in c.items("work_history", fields, "|"):
        parts = parts + [""] * (6 - len(parts)) if 4 <= len(parts) < 6 else parts
        if len(parts) != 6 or not (parts[0] and parts[1] and parts[3]):
            c.fail("work_history", _("Write each job as title|employer|country|start|end|"
                                     "description, like Engineer|Vitens|NL|2015-03-01||."))
            return []
        title, employer, country, started, ended, description = parts
        if len(title) > 200 or len(employer) > 200 or len(description) > 2000:
            c.fail("work_history", _("Use at most %(n)s characters.")
                   % {"n": 2000 if len(description) > 2000 else 200})
            return []
        country_code = c.country("work_history", country) if country else None
        started_on = c.parse_day("work_history", started)
        ended_on = c.parse_day("work_history", ended) if ended else None
        if not c.ok or started_on is None:  # parse_day's None comes with a failure
            return []
        if started_on > today:
            c.fail("work_history", _("A past job cannot start in the future."))
            return []
        if ended_on and ended_on < started_on:
            c.fail("work_history", _("The end comes before the start."))
            return []
        out.append(dict(title=title, employer=employer, country=country_code,
                        started_on=started_on, ended_on=ended_on, description=description))
    return out


def _availability(c: RowCheck) -> list[dict]:
    out = []
    value = c.values.get("availability")
    if isinstance(value, list):  # JSON objects: {"kind", "starts_on", "ends_on"}
        value = [f"{i.get('kind') or 'available'}:{i.get('starts_on') or ''}.."
                 f"{i.get('ends_on') or ''}" if isinstance(i, dict) else i for i in value]
        c.values = {**c.values, "availability": value}
    for parts in c.items("availability", None, ":"):
        kind = "available"
        if len(parts) == 2:
            kind, period = parts[0].lower(), parts[1]
        elif len(parts) == 1:
            period = parts[0]
        else:
            period = ""
        if kind not in AVAILABILITY_KINDS or period.count("..") != 1:
            c.fail("availability", _("Write each period as start..end, like "
                                     "2027-01-01..2027-03-31 (unavailable:start..end for a "
                                     "period away)."))
            return []
        start_raw, end_raw = (p.strip() for p in period.split(".."))
        starts = c.parse_day("availability", start_raw)
        ends = c.parse_day("availability", end_raw)
        if not c.ok or starts is None or ends is None:  # parse_day's None comes with a failure
            return []
        if ends < starts:
            c.fail("availability", _("The end comes before the start."))
            return []
        out.append(dict(kind=kind, starts_on=starts, ends_on=ends))
    return out


def _consents(c: RowCheck) -> list[str] | None:
    """The purposes listed; None for an empty cell (the roster said nothing: matching), an
    empty list for an explicit "none" (the expert agreed to nothing)."""
    out: list[str] = []
    items = [parts[0].lower() for parts in c.items("consents")]
    if not items:
        return None
    if NO_CONSENT in items:
        if len(items) > 1:
            c.fail("consents", _("“%(none)s” means no consent at all: list no purpose with "
                                 "it.") % {"none": NO_CONSENT})
        return []
    for purpose in items:
        if purpose not in CONSENT_PURPOSES:
            c.fail("consents", unknown_value(purpose, (*CONSENT_PURPOSES, NO_CONSENT)))
            return []
        if purpose not in out:
            out.append(purpose)
    return out


# --- the database's view of the file ---------------------------------------------------------

def _any(values: list, type_: TypeEngine | None = None):
    type_ = type_ if type_ is not None else String()
    return any_(cast(bindparam(None, values, type_=ARRAY(type_)), ARRAY(type_)))


async def resolve(db: AsyncSession, tenant: TenantContext,
                  records: list[ExpertRecord]) -> dict[int, RowError]:
    """Decide for every record whether it creates or updates, and which account it is;
    returns the rows that cannot be imported (row -> error). One query per table for the
    whole file."""
    refs = [r.ref for r in records]
    emails = [r.email for r in records]
    by_ref = {p.external_ref: p for p in (await db.execute(
        select(ExpertProfile.id, ExpertProfile.external_ref, ExpertProfile.user_id,
               ExpertProfile.erased_at)
        .where(ExpertProfile.tenant_id == tenant.id,
               ExpertProfile.external_ref == _any(refs)))).all()} if refs else {}
    users = {u.email: u for u in (await db.execute(
        select(User.id, User.email, User.status, User.has_password.label("pw"))
        .where(User.email == _any(emails)))).all()} if emails else {}
    user_ids = [u.id for u in users.values()] + [p.user_id for p in by_ref.values()
                                                  if p.user_id]
    memberships, profiles_of_user, emails_of = {}, {}, {}
    if user_ids:
        memberships = {m.user_id: m for m in (await db.execute(
            select(Membership.user_id, Membership.role, Membership.status).where(
                Membership.tenant_id == tenant.id,
                Membership.user_id == _any(user_ids, UUID(as_uuid=True))))).all()}
        profiles_of_user = {p.user_id: p for p in (await db.execute(
            select(ExpertProfile.id, ExpertProfile.user_id, ExpertProfile.external_ref,
                   ExpertProfile.erased_at).where(
                ExpertProfile.tenant_id == tenant.id,
                ExpertProfile.user_id == _any(user_ids, UUID(as_uuid=True))))).all()}
        emails_of = {u.id: u.email for u in (await db.execute(select(User.id, User.email).where(
            User.id == _any(user_ids, UUID(as_uuid=True))))).all()}
    refused: dict[int, RowError] = {}

    def refuse(record: ExpertRecord, column: str, reason: str) -> None:
        refused[record.row] = RowError(record.row, column, reason)

    for record in records:
        user = users.get(record.email)
        profile = by_ref.get(record.ref)
        if profile is not None:
            if profile.erased_at is not None or profile.user_id is None:
                refuse(record, "external_ref", _("This expert's personal data were erased: "
                                                 "the row cannot be imported again."))
            elif emails_of.get(profile.user_id) != record.email:
                refuse(record, "email", _("This reference belongs to an expert with another "
                                          "email address."))
            else:
                record.profile_id, record.user_id = profile.id, profile.user_id
                record.has_password = bool(user and user.pw)
            continue
        if user is None:
            continue  # a new account, membership and profile
        if user.status != "active":
            refuse(record, "email", _("This account is not active."))
            continue
        membership = memberships.get(user.id)
        if membership is not None and (membership.role != "expert"
                                       or membership.status != "active"):
            refuse(record, "email", _("This email address belongs to a member of the mission "
                                      "who is not an expert."))
            continue
        record.user_id, record.has_password = user.id, bool(user.pw)
        record.new_membership = membership is None
        own = profiles_of_user.get(user.id)
        if own is not None:
            if own.external_ref and own.external_ref != record.ref:
                refuse(record, "email", _("This email address belongs to the expert with "
                                          "reference %(ref)s.") % {"ref": own.external_ref})
                continue
            record.profile_id, record.attach_ref = own.id, True
    return refused


# --- writing ---------------------------------------------------------------------------------

@dataclass
class WriteContext:
    tenant: TenantContext
    actor: Actor
    initial_status: str
    notice_version: int
    present: set[str]
    batch_id: uuid.UUID | None
    confirm_link: Callable[[str], str]     # token -> link to choose a password
    sign_in_link: str                       # for people who already have a password
    search: StagedIndex | None = None       # documents built and handed over as it goes
    skills: dict = field(default_factory=dict)  # the vocabulary (Vocabulary.skills)


async def write(db: AsyncSession, ctx: WriteContext, records: list[ExpertRecord],
                progress: Callable[[int], Awaitable[None]] | None = None) -> tuple[int, int]:
    """Write the checked records (created, updated) in the caller's transaction: each
    table's rows of a chunk in one COPY (app.db.bulk), row-level security checking every
    row. Invitation mails keep what their template needs and are rendered when sent.
    The next chunk's rows are made in a thread (_rows, no database) while PostgreSQL takes
    this one's, so that the two cores work at once. With ctx.search, each chunk's documents
    are handed to the search engine once its rows are in, and it takes them while
    PostgreSQL writes the next chunk: a new profile's document is made in that thread with
    its rows, from what they hold (nothing else in the database can concern a profile
    that did not exist); an updated profile's is built from the database."""
    tenant, moment = ctx.tenant, now()
    tags = await _free_tags(db, tenant, records)
    skills: dict[uuid.UUID, tuple[str, list[str]]] | None = None  # as documents hold them
    if ctx.search is not None and ctx.search.active:
        distinct = {s.id: s for s in (*ctx.skills.values(), *tags)}
        skills = {i: (str(i), skill_texts(s)) for i, s in distinct.items()}
    chunks = [records[start:start + CHUNK] for start in range(0, len(records), CHUNK)]
    numbers: list[int] = []  # the first number of each chunk's new profiles
    if any(r.profile_id is None for r in records):
        # The numbering lock, held until commit.
        number = await next_number(db, tenant, ExpertProfile.number)
        for chunk in chunks:
            numbers.append(number)
            number += sum(1 for r in chunk if r.profile_id is None)
    else:
        numbers = [0] * len(chunks)
    bulk = await CopyWriter.of(db)
    created = updated = 0
    new_keys: dict[uuid.UUID, list[tuple[str, str]]] = {}  # of the new profiles (KEYS)
    making: asyncio.Future | None = None
    try:
        for k, chunk in enumerate(chunks):
            if making is None:
                making = asyncio.ensure_future(asyncio.to_thread(
                    _rows, ctx, chunk, numbers[k], moment, skills))
            rows = await making
            making = asyncio.ensure_future(asyncio.to_thread(
                _rows, ctx, chunks[k + 1], numbers[k + 1], moment, skills)) \
                if k + 1 < len(chunks) else None
            new, old, documents = rows.pop(NEW), rows.pop(OLD), rows.pop(DOCUMENTS)
            new_keys.update(rows.pop(KEYS))
            await bulk.write("users", USER_COLUMNS, rows.pop("users"))
            await bulk.write("expert_profiles", PROFILE_COLUMNS, rows.pop("expert_profiles"))
            if old:
                await _update_profiles(db, ctx, old, moment)
                await _clear_parts(db, ctx, [r.profile_id for r in old if r.profile_id])
            rows["expert_consents"] = await _consents_rows(db, ctx, new, old, moment)
            for table, table_rows in rows.items():  # parents first, as _rows made them
                await bulk.write(table, COLUMNS[table], table_rows)
            if ctx.search is not None:
                await ctx.search.add(db, [r.profile_id for r in old if r.profile_id],
                                     built=documents)
            created += len(new)
            updated += len(old)
            if progress is not None:
                await progress(len(chunk))
    finally:
        if making is not None:  # a write failed: let the thread finish, drop its rows
            await asyncio.gather(making, return_exceptions=True)
    # The same person under another reference or address, here or already in the mission.
    await flag_likely_duplicates(db, tenant, [r.profile_id for r in records if r.profile_id],
                                 new_keys)
    return created, updated


# _rows' records, beside the rows of each table; the new profiles' documents and the keys
# their likely duplicates are found by
NEW, OLD, DOCUMENTS, KEYS = "new", "old", "documents", "keys"


def _rows(ctx: WriteContext, chunk: list[ExpertRecord], number: int, moment: datetime,
          skills: dict[uuid.UUID, tuple[str, list[str]]] | None = None) -> dict[str, Any]:
    """Every row a chunk writes that needs no database read, by table, parents first, each
    with its id (ascending_ids: every index on the ids, or on (tenant_id, profile_id) in the
    parts, takes the chunk's rows on its last pages). New records get their account,
    membership, profile, password link and invitation here; with NEW and OLD, the chunk's
    records that create and that update a profile; with DOCUMENTS, given the skills' texts
    (skill id -> its id and texts), the new profiles' search documents; with KEYS, their
    keys as likely duplicates (app.experts.duplicates.profile_keys)."""
    tenant = ctx.tenant
    tid = tenant.id
    new = [r for r in chunk if r.profile_id is None]
    old = [r for r in chunk if r.profile_id is not None]
    users: list[tuple] = []
    members: list[tuple] = []
    profiles: list[tuple] = []
    mails: list[tuple] = []
    tokens: list[tuple] = []
    user_ids, profile_ids = iter(ascending_ids(len(new))), iter(ascending_ids(len(new)))
    for record in new:
        if record.user_id is None:
            record.user_id = next(user_ids)
            record.new_membership = True
            users.append((record.user_id, record.email, record.fields["full_name"][:200],
                          tenant.default_locale, None, "active", None, False))
        if record.new_membership:
            members.append((tid, record.user_id, "expert", "active", None, None))
        record.profile_id = next(profile_ids)
        profiles.append(_new_profile(ctx, record, number, moment))
        number += 1
    unconfirmed = [r for r in new if not r.has_password]
    links = iter(password_link_tokens(tenant, [r.user_id for r in unconfirmed if r.user_id],
                                      CONFIRM_LINK_LIFETIME))
    for record in new:
        link = ctx.sign_in_link
        if not record.has_password:
            token, values = next(links)
            tokens.append(tuple(values[c] for c in TOKEN_COLUMNS))
            link = ctx.confirm_link(token)
        mails.append((tid, record.email, "", "", "imported_expert", "pending", 0, "",
                      tenant.default_locale, json.dumps({
                          "name": record.fields["full_name"], "link": link,
                          "has_password": record.has_password})))
    rows: dict[str, Any] = {NEW: new, OLD: old, "users": users, "expert_profiles": profiles,
                            "memberships": members,
                            DOCUMENTS: {} if skills is None else {
                                r.profile_id: _document(r, profile, skills)
                                for r, profile in zip(new, profiles, strict=True)},
                            KEYS: {r.profile_id: profile_keys(*_duplicate_fields(profile))
                                   for r, profile in zip(new, profiles, strict=True)}}
    for column, model in CHILD_COLUMNS.items():
        if column not in ctx.present:
            continue
        fields = PART_FIELDS[column]
        parts: list[tuple]
        if column == "languages":
            parts = [(tid, r.profile_id, code, level) for r in chunk
                     for code, level in r.languages]
        elif column == "skills":
            parts = [(tid, r.profile_id, skill_id) for r in chunk for skill_id in r.skills]
        else:
            parts = [(tid, r.profile_id, *(item[f] for f in fields)) for r in chunk
                     for item in getattr(r, column)]
        rows[model.__table__.name] = parts
    batch = str(ctx.batch_id) if ctx.batch_id else None
    created = {r.profile_id for r in new}
    rows["one_time_tokens"] = tokens
    rows["outbox_mails"] = mails
    rows["audit_events"] = [(
        tid, ctx.actor.user_id, ctx.actor.label, "expert_profile.imported", "expert_profile",
        str(r.profile_id), "{}", json.dumps({"external_ref": r.ref, "row": r.row,
                                             "created": r.profile_id in created,
                                             "batch": batch}),
        ctx.actor.ip) for r in chunk]
    for table in rows.keys() - {NEW, OLD, DOCUMENTS, KEYS, "users", "expert_profiles",
                                "one_time_tokens"}:
        rows[table] = [(i, *row) for i, row in zip(ascending_ids(len(rows[table])),
                                                     rows[table], strict=True)]
    written = [r.profile_id for r in chunk if r.profile_id]  # every one, by now
    rows["search_outbox"] = [
        ctx.search.outbox_row(row_id, profile_id) if ctx.search is not None
        else (row_id, tid, EXPERTS, profile_id, 0, "", None)
        for row_id, profile_id in zip(ascending_ids(len(written)), written, strict=True)]
    return rows


async def _free_tags(db: AsyncSession, tenant: TenantContext,
                     records: list[ExpertRecord]) -> list[Skill]:
    """Skills the vocabulary did not know become free tags, as on the profile form (the same
    function, named in the uploader's language), and join their records' skills. Returns
    the skills the names became."""
    names = list(dict.fromkeys(n for r in records for n in r.new_skills))
    if not names:
        return []
    tags = await resolve_skill_names(db, tenant, names, current_locale())
    for record in records:
        for name in record.new_skills:
            if tags[name].id not in record.skills:
                record.skills.append(tags[name].id)
    return list(tags.values())


_DUPLICATE_FIELDS = tuple(PROFILE_COLUMNS.index(c) for c in ("full_name", "birth_year", "phone"))


def _duplicate_fields(profile: tuple) -> tuple:
    """A profile row's (PROFILE_COLUMNS) name, birth year and phone."""
    return tuple(profile[i] for i in _DUPLICATE_FIELDS)


def _document(record: ExpertRecord, profile: tuple,
              skills: dict[uuid.UUID, tuple[str, list[str]]]) -> dict | None:
    """The search document of a profile the import creates, from its profile row
    (PROFILE_COLUMNS) and the record's parts, as expert_documents would read them back: a
    new profile has no consent, part or evaluation but the import's."""
    values = dict(zip(PROFILE_COLUMNS, profile, strict=True))
    assert record.profile_id is not None  # given by _rows
    consents = set(record.consents)
    if values["status"] in NOT_INDEXED or "matching" not in consents:
        return None
    return expert_document(
        record.profile_id, values, skills=[skills[i] for i in record.skills],
        languages=record.languages,
        windows=[Window(a["kind"], a["starts_on"], a["ends_on"]) for a in record.availability],
        education=[(e["field"], e["level"]) for e in record.education],
        work=[(w["title"], w["employer"]) for w in record.work_history],
        consents=consents, evaluation=None)


def _new_profile(ctx: WriteContext, record: ExpertRecord, number: int,
                 moment: datetime) -> tuple:
    values = {name: NOT_NULL.get(name) for name in PROFILE_FIELDS}
    values.update({k: v for k, v in record.fields.items() if v is not None})
    verified = ctx.initial_status == "verified"
    return (record.profile_id, ctx.tenant.id, record.user_id, number, ctx.initial_status, "",
            moment, moment if verified else None, moment, None, record.ref,
            *(values[name] for name in PROFILE_FIELDS))


async def _update_profiles(db: AsyncSession, ctx: WriteContext, records: list[ExpertRecord],
                           moment: datetime) -> None:
    table = ExpertProfile.__table__
    columns = [c for c in PROFILE_FIELDS if c in ctx.present]
    values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in columns}
    statement = update(table).where(table.c.id == bindparam("b_id")).values(
        external_ref=bindparam("v_external_ref"), updated_at=bindparam("v_updated_at"),
        **values)
    await db.execute(statement, [dict(
        b_id=r.profile_id, v_external_ref=r.ref, v_updated_at=moment,
        **{f"v_{c}": r.fields.get(c) if r.fields.get(c) is not None else NOT_NULL.get(c)
           for c in columns}) for r in records])


async def _clear_parts(db: AsyncSession, ctx: WriteContext,
                       updated_ids: list[uuid.UUID]) -> None:
    """An updated profile's parts in the file's columns go, the file's take their place."""
    for column, model in CHILD_COLUMNS.items():
        if column in ctx.present:
            table = model.__table__
            await db.execute(delete(table).where(
                table.c.tenant_id == ctx.tenant.id,
                table.c.profile_id == _any(updated_ids, UUID(as_uuid=True))))


async def _consents_rows(db: AsyncSession, ctx: WriteContext, new: list[ExpertRecord],
                         old: list[ExpertRecord], moment: datetime) -> list[tuple]:
    """Grant what the roster says the expert agreed to; what is already granted stays as it
    is, and nothing is withdrawn (withdrawal is the expert's own act)."""
    active: set[tuple[uuid.UUID, str]] = set()
    if old:
        active = {(c.profile_id, c.purpose) for c in (await db.execute(
            select(ExpertConsent.profile_id, ExpertConsent.purpose).where(
                ExpertConsent.tenant_id == ctx.tenant.id,
                ExpertConsent.profile_id == _any([r.profile_id for r in old],
                                                 UUID(as_uuid=True)),
                ExpertConsent.withdrawn_at.is_(None)))).all()}
    rows = [(ctx.tenant.id, r.profile_id, purpose, ctx.notice_version, "imported_roster",
             moment, None) for r in (*new, *old) for purpose in r.consents
            if (r.profile_id, purpose) not in active]
    return [(i, *row) for i, row in zip(ascending_ids(len(rows)), rows, strict=True)]


def check_file(source: SourceFile, vocab: Vocabulary,
               free_skills: bool = False) -> tuple[list[ExpertRecord], list[RowError]]:
    """Every row of the file on its own, then duplicates within the file."""
    present = set(source.columns)
    records, errors = [], []
    refs = FirstSeen("external_ref", _("The same reference as row %(row)s."))
    emails = FirstSeen("email", _("The same email address as row %(row)s."))
    memo = CellMemo()
    for row in source.rows:
        record, row_errors = check_row(row, present, vocab, free_skills, memo)
        same_ref = refs.repeated(row.number, str(row.values.get("external_ref") or "").strip())
        same_email = emails.repeated(row.number,
                                     normalise_email(str(row.values.get("email") or "")))
        if repeated := same_ref or same_email:
            row_errors = [repeated]
        if row_errors:
            errors += row_errors
        else:
            assert record is not None  # check_row makes one when the row has no errors
            records.append(record)
    return records, errors
