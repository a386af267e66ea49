"""Loading a public skills taxonomy (ESCO's skills CSV, or any file shaped like it) into a
mission's skills vocabulary: `portal skills import FILE.csv --tenant SLUG`.

Reading is pure (bytes -> validated rows, every problem reported with its row number);
writing is one transaction, so a file is imported whole or not at all. Skills are upserted
by a code derived from the concept URI, so importing a newer release or another language
of the same taxonomy updates the skills in place instead of adding duplicates.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Executable, String, literal_column
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.services import record
from app.core.actor import Actor
from app.core.errors import Refusal
from app.experts.models import Skill
from app.i18n import SUPPORTED_LOCALES
from tenants.context import TenantContext, tenant_scope

REQUIRED_COLUMNS = ("conceptUri", "preferredLabel")
OPTIONAL_COLUMNS = ("altLabels",)
MAX_LABEL = 200  # skills.synonyms is varchar(200)[]; names follow the same rule
MAX_URI = 300  # skills.external_uri
MAX_CODE = 120  # skills.code
MAX_PROBLEMS_SHOWN = 20
BATCH = 1000  # rows per progress step
SOURCE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
# ESCO's concept URIs all start so; the rest ('skill/<uuid>') is what tells concepts apart.
ESCO_PREFIX = "data.europa.eu/esco/"
_OTHER_BOMS = [(codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
               (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")]


class SkillsImportError(Refusal):
    """A file or option that cannot be imported; the message says what and where."""

    status = 400


@dataclass(frozen=True)
class SkillRow:
    code: str
    name: str
    synonyms: tuple[str, ...]
    external_uri: str
    row: int  # CSV record number, the header being row 1


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


def check_options(locale: str, source: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise SkillsImportError(f"--locale {locale!r}: choose one of the portal's languages "
                                f"({', '.join(SUPPORTED_LOCALES)})")
    if not SOURCE_RE.match(source):
        raise SkillsImportError(f"--source {source!r}: use 1-16 lower-case letters, digits, "
                                "'_' or '-', starting with a letter (e.g. esco)")


def decode(data: bytes, name: str = "the file") -> str:
    """UTF-8, with or without a byte-order mark; anything else is refused, never guessed
    (a wrong guess would store mangled names in every language)."""
    for bom, encoding in _OTHER_BOMS:
        if data.startswith(bom):
            raise SkillsImportError(f"{name} is {encoding} text; save it as UTF-8 and try again")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SkillsImportError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line} is not "
            "valid UTF-8; the file is probably in a Windows or Latin-1 encoding). Save it as "
            "UTF-8 (ESCO's downloads are UTF-8) and try again") from None


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slug(text: str) -> str:
    # Arabic letters are kept: an Arabic-only label still gets a readable, stable code.
    return re.sub(r"[^a-z0-9\u0600-\u06ff]+", "-", fold(text)).strip("-")


def code_for(uri: str, label: str, source: str) -> str:
    """A stable code: from the concept URI when there is one (labels change between
    releases, URIs do not), else from the label. Too long: cut, plus a hash of the whole."""
    if uri:
        base = re.sub(r"^[a-z]+://", "", uri.strip(), flags=re.IGNORECASE)
        if base.startswith(ESCO_PREFIX):
            base = base[len(ESCO_PREFIX):]
        key = slug(base)
    else:
        key = slug(label)
    # Nothing left after slugging (a label of punctuation only): the hash still tells apart.
    key = key or hashlib.sha1((uri or label).encode()).hexdigest()[:12]
    prefix = f"{source}:"
    if len(prefix) + len(key) > MAX_CODE:
        digest = hashlib.sha1((uri or label).encode()).hexdigest()[:12]
        key = f"{key[:MAX_CODE - len(prefix) - len(digest) - 1]}-{digest}"
    return prefix + key


def _delimiter(header_line: str) -> str:
    """ESCO uses commas; a spreadsheet re-save may have used ';' or tabs."""
    if "," in header_line:
        return ","
    return next((d for d in (";", "\t") if d in header_line), ",")


def _split_labels(raw: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\r\n]+", raw) if part.strip()]


def parse_skills_csv(text: str, source: str = "esco", name: str = "the file") -> list[SkillRow]:
    """Validated rows, or SkillsImportError listing every problem with its row number."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line),
                        strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise SkillsImportError(f"{name} is empty; expected a header row with the columns "
                                f"{', '.join(REQUIRED_COLUMNS)}") from None
    except csv.Error as exc:
        raise SkillsImportError(f"{name}, row 1 (the header): {exc}") from None
    columns = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    missing = [c for c in REQUIRED_COLUMNS if c.lower() not in columns]
    if missing:
        found = ", ".join(h.strip() for h in header if h.strip()) or "none"
        raise SkillsImportError(f"{name}: missing required column(s): {', '.join(missing)} "
                                f"(found: {found})")
    at = {c: columns.get(c.lower()) for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}

    rows: list[SkillRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    number = 1
    while True:
        number += 1
        first = reader.line_num + 1  # a quoted field may span lines: say where the row starts
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"row {number} (line {first}): {exc}")
            break  # the reader cannot find the next row's start after broken quoting
        if not any(f.strip() for f in fields):
            continue  # blank line
        last = reader.line_num
        where = f"row {number}" + (f" (lines {first}-{last})" if last != first
                                   else f" (line {first})" if first != number else "")
        if len(fields) != len(header):
            problems.append(f"{where}: {len(fields)} fields, the header has {len(header)} "
                            "(a quote or separator out of place?)")
            continue

        values = {c: fields[i].strip() if i is not None else "" for c, i in at.items()}
        label, uri = " ".join(values["preferredLabel"].split()), values["conceptUri"]
        errors = []
        if not label:
            errors.append("preferredLabel is empty")
        elif len(label) > MAX_LABEL:
            errors.append(f"preferredLabel is longer than {MAX_LABEL} characters")
        if uri and not re.match(r"^https?://\S+$", uri, flags=re.IGNORECASE):
            errors.append(f"conceptUri {uri[:80]!r} is not an http(s) URI")
        elif len(uri) > MAX_URI:
            errors.append(f"conceptUri is longer than {MAX_URI} characters")
        synonyms: dict[str, str] = {}
        for alt in _split_labels(values["altLabels"]):
            alt = " ".join(alt.split())
            if len(alt) > MAX_LABEL:
                errors.append(f"altLabel {alt[:40]!r}... is longer than {MAX_LABEL} characters")
            elif fold(alt) != fold(label):
                synonyms.setdefault(fold(alt), alt)
        if errors:
            problems.append(f"{where}: {'; '.join(errors)}")
            continue
        code = code_for(uri, label, source)
        if code in seen:
            problems.append(f"{where}: the same skill as row {seen[code]} "
                            f"({'conceptUri' if uri else 'preferredLabel'} repeated)")
            continue
        seen[code] = number
        rows.append(SkillRow(code=code, name=label, synonyms=tuple(synonyms.values()),
                             external_uri=uri, row=number))
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise SkillsImportError(
            f"{name}: {len(problems)} invalid row(s), nothing was imported:\n  "
            + "\n  ".join(shown) + (f"\n  ... and {more} more" if more else ""))
    return rows


def read_skills_file(path: Path, source: str = "esco") -> list[SkillRow]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SkillsImportError(f"{path}: {exc.strerror or exc}") from None
    return parse_skills_csv(decode(data, path.name), source=source, name=path.name)


# Existing row || the file's values: other languages' names are kept, and synonyms
# accumulate across the languages of the taxonomy (ESCO publishes one file per language).
_MERGE_SYNONYMS = literal_column(
    "skills.synonyms || ARRAY(SELECT s FROM unnest(excluded.synonyms) AS s "
    "WHERE s <> ALL(skills.synonyms))", ARRAY(String(200)))


async def import_skills(session_factory: async_sessionmaker[AsyncSession], tenant: TenantContext,
                        rows: list[SkillRow], locale: str, source: str = "esco",
                        actor: Actor | None = None, file_name: str = "",
                        progress: Callable[[int], None] | None = None) -> ImportResult:
    """Upsert the rows into the mission's vocabulary in one transaction (all or nothing),
    and audit the import. `progress` is told how many rows each batch wrote."""
    check_options(locale, source)
    actor = actor or Actor(email="portal skills import")
    created = updated = 0
    with tenant_scope(tenant):
        async with session_factory() as db:
            table = Skill.__table__
            upsert = insert(table)
            # One statement, many parameter sets: SQLAlchemy sends them as multi-row
            # INSERTs ("insertmanyvalues") without compiling each batch anew.
            stmt: Executable = upsert.on_conflict_do_update(
                index_elements=["tenant_id", "code"],
                set_={"names": table.c.names.op("||")(upsert.excluded.names),
                      "synonyms": _MERGE_SYNONYMS,
                      "external_uri": upsert.excluded.external_uri,
                      "source": upsert.excluded.source},
            ).returning(literal_column("xmax = 0"))  # xmax 0: a fresh insert, else an update
            conn = await db.connection()
            for start in range(0, len(rows), BATCH):
                batch = rows[start:start + BATCH]
                inserted = (await conn.execute(stmt, [
                    dict(id=uuid.uuid4(), tenant_id=tenant.id, code=r.code,
                         names={locale: r.name}, synonyms=list(r.synonyms), source=source,
                         external_uri=r.external_uri) for r in batch])).scalars().all()
                created += sum(1 for new in inserted if new)
                updated += len(inserted) - sum(1 for new in inserted if new)
                if progress is not None:
                    progress(len(batch))
            record(db, tenant.id, actor, "skills.imported", "skills", "",
                   after={"file": file_name, "source": source, "locale": locale,
                          "created": created, "updated": updated})
            await db.commit()
    return ImportResult(created=created, updated=updated)
