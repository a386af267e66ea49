"""The expert's CV: checking an upload by its content, storing it through the document
storage and reading it back. The uploader's file name and declared type are never trusted:
only the bytes decide whether a file is a PDF or a Word document."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.identity import Actor
from app.accounts.services import FormErrors, now
from app.audit.services import record
from app.experts.models import ExpertDocument, ExpertProfile
from app.experts.profile_form import EDITABLE
from app.i18n import gettext as _
from app.storage import DocumentStorage, new_key
from tenants.context import TenantContext

log = logging.getLogger(__name__)

MB = 1024 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A CV is a few pages: anything that unpacks to more, or holds more parts, is refused
# before it is decompressed (a zip bomb is small on the wire and huge once opened).
MAX_DOCX_UNPACKED = 50 * MB
MAX_DOCX_ENTRIES = 1000
# The content type Word gives the main part of a .docx; macro-enabled documents (.docm)
# and templates (.dotx) use other types and are refused.
DOCX_MAIN_PART = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MAX_FILENAME = 200


def _not_a_cv() -> FormErrors:
    return FormErrors({"cv": _("Upload your CV as a PDF or Word (.docx) document.")})


def _megabytes(size: int) -> str:
    value = size / MB
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _is_pdf(data: bytes) -> bool:
    # A PDF starts with its header and ends with %%EOF (a few trailing bytes of line ends
    # or padding are common): a cut-off download has the header but not the end.
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def _is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_DOCX_ENTRIES:
                return False
            if sum(entry.file_size for entry in entries) > MAX_DOCX_UNPACKED:
                return False
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                return False
            # Reading the two parts checks their CRC, so a damaged archive with an intact
            # directory is refused too; the sizes were bounded above.
            content_types = archive.read("[Content_Types].xml")
            document = archive.read("word/document.xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            RuntimeError, NotImplementedError):
        # RuntimeError: encrypted entries; NotImplementedError: unknown compression.
        return False
    return DOCX_MAIN_PART in content_types and document.lstrip().startswith(b"<")


def validate_cv(filename: str, data: bytes, max_bytes: int) -> tuple[str, str]:
    """(content type, extension) of an acceptable CV, else FormErrors with the reason under
    the key "cv". The file name plays no part: a renamed file is judged by its bytes."""
    if not data:
        raise FormErrors({"cv": _("The file is empty. Choose your CV file again.")})
    if len(data) > max_bytes:
        raise FormErrors({"cv": _("The file is larger than %(mb)s MB. Upload a smaller file, "
                                  "for example a PDF saved at a lower image quality.")
                          % {"mb": _megabytes(max_bytes)}})
    if _is_pdf(data):
        return PDF, ".pdf"
    if _is_docx(data):
        return DOCX, ".docx"
    raise _not_a_cv()


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def clean_filename(filename: str, extension: str) -> str:
    """The name shown and offered on download: the last path part only (browsers on Windows
    may send a full path), no control characters, at most MAX_FILENAME characters, and
    ending with the extension the content proved."""
    name = _UNSAFE.sub("", re.split(r"[\\/]", filename or "")[-1]).strip().strip(".")
    if not name:
        name = "cv"
    if not name.lower().endswith(extension):
        name += extension
    if len(name) > MAX_FILENAME:
        name = name[:MAX_FILENAME - len(extension)].rstrip() + extension
    return name


def content_disposition(filename: str) -> str:
    """An attachment header that no file name can break: a plain ASCII fallback and the
    exact name in RFC 5987 form for browsers that read it."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name).strip() or "cv"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def current_cv(db: AsyncSession, tenant: TenantContext,
                     profile: ExpertProfile) -> ExpertDocument | None:
    return await db.scalar(select(ExpertDocument).where(
        ExpertDocument.tenant_id == tenant.id, ExpertDocument.profile_id == profile.id,
        ExpertDocument.kind == "cv").order_by(ExpertDocument.created_at.desc()).limit(1))


async def save_cv(db: AsyncSession, tenant: TenantContext, actor: Actor, profile: ExpertProfile,
                  filename: str, data: bytes, storage: DocumentStorage, *,
                  max_bytes: int) -> ExpertDocument:
    """Check the file, store it and make it the profile's CV, replacing the previous one.

    The bytes are written first and the row committed after; if the database refuses, the
    new file is removed again. The old file is removed only once the new CV is committed,
    so a failure at any point leaves the expert with one complete CV."""
    if profile.status not in EDITABLE:
        raise FormErrors({"cv": _("A withdrawn profile cannot be edited. Rejoin first.")})
    content_type, extension = validate_cv(filename, data, max_bytes)
    name = clean_filename(filename, extension)
    digest = hashlib.sha256(data).hexdigest()
    key = new_key(tenant.id, "cv", extension)
    await storage.put(key, data)
    try:
        # Two uploads at once for the same profile must not both keep their row.
        await db.execute(select(ExpertProfile.id).where(
            ExpertProfile.tenant_id == tenant.id, ExpertProfile.id == profile.id)
            .with_for_update())
        previous = list(await db.scalars(select(ExpertDocument).where(
            ExpertDocument.tenant_id == tenant.id, ExpertDocument.profile_id == profile.id,
            ExpertDocument.kind == "cv")))
        old_keys = [doc.storage_key for doc in previous]
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
    except BaseException:
        await db.rollback()
        await storage.delete(key)
        raise
    for old_key in old_keys:
        try:
            await storage.delete(old_key)
        except OSError:
            # The new CV is saved; a leftover old file is only disk space, not an error
            # for the expert.
            log.warning("could not remove replaced CV file %s", old_key, exc_info=True)
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
