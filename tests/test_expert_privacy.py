"""The expert's rights: who has seen my profile, a copy of my data, erasure that leaves no
personal data anywhere (every text column of every table is searched)."""

from __future__ import annotations

import io
import json
import zipfile

import asyncpg
import pytest
from sqlalchemy import select

from app.core.actor import Actor
from app.db.base import Base
from app.db.server import asyncpg_dsn
from app.experts.models import ExpertDocument, ExpertNote, ExpertProfile
from app.experts.services import get_profile
from app.storage import LocalDiskStorage, new_key
from tenants.context import tenant_scope
from tests.accounts_helpers import PASSWORD, add_membership, make_user, sign_in, use_session
from tests.conftest import csrf_token
from tests.test_expert_profile import fill_profile, post_step

CV_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


pytestmark = pytest.mark.usefixtures("in_english")


async def _with_cv(session_factory, settings, tenant, profile):
    storage = LocalDiskStorage(settings.documents_dir)
    key = new_key(tenant.id, "cv", ".pdf")
    await storage.put(key, CV_BYTES)
    with tenant_scope(tenant):
        async with session_factory() as db:
            db.add(ExpertDocument(tenant_id=tenant.id, profile_id=profile.id, filename="amna-cv.pdf",
                                  content_type="application/pdf", size=len(CV_BYTES),
                                  sha256="0" * 64, storage_key=key))
            await db.commit()
    return settings.documents_dir / key


async def _profile_of(session_factory, tenant, user_id):
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user_id))


async def test_views_export_and_erasure(client, missions, session_factory, settings, database):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    expert = await make_user(session_factory, sudan, "expert",
                             email="amna.private@example.org")
    await add_membership(session_factory, mozambique, expert, "expert")
    await sign_in(client, sudan, expert.email)
    await fill_profile(client)  # full name "Amna Elhassan", phone +31 6 1234 5678, Delft
    await post_step(client, "consent", {"purposes": ["matching", "future_contact"]})
    profile = await _profile_of(session_factory, sudan, expert.id)
    cv_file = await _with_cv(session_factory, settings, sudan, profile)
    assert (await client.get("/mozambique/me")).status_code == 200  # a profile there too

    officer = await make_user(session_factory, sudan, "staff")
    token = await csrf_token(client, "/sudan/me")
    await client.post("/sudan/me/profile/action/submit", data={"_csrf_token": token})
    with tenant_scope(sudan):
        async with session_factory() as db:
            officer_actor = Actor(user_id=officer.id, email=officer.email,
                                  permissions=frozenset({"experts.view"}))
            await get_profile(db, sudan, officer_actor, profile.id)
            db.add(ExpertNote(tenant_id=sudan.id, profile_id=profile.id, author_id=officer.id,
                              author_label=officer.email, body="Call Amna Elhassan on Monday"))
            await db.commit()

    views = await client.get("/sudan/me/views")
    assert "Programme officer" in views.text and officer.email not in views.text

    data = await client.get("/sudan/me/data")
    assert data.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(data.content))
    exported = json.loads(archive.read("my-data.json"))
    assert exported["account"]["email"] == expert.email
    assert exported["profile"]["full_name"] == "Amna Elhassan"
    assert {lang["language"] for lang in exported["languages"]} == {"ar", "en"}
    assert {c["purpose"] for c in exported["consents"]} == {"matching", "future_contact"}
    assert exported["seen_by"] and exported["seen_by"][0]["role"] == "staff"
    assert archive.read("documents/cv-amna-cv.pdf") == CV_BYTES

    token = await csrf_token(client, "/sudan/me/delete")
    wrong = await client.post("/sudan/me/delete", data={"password": "nope", "_csrf_token": token})
    assert wrong.status_code == 400 and "not right" in wrong.text
    done = await client.post("/sudan/me/delete", data={"password": PASSWORD,
                                                        "_csrf_token": token},
                             follow_redirects=False)
    assert done.status_code == 303
    use_session(client, None)

    # Nothing personal is left in any table, in any mission (read as the server's superuser,
    # past row-level security).
    needles = ["amna.private@example.org", "Amna Elhassan", "1234 5678", "Delft", "amna-cv"]
    conn = await asyncpg.connect(asyncpg_dsn(database.admin.set(database=database.name)))
    try:
        found = []
        for table in Base.metadata.sorted_tables:
            columns = [c.name for c in table.columns
                       if c.type.__class__.__name__ in ("String", "Text", "JSONB", "ARRAY")]
            for column in columns:
                for needle in needles:
                    hits = await conn.fetchval(
                        f'SELECT count(*) FROM "{table.name}" WHERE "{column}"::text ILIKE $1',
                        f"%{needle}%")
                    if hits:
                        found.append((table.name, column, needle))
        assert not found, found
        numbers = await conn.fetch("SELECT tenant_id, number, sectors, erased_at, user_id "
                                   "FROM expert_profiles WHERE erased_at IS NOT NULL")
    finally:
        await conn.close()
    # The numbered placeholders remain, one per mission, without an account.
    assert {r["tenant_id"] for r in numbers} >= {sudan.id, mozambique.id}
    assert all(r["user_id"] is None for r in numbers)
    assert any(r["sectors"] == ["water_management"] for r in numbers)
    assert not cv_file.exists()
    assert (await sign_in(client, sudan, expert.email)).status_code == 400
