"""Imports that carry a real roster: an explicit "none" in the consents column, unknown
skills added as free tags when the uploader asks for it (the profile form's way), and a
sector the mission does not offer refused with the ones it does; the same option on the
command line (`portal import experts --free-tags`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.experts.models import ExpertConsent, ExpertProfile, ExpertSkill, Skill
from app.imports.services import read_upload, run_import
from tenants.context import tenant_scope
from tenants.models import Sector
from tests.import_helpers import ACTOR, LINKS, a_checked_batch, csv_bytes, import_bytes

pytestmark = pytest.mark.usefixtures("in_english")

HEADER = "external_ref,full_name,email,sectors,skills,consents"


async def _consents(session_factory, tenant, ref: str) -> list[str]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return sorted(await db.scalars(select(ExpertConsent.purpose).join(
                ExpertProfile, ExpertProfile.id == ExpertConsent.profile_id).where(
                ExpertProfile.tenant_id == tenant.id, ExpertProfile.external_ref == ref)))


async def _skills(session_factory, tenant, ref: str) -> list[tuple[str, str]]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return sorted((s.source, s.display_name("en")) for s in await db.scalars(
                select(Skill).join(ExpertSkill, ExpertSkill.skill_id == Skill.id).join(
                    ExpertProfile, ExpertProfile.id == ExpertSkill.profile_id).where(
                    ExpertProfile.tenant_id == tenant.id, ExpertProfile.external_ref == ref)))


async def test_none_in_the_consents_column_records_no_consent(session_factory, missions):
    sudan = missions["sudan"]
    outcome = await import_bytes(session_factory, sudan, csv_bytes(
        HEADER, "NC-1,No Consent,nc1@example.org,education,Hydrology,none",
        "NC-2,Said Nothing,nc2@example.org,education,Hydrology,",
        "NC-3,Some Purposes,nc3@example.org,education,Hydrology,matching; future_contact"))
    assert outcome.written and not outcome.check.errors, outcome.check.errors
    assert await _consents(session_factory, sudan, "NC-1") == []
    assert await _consents(session_factory, sudan, "NC-2") == ["matching"]
    assert await _consents(session_factory, sudan, "NC-3") == ["future_contact", "matching"]


async def test_none_with_a_purpose_or_an_unknown_purpose_is_refused(session_factory, missions):
    outcome = await import_bytes(session_factory, missions["sudan"], csv_bytes(
        HEADER, "NC-4,Both,nc4@example.org,education,Hydrology,none; matching",
        "NC-5,Typo,nc5@example.org,education,Hydrology,nobody"))
    assert not outcome.written
    found = {(e.row, e.column): e.reason for e in outcome.check.errors}
    assert found[(2, "consents")] == ("“none” means no consent at all: list no purpose "
                                      "with it.")
    assert found[(3, "consents")] == ("Unknown value “nobody”: use one of matching, "
                                      "share_with_institutions, future_contact, none.")


async def test_unknown_skills_are_refused_without_the_option(session_factory, missions):
    outcome = await import_bytes(session_factory, missions["sudan"], csv_bytes(
        HEADER, "FT-1,Basket Weaver,ft1@example.org,education,Hydrology; Basket weaving,"))
    assert not outcome.written
    assert [(e.row, e.column, e.reason) for e in outcome.check.errors] == [
        (2, "skills", "Not in the mission's skills list: Basket weaving.")]


async def test_unknown_skills_become_free_tags_with_the_option(session_factory, missions):
    sudan = missions["sudan"]
    data = csv_bytes(HEADER,
                     "FT-2,First Weaver,ft2@example.org,education,Hydrology; Basket weaving,",
                     "FT-3,Second Weaver,ft3@example.org,education,basket WEAVING; Loom repair,")
    outcome = await run_import(session_factory, sudan, ACTOR, read_upload(data, "experts"),
                               "experts", "submitted", False, links=LINKS, free_skills=True)
    assert outcome.written and not outcome.check.errors, outcome.check.errors
    assert outcome.check.new_skills == ["Basket weaving", "Loom repair"]
    assert await _skills(session_factory, sudan, "FT-2") == [("free", "Basket weaving"),
                                                             ("mission", "Hydrology")]
    # The same tag typed differently is one skill, as on the profile form.
    assert await _skills(session_factory, sudan, "FT-3") == [("free", "Basket weaving"),
                                                             ("free", "Loom repair")]
    with tenant_scope(sudan):
        async with session_factory() as db:
            tags = list(await db.scalars(select(Skill.code).where(
                Skill.tenant_id == sudan.id, Skill.source == "free",
                Skill.code.in_(["free:basket-weaving", "free:loom-repair"]))))
    assert sorted(tags) == ["free:basket-weaving", "free:loom-repair"]
    # Importing again finds the tags in the vocabulary: nothing new to add.
    again = await run_import(session_factory, sudan, ACTOR, read_upload(data, "experts"),
                             "experts", "submitted", False, links=LINKS, free_skills=True)
    assert again.written and again.check.new_skills == [] and again.check.updated == 2


async def test_the_upload_keeps_the_option_and_the_preview_lists_the_tags(client, app,
                                                                          session_factory,
                                                                          missions):
    sudan = missions["sudan"]
    data = csv_bytes(HEADER, "FT-4,Third Weaver,ft4@example.org,education,Rope making,")
    with tenant_scope(sudan):
        async with session_factory() as db:
            without = await a_checked_batch(db, sudan, "plain.csv", data)
    assert without.valid_rows == 0 and without.errors[0]["column"] == "skills"
    from app.imports.services import check_batch, receive_upload
    from tests.documents_helpers import app_storage
    with tenant_scope(sudan):
        async with session_factory() as db:
            batch = await receive_upload(db, sudan, ACTOR, app_storage(), "experts", "tags.csv",
                                         data, "submitted", "en", free_skills=True)
            batch = await check_batch(db, app_storage(), sudan, ACTOR, batch.id)
    assert batch.free_skills and batch.valid_rows == 1 and not batch.errors
    assert batch.facts["new_skills"] == ["Rope making"]


async def test_the_command_line_adds_free_tags_when_asked(portal, session_factory, missions,
                                                         tmp_path):
    roster = tmp_path / "weavers.csv"
    roster.write_bytes(csv_bytes(
        HEADER, "FT-5,Fourth Weaver,ft5@example.org,education,Hydrology; Net mending,"))
    without = portal("import", "experts", str(roster), "--tenant", "sudan")
    assert without.returncode != 0
    assert "row 2, skills: Not in the mission's skills list: Net mending." in without.stderr
    assert await _skills(session_factory, missions["sudan"], "FT-5") == []
    ran = portal("import", "experts", str(roster), "--tenant", "sudan", "--free-tags")
    assert ran.returncode == 0, ran.stderr + ran.stdout
    assert "added as free tags: Net mending" in ran.stdout
    assert "1 created, 0 updated, 0 rejected" in ran.stdout
    assert await _skills(session_factory, missions["sudan"], "FT-5") == [
        ("free", "Net mending"), ("mission", "Hydrology")]
    assert "--free-tags" in portal("import", "experts", "--help").stdout
    # Requests have no skills of their own to add: the option is the experts' alone.
    wrong = portal("import", "requests", str(roster), "--tenant", "sudan", "--free-tags")
    assert wrong.returncode == 2 and "No such option '--free-tags'" in wrong.stderr


async def test_a_sector_the_mission_does_not_offer_is_refused_with_the_known_ones(
        session_factory, missions):
    sudan = missions["sudan"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(Sector).where(Sector.tenant_id == sudan.id,
                                                  Sector.code == "media_development")
                             .values(active=False))
            await db.commit()
    try:
        outcome = await import_bytes(session_factory, sudan, csv_bytes(
            HEADER, "SE-1,Space Person,se1@example.org,space_travel,Hydrology,",
            "SE-2,Media Person,se2@example.org,Media development,Hydrology,",
            "SE-3,By Name,se3@example.org,Water management; EDUCATION,Hydrology,"))
    finally:
        with tenant_scope(sudan):
            async with session_factory() as db:
                await db.execute(update(Sector).where(Sector.tenant_id == sudan.id)
                                 .values(active=True))
                await db.commit()
    found = {(e.row, e.column): e.reason for e in outcome.check.errors}
    reason = found[(2, "sectors")]
    assert reason.startswith("Unknown sector “space_travel”: use one of Water management "
                             "(water_management), Education (education), ")
    assert "Immigration and border management (immigration_border_management)" in reason
    assert "media_development" not in reason  # deactivated: offered for nothing new
    assert found[(3, "sectors")].startswith("Unknown sector “Media development”")
    assert (4, "sectors") not in found
