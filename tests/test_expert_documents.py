"""The expert's CV: upload checked by content with real and broken files, storage outside
the web root, replacement, downloads, and who may read whose CV."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.models import AuditEvent
from app.config import PROJECT_ROOT
from app.core.actor import Actor
from app.core.errors import FormErrors
from app.core.roles import permissions_for
from app.documents import DOCX, MB, PDF, clean_filename, content_disposition
from app.experts.documents import save_cv, validate_cv
from app.experts.models import ExpertDocument, ExpertProfile
from app.storage import LocalDiskStorage
from tenants.context import tenant_scope
from tests.accounts_helpers import add_membership, make_user, sign_in, signed_in, use_session
from tests.conftest import csrf_token
from tests.documents_helpers import malformed_files, minimal_docx, minimal_pdf

MALFORMED = ["empty", "text renamed .pdf", "truncated pdf", "png", "exe renamed .docx",
             "old word .doc", "zip without word/document.xml", "truncated docx",
             "zip with too many entries", "zip bomb", "macro-enabled word .docm"]


pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(scope="module")
def broken_files() -> dict[str, tuple[str, bytes, str]]:
    files = malformed_files()
    assert sorted(files) == sorted(MALFORMED)
    return files


def stored_files(settings) -> set[Path]:
    root = settings.documents_dir
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def upload(client, tenant, filename: str, data: bytes, content_type="application/pdf"):
    token = await csrf_token(client, f"/{tenant.slug}/me/profile/cv")
    return await client.post(f"/{tenant.slug}/me/profile/cv",
                             data={"_csrf_token": token},
                             files={"cv": (filename, data, content_type)},
                             follow_redirects=False)


async def cv_rows(session_factory, tenant, user_id) -> list[ExpertDocument]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(
                select(ExpertDocument).join(ExpertProfile,
                                            ExpertProfile.id == ExpertDocument.profile_id)
                .where(ExpertProfile.user_id == user_id)))


async def profile_of(session_factory, tenant, user_id) -> ExpertProfile:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user_id))


# --- the check itself -----------------------------------------------------------------------

def test_real_pdf_and_docx_are_accepted_whatever_their_name():
    assert validate_cv("cv.pdf", minimal_pdf(), 5 * MB) == (PDF, ".pdf")
    assert validate_cv("cv.docx", minimal_docx(), 5 * MB) == (DOCX, ".docx")
    # The name does not matter: a real PDF called .docx is a PDF, and the other way round.
    assert validate_cv("cv.docx", minimal_pdf(), 5 * MB) == (PDF, ".pdf")
    assert validate_cv("notes.txt", minimal_docx(), 5 * MB) == (DOCX, ".docx")


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_files_are_refused_with_a_reason(broken_files, name):
    filename, data, reason = broken_files[name]
    with pytest.raises(FormErrors) as refused:
        validate_cv(filename, data, 5 * MB)
    assert refused.value.errors["cv"].startswith(reason)


def test_over_the_limit_says_the_limit():
    with pytest.raises(FormErrors) as refused:
        validate_cv("cv.pdf", minimal_pdf() + b" " * (2 * MB), 2 * MB)
    assert "larger than 2 MB" in refused.value.errors["cv"]


def test_kept_file_names_are_safe():
    assert clean_filename("C:\\Users\\amna\\My CV.pdf", ".pdf") == "My CV.pdf"
    assert clean_filename("../../etc/passwd", ".pdf") == "passwd.pdf"
    assert clean_filename("cv\x00\r\n.docx", ".docx") == "cv.docx"
    assert clean_filename("", ".pdf", default="cv") == "cv.pdf"
    assert clean_filename("resume.pdf", ".docx") == "resume.pdf.docx"
    long = clean_filename("a" * 500 + ".pdf", ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")
    header = content_disposition('سيرة "ذاتية".pdf')
    assert header.startswith('attachment; filename="')
    assert '"' not in header.split('filename="')[1].split('";')[0]
    assert "filename*=UTF-8''%D8%B3" in header


# --- through the portal ---------------------------------------------------------------------

async def test_anonymous_visitors_are_sent_to_sign_in(client, missions):
    use_session(client, None)
    for path in ("/sudan/me/profile/cv", "/sudan/me/profile/cv/file",
                 f"/sudan/experts/{uuid.uuid4()}/cv"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert "/sudan/sign-in?next=" in response.headers["location"]
    response = await upload(client, missions["sudan"], "cv.pdf", minimal_pdf())
    assert response.status_code == 303
    assert "/sudan/sign-in?next=" in response.headers["location"]


async def test_step_page_offers_the_upload_form(client, missions, session_factory):
    await signed_in(client, session_factory, missions["sudan"], "expert")
    response = await client.get("/sudan/me/profile/cv")
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.text
    assert 'name="_csrf_token"' in response.text
    assert 'accept=".pdf,.docx"' in response.text
    assert "You have not uploaded a CV yet." in response.text


async def test_a_valid_cv_is_stored_outside_the_web_root_and_downloadable(
        client, missions, session_factory, settings):
    sudan = missions["sudan"]
    user = await signed_in(client, session_factory, sudan, "expert")
    before = stored_files(settings)
    pdf = minimal_pdf("Amna Osman, water engineer")
    response = await upload(client, sudan, "C:\\fakepath\\Amna CV.pdf", pdf)
    assert response.status_code == 303
    assert response.headers["location"] == "/sudan/me/profile/cv"

    [row] = await cv_rows(session_factory, sudan, user.id)
    assert (row.filename, row.content_type, row.size) == ("Amna CV.pdf", PDF, len(pdf))
    [path] = stored_files(settings) - before
    assert path.read_bytes() == pdf
    assert path.is_relative_to(settings.documents_dir / str(sudan.id))
    assert not path.is_relative_to(PROJECT_ROOT / "static")
    assert row.storage_key.endswith(".pdf") and "Amna" not in row.storage_key

    page = await client.get("/sudan/me/profile/cv")
    assert "Your CV is uploaded." in page.text
    assert "Amna CV.pdf" in page.text and "Replace my CV" in page.text

    download = await client.get("/sudan/me/profile/cv/file")
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"].startswith("application/pdf")
    assert download.headers["content-disposition"].startswith('attachment; filename="Amna CV.pdf"')
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in download.headers["cache-control"]

    with tenant_scope(sudan):
        async with session_factory() as db:
            event = await db.scalar(select(AuditEvent).where(
                AuditEvent.action == "expert_profile.cv_uploaded",
                AuditEvent.object_id == str(row.profile_id)))
    assert event.after["sha256"] == row.sha256 and event.after["filename"] == "Amna CV.pdf"
    assert "Amna Osman" not in str(event.after)  # metadata only, never the content


async def test_replacing_the_cv_removes_the_old_file(client, missions, session_factory, settings):
    sudan = missions["sudan"]
    user = await signed_in(client, session_factory, sudan, "expert")
    assert (await upload(client, sudan, "first.pdf", minimal_pdf("first"))).status_code == 303
    [first] = await cv_rows(session_factory, sudan, user.id)
    first_path = settings.documents_dir / first.storage_key
    assert first_path.exists()

    docx = minimal_docx("second")
    response = await upload(client, sudan, "second.docx", docx, DOCX)
    assert response.status_code == 303
    [second] = await cv_rows(session_factory, sudan, user.id)
    assert second.filename == "second.docx" and second.content_type == DOCX
    assert not first_path.exists()
    assert (settings.documents_dir / second.storage_key).read_bytes() == docx

    download = await client.get("/sudan/me/profile/cv/file")
    assert download.content == docx
    assert download.headers["content-type"].startswith(DOCX)


@pytest.mark.parametrize("name", MALFORMED)
async def test_malformed_uploads_are_refused_and_nothing_is_stored(
        client, missions, session_factory, settings, broken_files, name):
    sudan = missions["sudan"]
    user = await signed_in(client, session_factory, sudan, "expert")
    before = stored_files(settings)
    filename, data, reason = broken_files[name]
    response = await upload(client, sudan, filename, data)
    assert response.status_code == 400
    assert reason in response.text
    assert 'id="e-cv"' in response.text  # next to the field
    assert await cv_rows(session_factory, sudan, user.id) == []
    assert stored_files(settings) == before


async def test_a_failed_replacement_keeps_the_previous_cv(client, missions, session_factory,
                                                          settings):
    sudan = missions["sudan"]
    user = await signed_in(client, session_factory, sudan, "expert")
    pdf = minimal_pdf("keep me")
    assert (await upload(client, sudan, "keep.pdf", pdf)).status_code == 303
    before = stored_files(settings)
    response = await upload(client, sudan, "broken.pdf", pdf[:-100])
    assert response.status_code == 400
    [row] = await cv_rows(session_factory, sudan, user.id)
    assert row.filename == "keep.pdf"
    assert stored_files(settings) == before
    assert (await client.get("/sudan/me/profile/cv/file")).content == pdf


async def test_a_cv_over_the_limit_is_refused_with_the_limit(client, missions, session_factory,
                                                             settings):
    sudan = missions["sudan"]
    user = await signed_in(client, session_factory, sudan, "expert")
    before = stored_files(settings)
    too_big = minimal_pdf() + b"%" * ((settings.max_upload_mb + 1) * MB)
    response = await upload(client, sudan, "big.pdf", too_big)
    assert response.status_code == 400
    assert f"The file is larger than {settings.max_upload_mb} MB" in response.text
    assert await cv_rows(session_factory, sudan, user.id) == []
    assert stored_files(settings) == before


async def test_a_huge_upload_is_cut_off_with_a_clear_page(client, missions, session_factory,
                                                          settings):
    sudan = missions["sudan"]
    user = await signed_in(client, session_factory, sudan, "expert")
    before = stored_files(settings)
    huge = minimal_pdf() + b"%" * ((settings.max_upload_mb + 5) * MB)
    response = await upload(client, sudan, "huge.pdf", huge)
    assert response.status_code == 413
    assert f"The file is larger than {settings.max_upload_mb} MB" in response.text
    assert 'name="_csrf_token" value=""' not in response.text  # the form can be sent again
    assert await cv_rows(session_factory, sudan, user.id) == []
    assert stored_files(settings) == before


async def test_no_file_chosen(client, missions, session_factory):
    sudan = missions["sudan"]
    await signed_in(client, session_factory, sudan, "expert")
    token = await csrf_token(client, "/sudan/me/profile/cv")
    response = await client.post("/sudan/me/profile/cv", data={"_csrf_token": token},
                                 files={"cv": ("", b"", "application/octet-stream")})
    assert response.status_code == 400
    assert "Choose your CV file to upload." in response.text


async def test_a_database_failure_leaves_no_file_behind(missions, session_factory, settings):
    sudan = missions["sudan"]
    user = await make_user(session_factory, sudan, "expert")
    actor = Actor(user_id=user.id, email=user.email, name=user.name, role="expert",
                  permissions=permissions_for("expert", False))
    # A profile that is not in the database: the CV row's foreign key fails at commit.
    ghost = ExpertProfile(id=uuid.uuid4(), tenant_id=sudan.id, user_id=user.id, number=0,
                          status="draft")
    before = stored_files(settings)
    with tenant_scope(sudan):
        async with session_factory() as db:
            with pytest.raises(IntegrityError):
                await save_cv(db, sudan, actor, ghost, "cv.pdf", minimal_pdf(),
                              LocalDiskStorage(settings.documents_dir), max_bytes=5 * MB)
    assert stored_files(settings) == before


async def test_staff_download_any_cv_of_their_mission_only(client, missions, session_factory):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    expert = await signed_in(client, session_factory, sudan, "expert")
    pdf = minimal_pdf("for staff")
    assert (await upload(client, sudan, "cv.pdf", pdf)).status_code == 303
    profile = await profile_of(session_factory, sudan, expert.id)

    officer = await make_user(session_factory, sudan, "staff")
    await sign_in(client, sudan, officer.email)
    response = await client.get(f"/sudan/experts/{profile.id}/cv")
    assert response.status_code == 200 and response.content == pdf
    assert response.headers["content-disposition"].startswith("attachment;")
    with tenant_scope(sudan):
        async with session_factory() as db:
            viewed = await db.scalar(select(AuditEvent).where(
                AuditEvent.action == "expert_profile.viewed",
                AuditEvent.object_id == str(profile.id), AuditEvent.actor_id == officer.id))
    assert viewed is not None
    # Staff's own (absent) CV page is not theirs to use.
    assert (await client.get("/sudan/me/profile/cv/file")).status_code == 403

    # Mozambique's officer, also staff in Sudan's sister mission, asks through Mozambique.
    other = await make_user(session_factory, mozambique, "staff")
    await sign_in(client, mozambique, other.email)
    assert (await client.get(f"/mozambique/experts/{profile.id}/cv")).status_code == 404
    # ... and has no role in Sudan at all.
    assert (await client.get(f"/sudan/experts/{profile.id}/cv")).status_code == 403

    # Staff in both missions still cannot reach Sudan's CV through Mozambique.
    await add_membership(session_factory, mozambique, officer, "staff")
    await sign_in(client, mozambique, officer.email)
    assert (await client.get(f"/mozambique/experts/{profile.id}/cv")).status_code == 404


async def test_other_experts_never_get_someone_elses_cv(client, missions, session_factory):
    sudan = missions["sudan"]
    owner = await signed_in(client, session_factory, sudan, "expert")
    assert (await upload(client, sudan, "mine.pdf", minimal_pdf("mine"))).status_code == 303
    profile = await profile_of(session_factory, sudan, owner.id)

    await signed_in(client, session_factory, sudan, "expert")
    # Their own download serves only their own CV, and they have none.
    assert (await client.get("/sudan/me/profile/cv/file")).status_code == 404
    # The staff download is not for experts, whatever the id.
    assert (await client.get(f"/sudan/experts/{profile.id}/cv")).status_code == 403
    assert (await client.get(f"/sudan/experts/{uuid.uuid4()}/cv")).status_code == 403
    use_session(client, None)
