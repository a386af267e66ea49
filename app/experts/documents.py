"""The expert's CV: checked by its content (app.documents), stored through the document
storage and read back."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors
from app.documents import clean_filename, validate_document
from app.experts.models import ExpertDocument, ExpertProfile
from app.experts.profile_form import EDITABLE
from app.i18n import gettext as _
from app.storage import DocumentStorage, new_key, store_replacing
from tenants.context import TenantContext

log = logging.getLogger(__name__)


def validate_cv(filename: str, data: bytes, max_bytes: int) -> tuple[str, str]:
    """(content type, extension) of an acceptable CV, else FormErrors under "cv"."""
    return validate_document(data, max_bytes, "cv",
                             _("Upload your CV as a PDF or Word (.docx) document."))


async def current_cv(db: AsyncSession, tenant: TenantContext,
                     profile: ExpertProfile) -> ExpertDocument | None:
    return await db.scalar(select(ExpertDocument).where(
        ExpertDocument.tenant_id == tenant.id, ExpertDocument.profile_id == profile.id,
        ExpertDocument.kind == "cv").order_by(ExpertDocument.created_at.desc()).limit(1))


async def save_cv(db: AsyncSession, tenant: TenantContext, actor: Actor, profile: ExpertProfile,
                  filename: str, data: bytes, storage: DocumentStorage, *,
                  max_bytes: int) -> ExpertDocument:
    """Check the file, store it and make it the profile's CV, replacing the previous one
    (app.storage.store_replacing: a failure at any point leaves one complete CV)."""
    if profile.status not in EDITABLE:
        raise FormErrors({"cv": _("A withdrawn profile cannot be edited. Rejoin first.")})
    content_type, extension = validate_cv(filename, data, max_bytes)
    name = clean_filename(filename, extension, default="cv")
    digest = hashlib.sha256(data).hexdigest()
    key = new_key(tenant.id, "cv", extension)
    document: ExpertDocument | None = None

    async def save_rows() -> list[str]:
        nonlocal document
        # Two uploads at once for the same profile must not both keep their row.
        await db.execute(select(ExpertProfile.id).where(
            ExpertProfile.tenant_id == tenant.id, ExpertProfile.id == profile.id)
            .with_for_update())
        previous = list(await db.scalars(select(ExpertDocument).where(
            ExpertDocument.tenant_id == tenant.id, ExpertDocument.profile_id == profile.id,
            ExpertDocument.kind == "cv")))
        before = ({"filename": previous[0].filename, "size": previous[0].size,
                   "sha256": previous[0].sha256} if previous else None)
        for doc in previous:
            await db.delete(doc)
        document = ExpertDocument(tenant_id=tenant.id, profile_id=profile.id, kind="cv",
                                  filename=name, content_type=content_type, size=len(data),
                                  sha256=digest, storage_key=key)
        db.add(document)
        profile.updated_at = now()
        # Metadata only: the audit trail never holds the document itself.
        record(db, tenant.id, actor, "expert_profile.cv_uploaded", "expert_profile", profile.id,
               before=before, after={"filename": name, "size": len(data),
                                     "content_type": content_type, "sha256": digest})
        await db.commit()
        return [doc.storage_key for doc in previous]

    await store_replacing(db, storage, key, data, save_rows)
    assert document is not None  # save_rows made it, or store_replacing raised
    return document


async def read_cv(db: AsyncSession, tenant: TenantContext, profile: ExpertProfile,
                  storage: DocumentStorage) -> tuple[ExpertDocument, bytes] | None:
    """The profile's CV and its bytes, or None when there is none (or its file is gone)."""
    document = await current_cv(db, tenant, profile)
    if document is None:
        return None
    try:
        data = await storage.get(document.storage_key)
    except FileNotFoundError:
        log.error("CV %s of profile %s has no stored file (%s)", document.id, profile.id,
                  document.storage_key)
        return None
    return document, data
