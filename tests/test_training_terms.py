"""A mission's thematic areas and curricula (issue 15) come from its mission file, named in
each language: the activity form offers them (a curriculum chosen from the list or typed
in), the list and the reports filter on them, and another mission's are not offered."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from app.trainings.models import THEMATIC_AREAS, Training, TrainingTerm
from tenants.context import tenant_scope
from tenants.provisioning import MISSIONS_DIR, ProvisioningError, load_mission
from tests.html import field_error, select_all, select_text
from tests.test_training_participants import a_form, post
from tests.training_helpers import a_new_agency

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
async def partner(signed_in_as, session_factory, missions):
    async with session_factory() as db:
        agency_id = await a_new_agency(db, missions["sudan"])
    return await signed_in_as("partner_user", partner_agency_id=agency_id)


async def terms_of(session_factory, tenant, kind: str) -> list[TrainingTerm]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(TrainingTerm).where(
                TrainingTerm.kind == kind).order_by(TrainingTerm.position)))


async def test_the_mission_files_lists_are_provisioned_in_four_languages(session_factory,
                                                                          missions):
    for slug in ("sudan", "mozambique"):
        areas = await terms_of(session_factory, missions[slug], "area")
        # Today's areas are both missions' defaults.
        assert [t.code for t in areas] == list(THEMATIC_AREAS)
        curricula = await terms_of(session_factory, missions[slug], "curriculum")
        assert {"mixed_migration_curriculum", "ct_criminal_justice"} <= {t.code
                                                                         for t in curricula}
        assert all(set(t.names) == {"en", "ar", "pt", "fr"} for t in [*areas, *curricula])


def test_a_mission_file_with_a_bad_list_is_refused(tmp_path):
    text = (MISSIONS_DIR / "sudan.toml").read_text(encoding="utf-8")
    doubled = text + '\n[[curricula]]\ncode = "ct_criminal_justice"\nnames = { en = "Again" }\n'
    unnamed = text + '\n[[thematic_areas]]\ncode = "climate"\nnames = { fr = "Climat" }\n'
    for content, message in ((doubled, "curricula: codes must be unique"),
                             (unnamed, "thematic_areas 'climate': name it in English")):
        path = tmp_path / "sudan.toml"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ProvisioningError, match=message):
            load_mission(path)


async def test_the_form_offers_the_mission_s_curricula_or_another(client, missions,
                                                                  session_factory, partner):
    sudan = missions["sudan"]
    form = (await client.get("/sudan/trainings/new")).text
    offered = select_all(form, "#f-curriculum_choice option")
    assert offered[1:3] == ["IOM-UNHCR Mixed Migration Curriculum",
                            "Counter-trafficking for the criminal justice system"]
    chosen = await post(client, "/sudan/trainings/new",
                        a_form(curriculum_choice="ct_criminal_justice"))
    assert chosen.status_code == 303, chosen.text[:3000]
    page = (await client.get(chosen.headers["location"])).text
    assert "Counter-trafficking for the criminal justice system" in select_text(page, ".facts")
    # The edit form shows it chosen.
    assert select_all(page, "#f-curriculum_choice option[selected]") == [
        "Counter-trafficking for the criminal justice system"]
    typed = await post(client, "/sudan/trainings/new", a_form(
        curriculum_choice="other", curriculum="Regional protection module", title="Typed"))
    assert typed.status_code == 303
    page = (await client.get(typed.headers["location"])).text
    assert "Regional protection module" in select_text(page, ".facts")
    assert select_all(page, "#f-curriculum_choice option[selected]") == [
        "Another (type its name below)"]
    for sent, field_name in (({"curriculum_choice": "other"}, "curriculum"),
                             ({"curriculum_choice": "no_such_curriculum"},
                              "curriculum_choice"),
                             ({"thematic_area": "climate_mobility"}, "thematic_area")):
        refused = await post(client, "/sudan/trainings/new", a_form(**sent))
        assert refused.status_code == 422 and field_error(refused.text, field_name), sent
    with tenant_scope(sudan):
        async with session_factory() as db:
            stored = {t.title: t.curriculum for t in await db.scalars(select(Training).where(
                Training.title.in_(["Border management workshop", "Typed"])))}
    assert stored == {"Border management workshop": "ct_criminal_justice",
                      "Typed": "Regional protection module"}


async def test_a_mission_s_own_area_is_offered_filtered_and_reported_there_only(
        client, missions, session_factory, partner, signed_in_as):
    sudan = missions["sudan"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            db.add(TrainingTerm(tenant_id=sudan.id, kind="area", code="climate_mobility",
                                names={"en": "Climate mobility", "ar": "التنقل المناخي"},
                                position=20))
            await db.commit()
    try:
        form = (await client.get("/sudan/trainings/new")).text
        assert "Climate mobility" in select_all(form, "#f-thematic_area option")
        created = await post(client, "/sudan/trainings/new", a_form(
            thematic_area="climate_mobility", female="3", title="Climate and migration"))
        assert created.status_code == 303, created.text[:3000]
        listed = (await client.get("/sudan/trainings?area=climate_mobility")).text
        assert select_all(listed, "table.data tbody td:first-child a") == [
            "Climate and migration"]
        assert (await client.get("/sudan/trainings?area=climate_mobility")).status_code == 200
        # Not Mozambique's: its list refuses the filter.
        await signed_in_as("staff", missions["mozambique"])
        assert (await client.get("/mozambique/trainings?area=climate_mobility")
                ).status_code == 400
        assert (await client.get("/mozambique/reports?area=climate_mobility")).status_code == 400
        await signed_in_as("staff")
        assert (await client.get("/sudan/reports?area=climate_mobility")).status_code == 200
    finally:
        with tenant_scope(sudan):
            async with session_factory() as db:
                await db.execute(delete(TrainingTerm).where(
                    TrainingTerm.code == "climate_mobility"))
                await db.commit()
