"""Uploaded documents (CVs, terms of reference): checking a file by its content and
offering it back for download. The uploader's file name and declared type are never
trusted: only the bytes decide whether a file is a PDF or a Word document."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from urllib.parse import quote

from litestar.response import Response

from app.core.errors import FormErrors
from app.i18n import gettext as _

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


def validate_document(data: bytes, max_bytes: int, field: str,
                      wrong_type: str) -> tuple[str, str]:
    """(content type, extension) of an acceptable PDF or Word document, else FormErrors with
    the reason under `field` (wrong_type says what was expected). The file name plays no
    part: a renamed file is judged by its bytes."""
    if not data:
        raise FormErrors({field: _("The file is empty. Choose the file again.")})
    if len(data) > max_bytes:
        raise FormErrors({field: _("The file is larger than %(mb)s MB. Upload a smaller file, "
                                   "for example a PDF saved at a lower image quality.")
                          % {"mb": _megabytes(max_bytes)}})
    if _is_pdf(data):
        return PDF, ".pdf"
    if _is_docx(data):
        return DOCX, ".docx"
    raise FormErrors({field: wrong_type})


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def clean_filename(filename: str, extension: str, default: str = "document") -> str:
    """The name shown and offered on download: the last path part only (browsers on Windows
    may send a full path), no control characters, at most MAX_FILENAME characters, and
    ending with the extension the content proved."""
    name = _UNSAFE.sub("", re.split(r"[\\/]", filename or "")[-1]).strip().strip(".")
    if not name:
        name = default
    if not name.lower().endswith(extension):
        name += extension
    if len(name) > MAX_FILENAME:
        name = name[:MAX_FILENAME - len(extension)].rstrip() + extension
    return name


def content_disposition(filename: str) -> str:
    """An attachment header that no file name can break: a plain ASCII fallback and the
    exact name in RFC 5987 form for browsers that read it."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name).strip() or "document"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(filename: str, content_type: str, data: bytes) -> Response:
    return Response(content=data, media_type=content_type, headers={
        "Content-Disposition": content_disposition(filename),
        # Personal or internal data: never kept by shared caches or the browser's disk cache.
        "Cache-Control": "private, no-store",
    })
