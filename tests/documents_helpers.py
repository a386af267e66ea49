"""Real CV files for tests (a PDF and a Word document as their programs write them, and
broken ones), and an expert profile with a stored CV for the route-driven suites."""

from __future__ import annotations

import io
import uuid
import zipfile

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.clock import now
from app.core.roles import permissions_for
from app.documents import MB
from app.experts.documents import save_cv
from app.experts.services import own_profile
from app.storage import LocalDiskStorage
from tenants.context import TenantContext, tenant_scope
from tests.conftest import base_test_settings


def minimal_pdf(text: str = "Curriculum vitae") -> bytes:
    """A small but complete PDF 1.4 (one page with a line of text), cross-reference table
    with correct offsets, ending with %%EOF."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def _document_xml(text: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>')


def minimal_docx(text: str = "Curriculum vitae", parts: dict[str, str] | None = None) -> bytes:
    """A Word document with the parts Word itself needs (content types, package
    relationships, the main document); `parts` replaces or adds parts."""
    files = {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS,
             "word/document.xml": _document_xml(text)}
    files.update(parts or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_without_document() -> bytes:
    """A zip (say, an .xlsx or a folder of files) that is not a Word document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def zip_with_many_entries(count: int = 1500) -> bytes:
    """A real Word document padded with more parts than any CV has."""
    return minimal_docx(parts={f"word/media/pad{i}.xml": "<p/>" for i in range(count)})


def zip_bomb(unpacked_mb: int = 60) -> bytes:
    """A Word document whose one extra part unpacks to more than the limit (it is a few
    tens of kilobytes on the wire)."""
    return minimal_docx(parts={"word/media/huge.xml": "0" * (unpacked_mb * MB)})


NOT_A_CV = "Upload your CV as a PDF or Word (.docx) document."


def malformed_files() -> dict[str, tuple[str, bytes, str]]:
    """What the upload must refuse: name -> (file name sent, bytes, start of the reason shown
    next to the field). Built on demand: the zip bomb takes a moment to pack."""
    return {
        "empty": ("cv.pdf", b"", "The file is empty."),
        "text renamed .pdf": ("cv.pdf", b"Jane Doe\nWater engineer, 12 years\n" * 20, NOT_A_CV),
        "truncated pdf": ("cv.pdf", minimal_pdf()[:-200], NOT_A_CV),
        "png": ("cv.pdf", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200, NOT_A_CV),
        "exe renamed .docx": ("cv.docx", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500, NOT_A_CV),
        "old word .doc": ("cv.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000, NOT_A_CV),
        "zip without word/document.xml": ("cv.docx", zip_without_document(), NOT_A_CV),
        "truncated docx": ("cv.docx", minimal_docx()[:-60], NOT_A_CV),
        "zip with too many entries": ("cv.docx", zip_with_many_entries(), NOT_A_CV),
        "zip bomb": ("cv.docx", zip_bomb(), NOT_A_CV),
        "macro-enabled word .docm": ("cv.docx", minimal_docx(parts={
            "[Content_Types].xml": CONTENT_TYPES.replace(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                "application/vnd.ms-word.document.macroEnabled.main+xml")}), NOT_A_CV),
    }


def app_storage() -> LocalDiskStorage:
    """The storage the app under test uses (tests.conftest.TEST_DOCUMENTS_DIR)."""
    return LocalDiskStorage(base_test_settings().documents_dir)


async def a_cv_for(db: AsyncSession, tenant: TenantContext, user: User):
    """The person's expert profile in `tenant` (made if missing) with a CV stored through
    the real service."""
    actor = Actor(user_id=user.id, email=user.email, name=user.name, role="expert",
                  permissions=permissions_for("expert", False))
    with tenant_scope(tenant):
        profile = await own_profile(db, tenant, actor, create=True)
        await save_cv(db, tenant, actor, profile, "cv.pdf", minimal_pdf(), app_storage(),
                      max_bytes=base_test_settings().max_upload_mb * MB)
        return profile


async def an_expert_profile_with_a_cv(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    """An expert's profile in `tenant` with a CV stored through the real service."""
    user = User(email=f"cv-{uuid.uuid4().hex[:10]}@example.org", name="CV Test Expert",
                status="active", email_verified_at=now())
    db.add(user)
    await db.commit()
    return (await a_cv_for(db, tenant, user)).id
