"""The request's terms of reference as a file: checked like a CV (app.documents), stored
through the document storage, one per request (a new upload replaces the old one)."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignment_requests.form import check_editable
from app.assignment_requests.models import AssignmentRequest, RequestDocument
from app.assignment_requests.services import RequestActionRefused, terms_document
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors
from app.documents import clean_filename, validate_document
from app.i18n import gettext as _
from app.storage import DocumentStorage, new_key, store_replacing
from tenants.context import TenantContext

log = logging.getLogger(__name__)


async def save_terms_document(db: AsyncSession, tenant: TenantContext, actor: Actor,
                              request: AssignmentRequest, filename: str, data: bytes,
                              storage: DocumentStorage, *, max_bytes: int) -> RequestDocument:
    """Store the file and make it the request's terms of reference, replacing the previous
    one (app.storage.store_replacing: a failure at any point leaves one complete file)."""
    try:
        check_editable(actor, request)
    except RequestActionRefused as exc:
        raise FormErrors({"document": exc.message}) from None
    content_type, extension = validate_document(
        data, max_bytes, "document",
        _("Upload the terms of reference as a PDF or Word (.docx) document."))
    name = clean_filename(filename, extension, default="terms-of-reference")
    digest = hashlib.sha256(data).hexdigest()
    key = new_key(tenant.id, "tor", extension)
    document: RequestDocument | None = None

    async def save_rows() -> list[str]:
        nonlocal document
        previous = list(await db.scalars(select(RequestDocument).where(
            RequestDocument.tenant_id == tenant.id, RequestDocument.request_id == request.id)))
        for doc in previous:
            await db.delete(doc)
        document = RequestDocument(tenant_id=tenant.id, request_id=request.id, filename=name,
                                   content_type=content_type, size=len(data), sha256=digest,
                                   storage_key=key)
        db.add(document)
        request.updated_at = now()
        record(db, tenant.id, actor, "assignment_request.document_uploaded",
               "assignment_request", request.id,
               after={"filename": name, "size": len(data), "sha256": digest})
        await db.commit()
        return [doc.storage_key for doc in previous]

    await store_replacing(db, storage, key, data, save_rows)
    assert document is not None  # save_rows made it, or store_replacing raised
    return document


async def read_terms_document(db: AsyncSession, tenant: TenantContext,
                              request: AssignmentRequest,
                              storage: DocumentStorage) -> tuple[RequestDocument, bytes] | None:
    document = await terms_document(db, tenant, request)
    if document is None:
        return None
    try:
        return document, await storage.get(document.storage_key)
    except FileNotFoundError:
        log.error("terms of reference %s has no stored file (%s)", document.id,
                  document.storage_key)
        return None
