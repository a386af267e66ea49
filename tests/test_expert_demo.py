"""Demo experts (portal seed-demo), the bulk generator benchmarks use, and `portal skills
import` of an ESCO-like taxonomy."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts.models import Membership, User
from app.accounts.passwords import verify_password
from app.audit.models import AuditEvent
from app.demo import DEMO_PASSWORD, seed_demo
from app.demo.experts import DEMO_EXPERTS_PER_MISSION
from app.experts.models import (
    EDUCATION_LEVELS,
    ExpertAvailability,
    ExpertConsent,
    ExpertEducation,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    ExpertWork,
    Skill,
)
from app.experts.skills_import import (
    SkillsImportError,
    code_for,
    decode,
    import_skills,
    parse_skills_csv,
)
from bench.expert_generator import generate_experts
from tenants.context import tenant_scope
from tenants.models import Sector

EXPERT_TABLES = (ExpertProfile, ExpertLanguage, ExpertEducation, ExpertWork,
                 ExpertAvailability, ExpertSkill, ExpertConsent)
DEMO_EMAIL = re.compile(r"^[a-z]+\.[a-z]+\.\d+@experts\.demo$")


@pytest.fixture(scope="module")
async def seeded(session_factory, missions):
    started = time.perf_counter()
    await seed_demo(session_factory)
    return time.perf_counter() - started


async def _snapshot(session_factory, missions) -> dict:
    """Ids of every demo expert row per mission, and the demo experts' accounts."""
    snap = {}
    async with session_factory() as db:
        snap["users"] = (await db.execute(select(User.id, User.email, func.account_password_hash(User.id)).where(
            User.email.like("%@experts.demo")).order_by(User.email))).all()
    for slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                snap[slug, "members"] = (await db.execute(select(Membership.id, Membership.role)
                                                          .order_by(Membership.id))).all()
                for model in EXPERT_TABLES:
                    snap[slug, model.__tablename__] = list(await db.scalars(
                        select(model.id).order_by(model.id)))
    return snap


async def test_seed_demo_creates_hundreds_of_varied_experts_per_mission(
        seeded, session_factory, missions):
    assert seeded < 30, f"seed-demo took {seeded:.1f} s"  # ~3 s here; bulk inserts matter
    today = date.today()
    expected_languages = {"sudan": {"ar", "en", "fr", "nl", "de"},
                          "mozambique": {"pt", "en", "fr", "ts", "sw"}}
    for slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                profiles = list(await db.scalars(select(ExpertProfile)))
                assert len(profiles) == DEMO_EXPERTS_PER_MISSION
                assert sorted(p.number for p in profiles) == list(
                    range(1, DEMO_EXPERTS_PER_MISSION + 1))
                sectors = set(await db.scalars(select(Sector.code)))
                used = Counter(s for p in profiles for s in p.sectors)
                assert set(used) <= sectors and len(used) >= len(sectors) - 1
                statuses = Counter(p.status for p in profiles)
                assert statuses["verified"] > DEMO_EXPERTS_PER_MISSION / 2
                assert {"submitted", "draft", "inactive"} <= set(statuses)
                assert all(p.status_reason for p in profiles if p.status == "inactive")
                assert all(p.verified_at and p.submitted_at for p in profiles
                           if p.status == "verified")
                assert len({p.residence_country for p in profiles}) >= 6
                assert all(p.nationality == tenant.country_code for p in profiles)
                assert all(p.min_weeks <= p.max_weeks for p in profiles)
                assert {p.modality for p in profiles} == {"on_site", "hybrid", "remote"}
                # a headline as CVs open: the trade, then the sectors; some drafts lack one
                assert all(p.headline and len(p.headline) <= 160 for p in profiles
                           if p.status != "draft")
                assert any(not p.headline for p in profiles if p.status == "draft")
                assert sum(" | " in p.headline for p in profiles) > len(profiles) / 2

                languages = (await db.execute(select(ExpertLanguage.language,
                                                     ExpertLanguage.level))).all()
                assert expected_languages[slug] <= {code for code, _ in languages}
                assert {"native", "B2", "C1"} <= {level for _, level in languages}
                levels = set(await db.scalars(select(ExpertEducation.level)))
                assert levels <= set(EDUCATION_LEVELS) and {"6", "7", "8"} <= levels
                assert await db.scalar(select(func.count()).select_from(ExpertWork)) > 300
                windows = (await db.execute(select(ExpertAvailability.kind,
                                                   ExpertAvailability.starts_on,
                                                   ExpertAvailability.ends_on))).all()
                assert {kind for kind, _, _ in windows} == {"available", "unavailable"}
                assert all(start > today and end >= start
                           for kind, start, end in windows if kind == "available")

                # Skills come from the mission's own vocabulary.
                skill_sources = set(await db.scalars(select(Skill.source).join(
                    ExpertSkill, ExpertSkill.skill_id == Skill.id)))
                assert skill_sources == {"mission"}
                consents = (await db.execute(select(ExpertConsent.profile_id,
                                                    ExpertConsent.purpose,
                                                    ExpertConsent.notice_version))).all()
                assert {v for _, _, v in consents} == {1}
                by_purpose = Counter(purpose for _, purpose, _ in consents)
                verified = {p.id for p in profiles if p.status == "verified"}
                matching = {pid for pid, purpose, _ in consents if purpose == "matching"}
                assert verified <= matching  # every verified expert is in the matching pool
                assert by_purpose["share_with_institutions"] > len(profiles) / 2
                assert 0 < by_purpose["future_contact"] < by_purpose["matching"]

                accounts = (await db.execute(
                    select(User.email, User.name, User.email_verified_at,
                           func.account_password_hash(User.id),
                           Membership.role)
                    .join(Membership, Membership.user_id == User.id)
                    .join(ExpertProfile, ExpertProfile.user_id == User.id))).all()
                assert len(accounts) == DEMO_EXPERTS_PER_MISSION
                assert all(DEMO_EMAIL.match(email) and verified_at and role == "expert"
                           for email, _, verified_at, _, role in accounts)
                assert len({h for *_, h, _ in accounts}) == 1  # hashed once, reused
                assert verify_password(accounts[0][3], DEMO_PASSWORD)
                names = [name for _, name, *_ in accounts]
                arabic = [n for n in names if re.search(r"[\u0600-\u06ff]", n)]
                if slug == "sudan":
                    assert 0 < len(arabic) < len(names) / 2
                else:
                    assert not arabic and any(re.search(r"[ãçéíóôúâê]", n) for n in names)


async def test_seed_demo_twice_changes_nothing(seeded, session_factory, missions):
    before = await _snapshot(session_factory, missions)
    assert len(before["users"]) == 2 * DEMO_EXPERTS_PER_MISSION
    await seed_demo(session_factory)
    assert await _snapshot(session_factory, missions) == before


async def test_each_mission_reads_only_its_own_experts(seeded, session_factory, missions):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    sudan_ids = {}
    with tenant_scope(sudan):
        async with session_factory() as db:
            for model in EXPERT_TABLES:
                sudan_ids[model] = set(await db.scalars(select(model.id)))
                assert sudan_ids[model]
                assert set(await db.scalars(select(model.tenant_id).distinct())) == {sudan.id}
    with tenant_scope(mozambique):
        async with session_factory() as db:
            for model in EXPERT_TABLES:
                seen = set(await db.scalars(select(model.id)))
                assert seen and not seen & sudan_ids[model], model.__tablename__
                assert set(await db.scalars(select(model.tenant_id).distinct())) == {mozambique.id}
    with tenant_scope(None):
        async with session_factory() as db:
            for model in EXPERT_TABLES:
                assert await db.scalar(select(func.count()).select_from(model)) == 0


# --- the bulk generator -------------------------------------------------------------------------

async def _counts(session_factory, tenant) -> dict:
    with tenant_scope(tenant):
        async with session_factory() as db:
            counts = {m.__tablename__: await db.scalar(select(func.count()).select_from(m))
                      for m in (*EXPERT_TABLES, Membership)}
    async with session_factory() as db:
        counts["users"] = await db.scalar(select(func.count()).select_from(User))
    return counts


@pytest.mark.parametrize("workers, n", [(1, 2000), (2, 501)])
async def test_generator_creates_exactly_n_valid_experts(seeded, database, app_engine,
                                                         session_factory, missions, workers, n):
    tenant = missions["mozambique"]
    before = await _counts(session_factory, tenant)
    # The URL (one transaction) and the app's engine (its pool lends the connections).
    target = database.urls.app if workers == 1 else app_engine
    result = await generate_experts(target, tenant, n, seed=7, workers=workers)
    after = await _counts(session_factory, tenant)
    assert result.experts == n
    for table in ("expert_profiles", "memberships", "users"):
        assert after[table] - before[table] == n, table
    for table, added in result.rows.items():
        assert after[table] - before[table] == added, table
    assert result.rows["expert_consents"] >= n and result.rows["expert_languages"] >= 2 * n

    with tenant_scope(tenant):
        async with session_factory() as db:
            new = ExpertProfile.number >= result.first_number
            profiles = (await db.execute(select(ExpertProfile.id, ExpertProfile.number,
                                                ExpertProfile.status, ExpertProfile.sectors,
                                                ExpertProfile.headline,
                                                Membership.role, User.email)
                                         .join(User, User.id == ExpertProfile.user_id)
                                         .join(Membership, Membership.user_id == User.id)
                                         .where(new))).all()
            assert len(profiles) == n
            assert sorted(p.number for p in profiles) == list(
                range(result.first_number, result.first_number + n))
            assert {p.status for p in profiles} == {"verified"}
            assert {p.role for p in profiles} == {"expert"}
            assert len({p.email for p in profiles}) == n
            sectors = set(await db.scalars(select(Sector.code)))
            assert all(p.sectors and set(p.sectors) <= sectors for p in profiles)
            assert all(p.headline and len(p.headline) <= 160 for p in profiles)
            ids = {p.id for p in profiles}
            matching = set(await db.scalars(select(ExpertConsent.profile_id).where(
                ExpertConsent.purpose == "matching", ExpertConsent.withdrawn_at.is_(None))))
            assert ids <= matching  # everyone generated is in the matching pool
            for model in (ExpertLanguage, ExpertSkill, ExpertAvailability, ExpertConsent):
                # Every child row hangs off a profile of the same mission.
                orphans = await db.scalar(select(func.count()).select_from(model).outerjoin(
                    ExpertProfile, (ExpertProfile.id == model.profile_id)
                    & (ExpertProfile.tenant_id == model.tenant_id)).where(
                    ExpertProfile.id.is_(None)))
                assert orphans == 0, model.__tablename__
            foreign_skills = await db.scalar(select(func.count()).select_from(ExpertSkill).join(
                Skill, Skill.id == ExpertSkill.skill_id).where(Skill.tenant_id != tenant.id))
            assert foreign_skills == 0


# --- skills import ------------------------------------------------------------------------------

HEADER = ("conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,hiddenLabels,"
          "status,modifiedDate,scopeNote,definition,inScheme,description")
URI = "http://data.europa.eu/esco/skill/"
WATER = f"{URI}0b1c7e65-5f2a-4c3e-9a1e-2b1c7e655f2a"
CURRICULUM = f"{URI}8f3a4b2c-1d2e-4f5a-8b9c-0d1e2f3a4b5c"
BRAILLE = f"{URI}5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"


def esco_csv(*rows: tuple[str, str, str], header: str = HEADER) -> str:
    """An ESCO-shaped file: altLabels are newline-separated inside one quoted field."""
    lines = [header]
    for uri, label, alt in rows:
        lines.append(f'KnowledgeSkillCompetence,{uri},skill/competence,sector-specific,'
                     f'"{label}","{alt}",,released,2024-01-25T10:00:00Z,,,'
                     f'"{URI}skills","Some description, with a comma."')
    return "\n".join(lines) + "\n"


V1 = esco_csv((WATER, "manage water treatment",
               "supervise water purification\noversee water treatment"),
              (CURRICULUM, "develop curriculum", "design curricula\ncurriculum design"))


def test_parse_esco_rows():
    rows = parse_skills_csv(V1)
    assert [r.row for r in rows] == [2, 3]
    water = rows[0]
    assert water.code == "esco:skill-0b1c7e65-5f2a-4c3e-9a1e-2b1c7e655f2a"
    assert water.name == "manage water treatment"
    assert water.synonyms == ("supervise water purification", "oversee water treatment")
    assert water.external_uri == WATER
    # Stable: the URI decides, not the label; without a URI the label does.
    assert code_for(WATER, "another label", "esco") == water.code
    assert code_for("", "Gestão da água", "esco") == "esco:gestao-da-agua"
    assert len(code_for("https://example.org/" + "x" * 400, "", "tax")) <= 120


def test_bom_is_accepted_and_other_encodings_refused():
    assert decode(b"\xef\xbb\xbf" + V1.encode()) == V1
    latin = esco_csv((WATER, "Gestão da água", "")).encode("cp1252")
    with pytest.raises(SkillsImportError, match=r"not UTF-8 .*line 2"):
        decode(latin, "skills_pt.csv")
    with pytest.raises(SkillsImportError, match="UTF-16"):
        decode(V1.encode("utf-16"), "skills.csv")


def test_missing_columns_and_malformed_rows_are_named():
    with pytest.raises(SkillsImportError, match="missing required column.*conceptUri"):
        parse_skills_csv("preferredLabel,altLabels\nwater,\n")
    with pytest.raises(SkillsImportError, match="column.s.: conceptUri, preferredLabel"):
        parse_skills_csv("label,uri\nwater,x\n")
    bad = V1 + f"KnowledgeSkillCompetence,{BRAILLE},skill,x,,\"\",,released,,,,,\n" \
        + "KnowledgeSkillCompetence,not a uri,skill,x,teach braille,,,released,,,,,\n" \
        + "just,three,fields\n" + esco_csv((WATER, "manage water", "")).splitlines()[1] + "\n"
    with pytest.raises(SkillsImportError) as err:
        parse_skills_csv(bad, name="skills_en.csv")
    message = str(err.value)
    assert "4 invalid row(s), nothing was imported" in message
    # Rows 2 and 3 span two lines each (newline-separated altLabels).
    assert "row 4 (line 6): preferredLabel is empty" in message
    assert "row 5 (line 7): conceptUri 'not a uri' is not an http(s) URI" in message
    assert "row 6 (line 8): 3 fields, the header has 13" in message
    assert "row 7 (line 9): the same skill as row 2 (conceptUri repeated)" in message


async def test_reimport_updates_in_place(session_factory, missions):
    sudan = missions["sudan"]
    first = await import_skills(session_factory, sudan, parse_skills_csv(V1), "en")
    assert (first.created, first.updated) == (2, 0)
    v2 = esco_csv((WATER, "manage water treatment plants",
                   "supervise water purification\nrun water treatment works"),
                  (CURRICULUM, "develop curriculum", "design curricula\ncurriculum design"),
                  (BRAILLE, "teach braille", "braille instruction"))
    second = await import_skills(session_factory, sudan, parse_skills_csv(v2), "en")
    assert (second.created, second.updated) == (1, 2)
    portuguese = esco_csv((WATER, "gerir o tratamento de água", "supervisionar a purificação"))
    await import_skills(session_factory, sudan, parse_skills_csv(portuguese), "pt")
    with tenant_scope(sudan):
        async with session_factory() as db:
            skills = {s.external_uri: s for s in await db.scalars(
                select(Skill).where(Skill.source == "esco"))}
            assert set(skills) == {WATER, CURRICULUM, BRAILLE}
            water = skills[WATER]
            assert water.names == {"en": "manage water treatment plants",
                                   "pt": "gerir o tratamento de água"}
            assert water.synonyms == ["supervise water purification", "oversee water treatment",
                                      "run water treatment works", "supervisionar a purificação"]
            assert skills[CURRICULUM].synonyms == ["design curricula", "curriculum design"]
            # The mission's own vocabulary is untouched.
            assert await db.scalar(select(func.count()).select_from(Skill).where(
                Skill.source == "mission")) == 13
            audited = list(await db.scalars(select(AuditEvent.after).where(
                AuditEvent.action == "skills.imported").order_by(AuditEvent.created_at)))
            assert [(a["locale"], a["created"], a["updated"]) for a in audited] == [
                ("en", 2, 0), ("en", 1, 2), ("pt", 0, 1)]


async def _esco_skills(session_factory, tenant) -> list:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return (await db.execute(select(Skill.code, Skill.names, Skill.synonyms)
                                     .where(Skill.source == "esco").order_by(Skill.code))).all()


async def test_cli_imports_and_refuses_bad_files(portal, session_factory, missions, tmp_path):
    mozambique = missions["mozambique"]
    good = tmp_path / "skills_pt.csv"
    good.write_bytes(b"\xef\xbb\xbf" + esco_csv(
        (WATER, "gerir o tratamento de água", "supervisionar a purificação de água"),
        (BRAILLE, "ensinar braille", "instrução em braille\nbraille")).encode())
    result = portal("skills", "import", str(good), "--tenant", "mozambique", "--locale", "pt")
    assert result.returncode == 0, result.stderr
    assert "2 new, 0 updated" in result.stdout
    imported = await _esco_skills(session_factory, mozambique)
    assert [(names, synonyms) for _, names, synonyms in imported] == [
        ({"pt": "gerir o tratamento de água"}, ["supervisionar a purificação de água"]),
        ({"pt": "ensinar braille"}, ["instrução em braille", "braille"])]
    assert not any(names.get("pt") == "ensinar braille"
                   for _, names, _ in await _esco_skills(session_factory, missions["sudan"]))

    again = portal("skills", "import", str(good), "--tenant", "mozambique", "--locale", "pt")
    assert again.returncode == 0 and "0 new, 2 updated" in again.stdout
    assert await _esco_skills(session_factory, mozambique) == imported

    windows = tmp_path / "skills_cp1252.csv"
    windows.write_bytes(esco_csv((CURRICULUM, "elaboração de currículos", "")).encode("cp1252"))
    refused = portal("skills", "import", str(windows), "--tenant", "mozambique")
    assert refused.returncode == 1 and "not UTF-8" in refused.stderr

    broken = tmp_path / "broken.csv"
    broken.write_text(esco_csv((CURRICULUM, "elaborar currículos", ""), (BRAILLE, "", "")),
                      encoding="utf-8")
    refused = portal("skills", "import", str(broken), "--tenant", "mozambique", "--locale", "pt")
    assert refused.returncode == 1 and "row 3" in refused.stderr
    assert "preferredLabel is empty" in refused.stderr
    assert await _esco_skills(session_factory, mozambique) == imported  # row 2 not written

    no_column = tmp_path / "labels.csv"
    no_column.write_text("preferredLabel\nwater\n", encoding="utf-8")
    refused = portal("skills", "import", str(no_column), "--tenant", "mozambique")
    assert refused.returncode == 1 and "missing required column(s): conceptUri" in refused.stderr

    unknown = portal("skills", "import", str(good), "--tenant", "narnia")
    assert unknown.returncode == 1 and "no mission with slug 'narnia'" in unknown.stderr
