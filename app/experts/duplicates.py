"""Likely duplicate experts: the same person imported twice under two references, or
registered again under another address. Two profiles of the mission are a likely pair when
they have the same name (folded: case, accents, Arabic letter forms and word order aside)
and the same birth year, or the same phone number (its last nine digits, so +249 912 345 678
and 0912 345 678 meet). Staff see the pairs side by side (app/matching/duplicates.py) and
merge them or dismiss them; a dismissed pair is kept, so it is never flagged again.

Flagging runs in the writer's transaction: after an import's rows are written and after an
expert saves their personal details."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from litestar.exceptions import NotFoundException
from sqlalchemy import all_, bindparam, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Refusal
from app.db.bulk import ascending_ids
from app.experts.models import DUPLICATE_REASONS, ExpertDuplicate, ExpertProfile
from app.i18n import gettext as _
from search_index.text import fold
from tenants.context import TenantContext

PHONE_DIGITS = 9
# More profiles than this sharing a key is a placeholder (a switchboard, "000000000"),
# not one person: such a group is not flagged.
MAX_GROUP = 5


class DuplicateRefused(Refusal):
    """A pair already decided, or a merge that names neither profile of the pair."""


def name_key(full_name: str, birth_year: int | None) -> str | None:
    words = sorted(fold(full_name).split())
    if birth_year is None or len(words) < 2:
        return None
    return f"{' '.join(words)}|{birth_year}"


def phone_key(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_DIGITS else None


def profile_keys(full_name: str, birth_year: int | None,
                 phone: str) -> list[tuple[str, str]]:
    """(reason, key) of each way a profile can meet another."""
    keys = []
    if (key := name_key(full_name, birth_year)) is not None:
        keys.append(("name_birth_year", key))
    if (key := phone_key(phone)) is not None:
        keys.append(("phone", key))
    return keys


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if a < b else (b, a)


# The pairs as four arrays: one statement however many (a VALUES list of an import's
# thousands of pairs took longer to compile than to run), answering with how many are new
# (not the ids of all of them). Their ids are made here (ascending_ids), not by
# gen_random_uuid(), 5-9 µs a row in the embedded server's build.
_INSERT_PAIRS = text("""
    WITH added AS (
        INSERT INTO expert_duplicates (id, tenant_id, profile_id, other_id, reason, status)
        SELECT id, :tenant, a, b, reason, 'open'
        FROM unnest(CAST(:ids AS uuid[]), CAST(:a AS uuid[]), CAST(:b AS uuid[]),
                    CAST(:reasons AS text[])) AS pairs(id, a, b, reason)
        ON CONFLICT (tenant_id, profile_id, other_id) DO NOTHING
        RETURNING 1)
    SELECT count(*) FROM added""")


async def flag_likely_duplicates(
        db: AsyncSession, tenant: TenantContext, profile_ids: list[uuid.UUID],
        new: Mapping[uuid.UUID, list[tuple[str, str]]] | None = None) -> int:
    """Record every likely pair that one of these profiles makes with another profile of
    the mission (not erased, not already merged away); pairs already recorded, dismissed
    ones included, stay as they are. Returns how many pairs are new. Does not commit.
    new: the keys (profile_keys) of profiles the caller has just created, among these,
    from the values it wrote: the others are read, not those (an import of 100,000 rows
    read them all back and worked their keys out again at its end)."""
    if not profile_ids:
        return 0
    new = new or {}
    statement = select(
        ExpertProfile.id, ExpertProfile.full_name, ExpertProfile.birth_year,
        ExpertProfile.phone).where(ExpertProfile.tenant_id == tenant.id,
                                   ExpertProfile.erased_at.is_(None),
                                   ExpertProfile.duplicate_of_id.is_(None))
    if new:
        statement = statement.where(ExpertProfile.id != all_(bindparam(
            None, list(new), type_=ARRAY(PG_UUID(as_uuid=True)))))
    keys: dict[uuid.UUID, list[tuple[str, str]]] = {
        row.id: profile_keys(row.full_name, row.birth_year, row.phone)
        for row in await db.execute(statement)}
    keys.update(new)
    groups: dict[str, dict[str, list[uuid.UUID]]] = {reason: defaultdict(list)
                                                     for reason in DUPLICATE_REASONS}
    for profile_id, mine in keys.items():
        for reason, key in mine:
            groups[reason][key].append(profile_id)
    # Group by group, not profile by profile: an import's profiles are most of the
    # mission's, and most of their groups have one member. A pair that meets both ways
    # is recorded with the first reason.
    wanted = set(profile_ids)
    found: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
    for reason in DUPLICATE_REASONS:  # profile_keys' order
        for members in groups[reason].values():
            if not 1 < len(members) <= MAX_GROUP:
                continue
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    if a in wanted or b in wanted:
                        found.setdefault(_pair(a, b), reason)
    if not found:
        return 0
    return await db.scalar(_INSERT_PAIRS, {
        "tenant": tenant.id, "ids": ascending_ids(len(found)), "a": [a for a, _ in found],
        "b": [b for _, b in found], "reasons": list(found.values())}) or 0



async def open_duplicates(db: AsyncSession, tenant: TenantContext,
                          limit: int = 200) -> list[ExpertDuplicate]:
    """The pairs waiting for staff, oldest first; a pair one of whose profiles has since
    been merged into a third one, or erased, waits no longer."""
    merged = select(ExpertProfile.id).where(
        ExpertProfile.tenant_id == tenant.id,
        or_(ExpertProfile.duplicate_of_id.is_not(None), ExpertProfile.erased_at.is_not(None)))
    return list(await db.scalars(select(ExpertDuplicate).where(
        ExpertDuplicate.tenant_id == tenant.id, ExpertDuplicate.status == "open",
        ExpertDuplicate.profile_id.not_in(merged), ExpertDuplicate.other_id.not_in(merged))
        .order_by(ExpertDuplicate.created_at, ExpertDuplicate.id).limit(limit)))


async def get_open_duplicate(db: AsyncSession, tenant: TenantContext,
                             duplicate_id: uuid.UUID) -> ExpertDuplicate:
    """The mission's pair, locked for the decision, or 404; refused once decided."""
    pair = await db.scalar(select(ExpertDuplicate).where(
        ExpertDuplicate.tenant_id == tenant.id, ExpertDuplicate.id == duplicate_id)
        .with_for_update())
    if pair is None:
        raise NotFoundException()
    if pair.status != "open":
        raise DuplicateRefused(_("This pair was already decided."))
    return pair


def decide(pair: ExpertDuplicate, actor: Actor, status: str, moment: datetime) -> None:
    pair.status, pair.decided_at, pair.decided_by_id = status, moment, actor.user_id


async def dismiss_duplicate(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            duplicate_id: uuid.UUID) -> ExpertDuplicate:
    """Two different people after all: the pair is kept as dismissed, never flagged again."""
    pair = await get_open_duplicate(db, tenant, duplicate_id)
    decide(pair, actor, "dismissed", now())
    record(db, tenant.id, actor, "expert_duplicate.dismissed", "expert_duplicate", pair.id,
           after={"profiles": [str(pair.profile_id), str(pair.other_id)],
                  "reason": pair.reason})
    await db.commit()
    return pair
