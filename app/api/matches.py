"""An assignment request and its ranked candidates, as the API answers them and `portal
match` prints them: apart from the rest of the API's reads so that the command line
imports only matching and what it needs."""

from __future__ import annotations

import uuid

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import schemas
from app.assignment_requests.models import AssignmentRequest
from app.matching.services import MatchFilters, find_candidates
from search_index import SearchBackend
from tenants.context import TenantContext

# A draft is still the institution's work in progress.
HIDDEN_REQUEST_STATUSES = ("draft",)


def visible_requests(tenant: TenantContext) -> list:
    return [AssignmentRequest.tenant_id == tenant.id,
            AssignmentRequest.status.not_in(HIDDEN_REQUEST_STATUSES)]


async def visible_request(db: AsyncSession, tenant: TenantContext,
                          request_id: uuid.UUID) -> AssignmentRequest:
    request = await db.scalar(select(AssignmentRequest).where(
        *visible_requests(tenant), AssignmentRequest.id == request_id))
    if request is None:
        raise NotFoundException("no such assignment request")
    return request


async def request_id_for(db: AsyncSession, tenant: TenantContext, reference: str) -> uuid.UUID:
    """A request's id from its id or its number ("12" or "#12", as the pages show it)."""
    reference = reference.strip().removeprefix("#")
    try:
        return uuid.UUID(reference)
    except ValueError:
        pass
    if not reference.isdigit() or len(reference) > 9:
        raise NotFoundException("no such assignment request")
    request_id = await db.scalar(select(AssignmentRequest.id).where(
        *visible_requests(tenant), AssignmentRequest.number == int(reference)))
    if request_id is None:
        raise NotFoundException("no such assignment request")
    return request_id


async def request_matches(db: AsyncSession, tenant: TenantContext, search: SearchBackend,
                          request_id: uuid.UUID, limit: int,
                          locale: str = "en") -> schemas.Matches:
    """The request's ranked candidates as the workspace shows them (the API and `portal
    match` both answer with this)."""
    request = await visible_request(db, tenant, request_id)
    found = await find_candidates(db, tenant, search, request, MatchFilters(), locale,
                                  limit=limit)
    return schemas.matches_out(request, found, locale)
