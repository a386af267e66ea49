"""Importing rosters: the documented examples, the round trip with the registry export,
re-imports that update instead of duplicating, consent and invitations, all-or-nothing
writes, and imported experts found by search once the outbox is drained."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as email_policy

import pytest
from sqlalchemy import select, text

from app.accounts.models import Membership, OneTimeToken, User
from app.assignment_requests.models import AssignmentRequest, RequestSkill
from app.experts.models import (
    ExpertAvailability,
    ExpertConsent,
    ExpertEducation,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    ExpertWork,
    Skill,
)
from app.imports.services import read_upload, run_import
from app.notifications.delivery import FileTransport, deliver_tenant
from app.notifications.models import OutboxMail
from app.notifications.services import mail_text
from app.search.documents import expert_documents
from app.search.models import SearchOutbox
from app.search.outbox import EXPERTS
from app.search.sync import drain, pending
from search_index import SearchQuery
from tenants.context import tenant_scope
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.expert_helpers import complete_profile
from tests.import_helpers import (
    ACTOR,
    DOCS,
    LINKS,
    count_profiles,
    csv_bytes,
    import_bytes,
    wipe_profiles,
)
from tests.request_helpers import make_institution

pytestmark = pytest.mark.usefixtures("in_english")

@contextlib.asynccontextmanager
async def profiles_refused(database, column: str, value: str, message: str):
    """While inside, the database refuses a new expert profile whose column has the value
    (a trigger stands for any constraint an import can meet midway)."""
    import asyncpg

    from app.db.server import asyncpg_dsn
    conn = await asyncpg.connect(asyncpg_dsn(database.urls.owner))
    try:
        await conn.execute(f"""
            CREATE FUNCTION refuse_profile() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.{column} = '{value}' THEN RAISE EXCEPTION '{message}'; END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_profile BEFORE INSERT ON expert_profiles
              FOR EACH ROW EXECUTE FUNCTION refuse_profile();""")
        yield
    finally:
        await conn.execute("DROP TRIGGER IF EXISTS refuse_profile ON expert_profiles; "
                           "DROP FUNCTION IF EXISTS refuse_profile()")
        await conn.close()



async def _profile(session_factory, tenant, ref: str) -> ExpertProfile:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(ExpertProfile).where(
                ExpertProfile.tenant_id == tenant.id, ExpertProfile.external_ref == ref))


async def _parts(session_factory, tenant, profile_id) -> dict:
    with tenant_scope(tenant):
        async with session_factory() as db:
            def rows(model):
                return db.scalars(select(model).where(model.profile_id == profile_id))
            skills = await db.scalars(select(Skill.code).join(
                ExpertSkill, ExpertSkill.skill_id == Skill.id).where(
                ExpertSkill.profile_id == profile_id))
            return {
                "languages": sorted((r.language, r.level) for r in await rows(ExpertLanguage)),
                "skills": sorted(skills),
                "availability": sorted((r.kind, r.starts_on, r.ends_on)
                                       for r in await rows(ExpertAvailability)),
                "education": sorted((r.level, r.field, r.institution, r.year)
                                    for r in await rows(ExpertEducation)),
                "work": sorted((r.title, r.employer, r.country, r.started_on, r.ended_on,
                                r.description) for r in await rows(ExpertWork)),
                "consents": sorted((r.purpose, r.source, r.notice_version)
                                   for r in await rows(ExpertConsent)
                                   if r.withdrawn_at is None),
            }


async def test_the_documented_examples_import_cleanly(session_factory, missions):
    sudan = missions["sudan"]
    outcome = await import_bytes(session_factory, sudan,
                                 (DOCS / "experts-example.csv").read_bytes(), status="verified")
    assert outcome.written and not outcome.check.errors, outcome.check.errors
    assert (outcome.check.created, outcome.check.updated) == (3, 0)
    outcome = await import_bytes(session_factory, sudan,
                                 (DOCS / "experts-example.json").read_bytes())
    assert outcome.written and not outcome.check.errors, outcome.check.errors
    assert outcome.check.created == 2

    amira = await _profile(session_factory, sudan, "SD-2019-0042")
    assert amira.status == "verified" and amira.full_name == "Amira Hassan Osman"
    assert amira.phone == "+31 6 1234 5678" and amira.sectors == ["water_management"]
    assert amira.headline == "Hydrologist | water supply and leak detection"
    parts = await _parts(session_factory, sudan, amira.id)
    assert parts["languages"] == [("ar", "native"), ("en", "C1"), ("nl", "B2")]
    assert parts["skills"] == ["hydrology", "irrigation_engineering", "water_treatment"]
    assert parts["availability"] == [
        ("available", date(2027, 1, 1), date(2027, 12, 31)),
        ("unavailable", date(2027, 7, 1), date(2027, 8, 15))]
    assert ("8", "Hydrology", "Delft University of Technology", 2012) in parts["education"]
    assert ("Senior hydrologist", "Vitens", "NL", date(2015, 3, 1), None,
            "Leak detection and network modelling") in parts["work"]
    assert parts["consents"] == [("future_contact", "imported_roster", 1),
                                 ("matching", "imported_roster", 1),
                                 ("share_with_institutions", "imported_roster", 1)]
    arabic = await _profile(session_factory, sudan, "SD-2020-0107")
    assert arabic.full_name == "محمد عبد الله الطيب" and arabic.status == "verified"
    assert arabic.headline == "أخصائي مناهج | تدريب المعلمين"
    assert "teacher_training" in (await _parts(session_factory, sudan, arabic.id))["skills"]
    # An empty consents cell means the registry consent of the earlier roster.
    fatima = await _profile(session_factory, sudan, "SD-2021-0311")
    assert (await _parts(session_factory, sudan, fatima.id))["consents"] == [
        ("matching", "imported_roster", 1)]
    khalid = await _profile(session_factory, sudan, "SD-2022-0500")
    assert khalid.status == "submitted" and khalid.sectors == ["corporate_governance",
                                                               "project_management"]
    assert khalid.headline == "Governance adviser | boards of public enterprises"
    assert (await _parts(session_factory, sudan, khalid.id))["skills"] == [
        "corporate_governance", "project_management"]

    # Each new expert: an account without a password, an expert membership, and a mail
    # with a one-time link to choose a password (the reset link, valid for two weeks).
    with tenant_scope(sudan):
        async with session_factory() as db:
            user = await db.scalar(select(User).where(User.email == "amira.osman@example.org"))
            assert not user.has_password and user.name == "Amira Hassan Osman"
            member = await db.scalar(select(Membership).where(Membership.user_id == user.id))
            assert member.role == "expert" and member.status == "active"
            token = await db.scalar(select(OneTimeToken).where(OneTimeToken.user_id == user.id))
            assert token.purpose == "reset_password"
            assert token.expires_at.date() >= date.today() + timedelta(days=13)
            mail = await db.scalar(select(OutboxMail).where(
                OutboxMail.to_address == "amira.osman@example.org"))
            assert mail.kind == "imported_expert"
            assert "/sudan/password/reset/" in mail_text(mail, sudan)[1]
            outbox = await db.scalar(select(SearchOutbox).where(
                SearchOutbox.object_id == amira.id))
            assert outbox is not None and outbox.index == "experts"

    async with session_factory() as db:
        for name in ("Ministry of Irrigation and Water Resources", "University of Khartoum"):
            await make_institution(db, sudan, name=name)
    outcome = await import_bytes(session_factory, sudan,
                                 (DOCS / "requests-example.csv").read_bytes(), kind="requests")
    assert outcome.written and not outcome.check.errors, outcome.check.errors
    with tenant_scope(sudan):
        async with session_factory() as db:
            request = await db.scalar(select(AssignmentRequest).where(
                AssignmentRequest.external_ref == "MOIWR-2027-01"))
            assert request.status == "submitted" and request.priority == "high"
            assert request.earliest_start == date(2027, 3, 1) and request.city == "Khartoum"
            skills = list(await db.scalars(select(RequestSkill.required).where(
                RequestSkill.request_id == request.id)))
            assert sorted(skills) == [False, True, True]


async def test_the_password_link_of_an_imported_expert_sets_a_password(client, session_factory,
                                                                       missions):
    sudan = missions["sudan"]
    data = csv_bytes("external_ref,full_name,email",
                     "LINK-1,Nadia Link,nadia.link@example.org")
    assert (await import_bytes(session_factory, sudan, data)).written
    with tenant_scope(sudan):
        async with session_factory() as db:
            mail = await db.scalar(select(OutboxMail).where(
                OutboxMail.to_address == "nadia.link@example.org"))
    path = mail_text(mail, sudan)[1].split("http://testserver.local", 1)[1].split()[0]
    page = await client.get(path)
    assert page.status_code == 200
    token = client.cookies["csrftoken"]
    r = await client.post(path, data={"password": "a long river of sand 7",
                                      "password_confirm": "a long river of sand 7",
                                      "_csrf_token": token}, follow_redirects=False)
    assert r.status_code in (200, 303), r.text
    assert (await sign_in(client, sudan, "nadia.link@example.org",
                          "a long river of sand 7")).status_code == 303
    use_session(client, None)


async def test_reimporting_the_same_file_updates_instead_of_duplicating(session_factory,
                                                                        missions):
    sudan = missions["sudan"]
    header = "external_ref,full_name,email,languages,skills,availability"
    first = csv_bytes(header, "RE-1,Omar Again,omar.again@example.org,en:B2,Hydrology,"
                              "2027-01-01..2027-02-01",
                      "RE-2,Sara Again,sara.again@example.org,ar:native,Agronomy,")
    assert (await import_bytes(session_factory, sudan, first)).written
    again = await import_bytes(session_factory, sudan, first)
    assert again.written and (again.check.created, again.check.updated) == (0, 2)
    assert await count_profiles(session_factory, sudan, full_name="Omar Again") == 1
    changed = csv_bytes(header, "RE-1,Omar Changed,omar.again@example.org,en:C2; fr:A2,"
                                "Water treatment,2027-03-01..2027-04-01")
    outcome = await import_bytes(session_factory, sudan, changed)
    assert outcome.written and outcome.check.updated == 1
    omar = await _profile(session_factory, sudan, "RE-1")
    assert omar.full_name == "Omar Changed"
    parts = await _parts(session_factory, sudan, omar.id)
    assert parts["languages"] == [("en", "C2"), ("fr", "A2")]
    assert parts["skills"] == ["water_treatment"]
    assert parts["availability"] == [("available", date(2027, 3, 1), date(2027, 4, 1))]
    assert parts["consents"] == [("matching", "imported_roster", 1)]  # granted once only
    with tenant_scope(sudan):
        async with session_factory() as db:
            mails = list(await db.scalars(select(OutboxMail).where(
                OutboxMail.to_address == "omar.again@example.org")))
    assert len(mails) == 1  # invited once, when the profile was created

    # A reference never moves a profile to another person.
    stolen = csv_bytes(header, "RE-2,Sara Again,someone.else@example.org,,,")
    outcome = await import_bytes(session_factory, sudan, stolen)
    assert not outcome.written
    assert [(e.row, e.column) for e in outcome.check.errors] == [(2, "email")]


async def test_an_invitation_is_rendered_in_the_mission_s_language_when_it_is_sent(
        session_factory, missions, tmp_path):
    sudan = missions["sudan"]
    data = csv_bytes("external_ref,full_name,email", "SEND-1,Huda Sent,huda.sent@example.org")
    assert (await import_bytes(session_factory, sudan, data)).written
    with tenant_scope(sudan):
        async with session_factory() as db:
            queued = await db.scalar(select(OutboxMail).where(
                OutboxMail.to_address == "huda.sent@example.org"))
            assert (queued.subject, queued.body) == ("", "")  # kept for rendering when sent
            assert queued.locale == sudan.default_locale
            expected = mail_text(queued, sudan)
            await deliver_tenant(db, sudan, FileTransport(tmp_path), "portal@example.org")
        async with session_factory() as db:
            sent = await db.scalar(select(OutboxMail).where(OutboxMail.id == queued.id))
    assert sent.status == "sent" and sent.context is None
    assert (sent.subject, sent.body) == expected
    assert "Huda Sent" in sent.body and "/sudan/password/reset/" in sent.body
    # Other tests' queued mails of the mission go out in the same delivery.
    messages = [message_from_bytes(path.read_bytes(), policy=email_policy)
                for path in tmp_path.glob("*.eml")]
    [message] = [m for m in messages if m["To"] == "huda.sent@example.org"]
    assert message["Subject"] == expected[0] and "/sudan/password/reset/" in message.get_content()


async def test_an_existing_expert_of_the_mission_gets_the_reference(session_factory, missions):
    sudan = missions["sudan"]
    user, profile = await complete_profile(session_factory, sudan, name="Already Here")
    staff = await make_user(session_factory, sudan, "staff")
    data = csv_bytes("external_ref,full_name,email,years_experience",
                     f"OLD-1,Already Here,{user.email},20",
                     f"OLD-2,A Staff Member,{staff.email},3")
    outcome = await import_bytes(session_factory, sudan, data, valid_only=True)
    assert outcome.written and (outcome.check.created, outcome.check.updated) == (0, 1)
    assert [(e.row, e.column) for e in outcome.check.errors] == [(3, "email")]
    updated = await _profile(session_factory, sudan, "OLD-1")
    assert updated.id == profile.id and updated.years_experience == 20
    assert updated.status == "submitted"  # an update keeps the profile's state

    # Someone with an account (here in another mission) joins as an expert of this one and
    # is told to sign in: they have a password already, no link to choose one.
    elsewhere = await make_user(session_factory, missions["mozambique"], "expert")
    outcome = await import_bytes(session_factory, sudan, csv_bytes(
        "external_ref,full_name,email", f"OLD-3,Joins From Elsewhere,{elsewhere.email}"))
    assert outcome.written and outcome.check.created == 1
    with tenant_scope(sudan):
        async with session_factory() as db:
            member = await db.scalar(select(Membership).where(
                Membership.user_id == elsewhere.id, Membership.tenant_id == sudan.id))
            mail = await db.scalar(select(OutboxMail).where(
                OutboxMail.to_address == elsewhere.email))
            tokens = list(await db.scalars(select(OneTimeToken).where(
                OneTimeToken.user_id == elsewhere.id)))
    assert member.role == "expert" and "/sudan/sign-in?next=/sudan/me" in mail_text(mail, sudan)[1]
    assert tokens == []


async def test_round_trip_through_the_registry_export(client, session_factory, missions):
    """Export the registry, lose the profiles, import the export: the same registry."""
    sudan = missions["sudan"]
    source = csv_bytes(
        "external_ref,full_name,email,phone,gender,birth_year,nationality,residence_country,"
        "residence_city,languages,education,work_history,sectors,skills,years_experience,"
        "headline,summary,modality,min_weeks,max_weeks,availability,consents",
        "RT-1,Round Trip One,rt.one@example.org,+31 6 1111 2222,female,1982,SD,NL,Delft,"
        "ar:native; en:C1,7|Civil engineering\\; water|TU Delft|2010,"
        "Engineer|Deltares|NL|2012-01-01|2020-12-31|Models \\| rivers; Lead|Arcadis|NL|2021-01-01||,"
        "water_management; education,Hydrology; Teacher training,14,"
        "Hydrologist | dams; rivers,\"Rivers, dams\",hybrid,2,6,"
        "2027-01-01..2027-06-30; unavailable:2027-02-01..2027-02-10,"
        "matching; share_with_institutions",
        "RT-2,=Formula Name,rt.two@example.org,,,,SD,GB,,en:B2,,,health,Public health,3,,,"
        "remote,,,2027-05-01..2027-05-31,matching")
    assert (await import_bytes(session_factory, sudan, source)).written
    before = {ref: await _parts(session_factory, sudan, (await _profile(
        session_factory, sudan, ref)).id) for ref in ("RT-1", "RT-2")}
    before_profiles = {ref: await _profile(session_factory, sudan, ref) for ref in before}

    officer = await make_user(session_factory, sudan, "staff")
    assert (await sign_in(client, sudan, officer.email)).status_code == 303
    export = await client.get("/sudan/experts/export.csv?q=Round Trip")
    export2 = await client.get("/sudan/experts/export.csv?q=Formula")
    use_session(client, None)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [r["external_ref"] for r in rows] == ["RT-1"]
    assert rows[0]["languages"] == "ar:native; en:C1"
    assert rows[0]["availability"] == "2027-01-01..2027-06-30; unavailable:2027-02-01..2027-02-10"
    assert rows[0]["education"] == "7|Civil engineering\\; water|TU Delft|2010"

    await wipe_profiles(session_factory, sudan, ["RT-1", "RT-2"])
    assert await count_profiles(session_factory, sudan, external_ref="RT-1") == 0
    for content in (export.content, export2.content):
        outcome = await import_bytes(session_factory, sudan, content)
        assert outcome.written and not outcome.check.errors, outcome.check.errors
    for ref, parts in before.items():
        profile = await _profile(session_factory, sudan, ref)
        assert await _parts(session_factory, sudan, profile.id) == parts
        old = before_profiles[ref]
        for name in ("full_name", "phone", "gender", "birth_year", "nationality",
                     "residence_country", "residence_city", "years_experience", "headline",
                     "summary", "modality", "min_weeks", "max_weeks", "sectors"):
            assert getattr(profile, name) == getattr(old, name), name
    assert (await _profile(session_factory, sudan, "RT-2")).full_name == "=Formula Name"
    assert before_profiles["RT-1"].headline == "Hydrologist | dams; rivers"


async def test_a_headline_too_long_is_a_row_error_and_a_present_empty_cell_clears_it(
        session_factory, missions):
    sudan = missions["sudan"]
    header = "external_ref,full_name,email,headline"
    too_long = await import_bytes(session_factory, sudan, csv_bytes(
        header, "HL-1,Head Line,head.line@example.org,Hydrologist",
        f"HL-2,Too Long,too.long@example.org,{'x' * 161}"))
    assert not too_long.written
    [error] = too_long.check.errors
    assert (error.row, error.column, error.reason) == (3, "headline",
                                                       "Use at most 160 characters.")
    assert await count_profiles(session_factory, sudan, external_ref="HL-1") == 0
    assert (await import_bytes(session_factory, sudan, csv_bytes(
        header, "HL-1,Head Line,head.line@example.org,\"Hydrologist |\n flood  risk\""))).written
    assert (await _profile(session_factory, sudan, "HL-1")).headline == "Hydrologist | flood risk"
    # measured as saved: one line, its spaces and line breaks made one space
    spaced = "x" * 80 + "   \n   " + "y" * 79
    assert (await import_bytes(session_factory, sudan, csv_bytes(
        header, f"HL-3,Spaced Out,spaced.out@example.org,\"{spaced}\""))).written
    assert (await _profile(session_factory, sudan, "HL-3")).headline == "x" * 80 + " " + "y" * 79
    # a file without the column leaves it; an empty cell of a present column clears it
    assert (await import_bytes(session_factory, sudan, csv_bytes(
        "external_ref,full_name,email", "HL-1,Head Line,head.line@example.org"))).written
    assert (await _profile(session_factory, sudan, "HL-1")).headline == "Hydrologist | flood risk"
    assert (await import_bytes(session_factory, sudan, csv_bytes(
        header, "HL-1,Head Line,head.line@example.org,"))).written
    assert (await _profile(session_factory, sudan, "HL-1")).headline == ""


async def test_a_database_failure_midway_saves_nothing(database, session_factory, missions):
    """A row that passes every check but that the database refuses (a trigger stands for
    any constraint) makes the whole import roll back, including the rows before it."""
    sudan = missions["sudan"]
    async with profiles_refused(database, "full_name", "Boom", "no Boom here"):
        rows = [f"HALF-{i},Half Saved {i},half.{i}@example.org,en:B1" for i in range(1500)]
        rows[1200] = "HALF-1200,Boom,half.1200@example.org,en:B1"
        data = csv_bytes("external_ref,full_name,email,languages", *rows)
        outcome = await import_bytes(session_factory, sudan, data)
    assert not outcome.written and "no Boom here" in outcome.failure
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert await db.scalar(select(User).where(
                User.email == "half.1@example.org")) is None
            assert await db.scalar(text(
                "SELECT count(*) FROM expert_profiles WHERE external_ref LIKE 'HALF-%'")) == 0


async def test_imported_experts_are_searchable_after_draining(client, app, session_factory,
                                                               missions, index_now):
    sudan = missions["sudan"]
    data = csv_bytes("external_ref,full_name,email,skills,sectors",
                     "FIND-1,Zubeir Searchable,zubeir.searchable@example.org,Hydrology,"
                     "water_management")
    assert (await import_bytes(session_factory, sudan, data, status="verified")).written
    await index_now()
    officer = await make_user(session_factory, sudan, "staff")
    assert (await sign_in(client, sudan, officer.email)).status_code == 303
    page = await client.get("/sudan/search?q=Zubeir")
    use_session(client, None)
    profile = await _profile(session_factory, sudan, "FIND-1")
    assert page.status_code == 200 and str(profile.id) in page.text
    assert "<mark>Zubeir</mark>" in page.text


async def test_a_drain_in_many_batches_indexes_every_imported_expert_once(app, session_factory,
                                                                           missions):
    """The drain takes the next batch while the engine writes the previous one: every row
    is sent once and removed, however the batches fall."""
    sudan = missions["sudan"]
    rows = [f"MANY-{i},Batchwise Nakuru{i},batchwise.{i}@example.org,Hydrology,"
            "water_management,matching" for i in range(23)]
    data = csv_bytes("external_ref,full_name,email,skills,sectors,consents", *rows)
    assert (await import_bytes(session_factory, sudan, data, status="verified")).written
    assert await drain(session_factory, app.state.search, batch=5) == 23
    assert await pending(session_factory, sudan) == 0
    found = await app.state.search.search(EXPERTS, str(sudan.id),
                                          SearchQuery(text="batchwise", limit=50))
    assert found.total == 23


def _searchable_rows(prefix: str, n: int) -> bytes:
    return csv_bytes("external_ref,full_name,email,skills,sectors,consents", *[
        f"{prefix}-{i},{prefix.title()} Okonkwo{i},{prefix.lower()}.{i}@example.org,Hydrology,"
        "water_management,matching" for i in range(n)])


async def _found(search, tenant, word: str) -> int:
    return (await search.search(EXPERTS, str(tenant.id), SearchQuery(text=word, limit=50))).total


async def test_an_import_given_the_engine_is_searchable_at_its_commit_not_before(
        app, session_factory, missions, monkeypatch):
    """Each chunk's documents go to the engine while the next chunk is written, and nobody
    sees them before the import commits; then its outbox rows are gone, nothing left to
    drain."""
    from app.imports import experts as expert_import
    monkeypatch.setattr(expert_import, "CHUNK", 5)
    sudan, search = missions["sudan"], app.state.search
    await drain(session_factory, search)  # what earlier tests left
    seen: list[int] = []

    async def progress(n: int) -> None:  # before the commit; earlier chunks handed over
        seen.append(await _found(search, sudan, "stagedwise"))

    outcome = await import_bytes(session_factory, sudan, _searchable_rows("STAGEDWISE", 12),
                                 status="verified", search=search, progress=progress)
    assert outcome.written and outcome.indexed == 12
    assert seen == [0, 0, 0]
    assert await _found(search, sudan, "stagedwise") == 12
    assert await pending(session_factory, sudan) == 0


async def test_an_import_that_fails_leaves_nothing_in_the_engine(database, app, session_factory,
                                                                 missions, monkeypatch):
    from app.imports import experts as expert_import
    monkeypatch.setattr(expert_import, "CHUNK", 5)
    sudan, search = missions["sudan"], app.state.search
    async with profiles_refused(database, "external_ref", "FAILWISE-11", "not this one"):
        outcome = await import_bytes(session_factory, sudan, _searchable_rows("FAILWISE", 12),
                                     status="verified", search=search)
    assert not outcome.written and "not this one" in outcome.failure
    assert await _found(search, sudan, "failwise") == 0  # two chunks were handed over
    # The writer is free again: the next import is searchable.
    assert (await import_bytes(session_factory, sudan, _searchable_rows("AFTERWISE", 3),
                               status="verified", search=search)).indexed == 3
    assert await _found(search, sudan, "afterwise") == 3


async def test_an_import_the_engine_cannot_take_leaves_its_rows_to_the_drain(
        app, session_factory, missions):
    """Another writer holds the index: the import commits all the same, and its outbox rows
    are due at once, for the drain to index them once the engine is free."""
    sudan, search = missions["sudan"], app.state.search
    await drain(session_factory, search)  # what earlier tests left
    holder = search.staged(EXPERTS, str(sudan.id))
    await holder.add([], ["nothing"])
    await holder.add([], [])  # the writer is taken by now
    outcome = await import_bytes(session_factory, sudan, _searchable_rows("BUSYWISE", 4),
                                 status="verified", search=search)
    assert outcome.written and outcome.indexed == 0
    with tenant_scope(sudan):
        async with session_factory() as db:
            waiting = (await db.scalars(select(SearchOutbox.next_attempt_at).join(
                ExpertProfile, ExpertProfile.id == SearchOutbox.object_id).where(
                ExpertProfile.external_ref.like("BUSYWISE-%")))).all()
    assert len(waiting) == 4 and set(waiting) == {None}
    await holder.discard()
    assert await drain(session_factory, search) == 4
    assert await _found(search, sudan, "busywise") == 4


def _handed_over(search, monkeypatch) -> dict[str, dict | None]:
    """What imports hand to the engine's staged writes from now on: id -> the document, or
    None for a deletion."""
    handed: dict[str, dict | None] = {}
    staged = search.staged

    def keeping(index: str, tenant_id: str):
        writes = staged(index, tenant_id)
        add = writes.add

        async def add_kept(documents: list[dict], deletes: list[str]) -> None:
            handed.update({d["id"]: d for d in documents} | dict.fromkeys(deletes))
            await add(documents, deletes)
        writes.add = add_kept
        return writes
    monkeypatch.setattr(search, "staged", keeping)
    return handed


async def test_the_documents_made_from_an_import_s_rows_are_those_postgresql_gives(
        app, session_factory, missions, monkeypatch):
    """A new profile's document is made from the rows the import writes, not read back: it
    is the document expert_documents builds from PostgreSQL after the commit, for rows with
    every column, Arabic text, a period away, a free tag, no consent to matching or left-out
    columns; in a later file, an updated profile's (read back) beside a new one's."""
    sudan, search = missions["sudan"], app.state.search
    await drain(session_factory, search)  # what earlier tests left
    handed = _handed_over(search, monkeypatch)
    example = (DOCS / "experts-example.csv").read_text("utf-8").replace(
        "SD-20", "DOCS-20").replace("@example.org", "@docs.example.org").rstrip("\n")
    rows = example + "\n" + "\n".join([
        "DOCS-NONE,Nadia Nobody,nadia.nobody@docs.example.org,,female,1985,SD,NL,Utrecht,"
        "en:B2,,,education,Teacher training,5,,,remote,1,4,,none",
        "DOCS-FREE,Khalid Tagged,khalid.tagged@docs.example.org,,male,1979,SD,QA,Doha,"
        "ar:native; en:C1,,,water_management,Hydrology; Rain gardens for schools,9,"
        "مهندس مياه | Hydrologist,Rain gardens.,on_site,2,6,2027-03-01..2027-05-31; 2027-05-01..2027-09-30,"]) + "\n"
    outcome = await run_import(session_factory, sudan, ACTOR, read_upload(rows.encode(), EXPERTS),
                               EXPERTS, "verified", False, links=LINKS, search=search,
                               free_skills=True)
    assert outcome.written and not outcome.check.errors, outcome.check.errors
    assert outcome.check.created == 5 and len(handed) == 5
    assert handed[str((await _profile(session_factory, sudan, "DOCS-NONE")).id)] is None
    later = csv_bytes("external_ref,full_name,email,languages,skills,availability",
                      "DOCS-2021-0311,Fatima Yousif Ali,fatima.ali@docs.example.org,"
                      "en:C2,Agronomy,2027-02-01..2027-02-28",
                      "DOCS-LATER,Omar Later,omar.later@docs.example.org,fr:B1,Agronomy,")
    outcome = await import_bytes(session_factory, sudan, later, status="verified",
                                 search=search)
    assert outcome.written and (outcome.check.created, outcome.check.updated) == (1, 1)
    assert len(handed) == 6
    with tenant_scope(sudan):
        async with session_factory() as db:
            read_back = await expert_documents(db, sudan, [uuid.UUID(i) for i in handed])
    assert {str(i): d for i, d in read_back.items()} == handed
    fatima = handed[str((await _profile(session_factory, sudan, "DOCS-2021-0311")).id)]
    assert fatima is not None and fatima["languages"] == ["en"]  # the update's, read back
    assert len(fatima["skill_ids"]) == 1 and fatima["available_months"] == ["2027-02"]


async def test_a_cell_repeated_in_many_rows_is_read_once_for_each_row_s_own_record(
        session_factory, missions):
    """The check keeps what a repeated cell was read as (CellMemo): every row still gets its
    own lists, and a row whose earlier cell failed neither uses nor leaves a reading."""
    sudan = missions["sudan"]
    data = csv_bytes("external_ref,full_name,email,languages,skills,availability",
                     "MEMO-1,Memo One,memo.1@example.org,en:C1; ar:native,Hydrology,"
                     "2027-01-01..2027-03-31",
                     "MEMO-2,Memo Two,not an address,en:C1; ar:native,Hydrology,"
                     "2027-01-01..2027-03-31",
                     "MEMO-3,Memo Three,memo.3@example.org,en:C1; ar:native,Hydrology,"
                     "2027-01-01..2027-03-31",
                     "MEMO-4,Memo Four,memo.4@example.org,en:C1; xx:B2,Hydrology,"
                     "2027-01-01..2027-03-31")
    outcome = await import_bytes(session_factory, sudan, data, dry_run=True)
    assert [(e.row, e.column) for e in outcome.check.errors] == [(3, "email"), (5, "languages")]
    one, three = outcome.check.records
    assert one.languages == three.languages == [("en", "C1"), ("ar", "native")]
    assert one.skills == three.skills and len(one.skills) == 1
    assert one.availability == three.availability
    assert one.languages is not three.languages and one.skills is not three.skills
