"""Running imports from tests: the service the command line and the pages share."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select

from app.core.actor import Actor
from app.experts.models import ExpertProfile
from app.imports.services import Links, Outcome, read_upload, run_import
from tenants.context import TenantContext, tenant_scope

DOCS = Path(__file__).resolve().parent.parent / "docs" / "import"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ACTOR = Actor(email="tests@example.org", name="Tests")
LINKS = Links("http://testserver.local")


async def import_bytes(session_factory, tenant: TenantContext, data: bytes, kind="experts",
                       status="submitted", valid_only=False, dry_run=False, search=None,
                       progress=None) -> Outcome:
    source = read_upload(data, kind)
    return await run_import(session_factory, tenant, ACTOR, source, kind, status, valid_only,
                            links=LINKS, dry_run=dry_run, search=search, progress=progress)


def csv_bytes(header: str, *rows: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


async def count_profiles(session_factory, tenant: TenantContext, **where) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            query = select(func.count()).select_from(ExpertProfile).where(
                ExpertProfile.tenant_id == tenant.id)
            for key, value in where.items():
                query = query.where(getattr(ExpertProfile, key) == value)
            return await db.scalar(query)


async def wipe_profiles(session_factory, tenant: TenantContext, refs: list[str]) -> None:
    with tenant_scope(tenant):
        async with session_factory() as db:
            await db.execute(delete(ExpertProfile).where(ExpertProfile.tenant_id == tenant.id,
                                                         ExpertProfile.external_ref.in_(refs)))
            await db.commit()


async def an_import_batch(db, tenant: TenantContext):
    """A checked import of one invalid row (nothing to run, a rejected-rows file to download),
    made through the real service and kept in the app's storage."""
    data = csv_bytes("external_ref,full_name,email", "ISO-1,No Address,")
    return (await a_checked_batch(db, tenant, "bad.csv", data)).id


async def a_checked_batch(db, tenant: TenantContext, filename: str, data: bytes,
                          actor=ACTOR, kind: str = "experts", initial_status: str = "submitted"):
    """An upload and its check, as the upload page and the worker make them."""
    from app.imports.services import check_batch, receive_upload
    from tests.documents_helpers import app_storage

    with tenant_scope(tenant):
        batch = await receive_upload(db, tenant, actor, app_storage(), kind, filename, data,
                                     initial_status, "en")
        return await check_batch(db, app_storage(), tenant, actor, batch.id)
