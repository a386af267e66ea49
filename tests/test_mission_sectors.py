"""A mission's sectors: the programme areas its own pages name are in both mission files;
mission admins add, rename and deactivate sectors in the portal (audited); a deactivated
sector is offered for no new choice; provisioning the mission file again only inserts the
sectors that are missing, so the portal's changes win."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import delete, select, update

from app.audit.models import AuditEvent
from tenants import directory
from tenants.context import tenant_scope
from tenants.models import Sector
from tenants.provisioning import SectorSpec, load_mission, mission_files, provision_mission
from tests.conftest import csrf_token
from tests.html import field_error, parse, table_rows
from tests.import_helpers import csv_bytes, import_bytes

pytestmark = pytest.mark.usefixtures("in_english")

PROGRAMME_AREAS = {
    "immigration_border_management": "Immigration and border management",
    "labour_migration": "Labour migration",
    "assisted_voluntary_return": "Assisted voluntary return and reintegration",
    "migrant_protection": "Migrant protection and assistance",
}


async def post(client, path: str, data: dict | None = None):
    token = await csrf_token(client, "/sudan/")
    return await client.post(path, data={**(data or {}), "_csrf_token": token},
                             follow_redirects=False)


async def sectors(session_factory, tenant) -> dict[str, Sector]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return {s.code: s for s in await db.scalars(select(Sector))}


async def actions(session_factory, tenant, sector_id) -> list[str]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(AuditEvent.action).where(
                AuditEvent.object_type == "sector", AuditEvent.object_id == str(sector_id))
                .order_by(AuditEvent.created_at)))


async def test_both_missions_have_the_migration_programme_areas(session_factory, missions):
    for slug in ("sudan", "mozambique"):
        found = await sectors(session_factory, missions[slug])
        for code, english in PROGRAMME_AREAS.items():
            assert found[code].names["en"] == english, slug
            assert set(found[code].names) == {"en", "ar", "pt", "fr"}, (slug, code)
            assert found[code].active


async def test_a_mission_admin_adds_renames_and_deactivates_a_sector(client, session_factory,
                                                                     missions, mission_admin):
    sudan = missions["sudan"]
    added = await post(client, "/sudan/admin/sectors",
                       {"name_en": "Diaspora engagement", "name_ar": "إشراك المغتربين"})
    assert added.status_code == 303
    sector = (await sectors(session_factory, sudan))["diaspora_engagement"]
    assert sector.names == {"en": "Diaspora engagement", "ar": "إشراك المغتربين"}
    listing = await client.get("/sudan/admin/sectors")
    assert ["Diaspora engagement", "diaspora_engagement", "0", "Active"] in table_rows(
        listing.text)

    # A name another sector has (any language, any case) would make roster cells ambiguous.
    clash = await post(client, "/sudan/admin/sectors",
                       {"name_en": "HEALTH", "name_ar": "اسم آخر"})
    assert clash.status_code == 422
    assert field_error(clash.text, "name_en") == ("Another sector of the mission is called "
                                                  "so: Health.")
    missing = await post(client, "/sudan/admin/sectors", {"name_en": "Only English"})
    assert missing.status_code == 422
    assert field_error(missing.text, "name_ar") == "This field is required."
    assert "only_english" not in await sectors(session_factory, sudan)

    url = f"/sudan/admin/sectors/{sector.id}"
    assert (await client.get(url)).status_code == 200
    renamed = await post(client, url, {"name_en": "Diaspora engagement and return",
                                       "name_ar": "إشراك المغتربين"})
    assert renamed.status_code == 303
    assert (await post(client, f"{url}/status", {"active": "0"})).status_code == 303
    sector = (await sectors(session_factory, sudan))["diaspora_engagement"]
    assert sector.names["en"] == "Diaspora engagement and return" and not sector.active
    assert await actions(session_factory, sudan, sector.id) == [
        "sector.added", "sector.renamed", "sector.deactivated"]

    # Deactivated: the host institution form and a roster no longer offer it.
    form = await client.get("/sudan/institutions/new")
    offered = {node.attributes.get("value")
               for node in parse(form.text).css("input[name=sectors]")}
    assert "health" in offered and "diaspora_engagement" not in offered
    outcome = await import_bytes(session_factory, sudan, csv_bytes(
        "external_ref,full_name,email,sectors", "DS-1,Someone,ds1@example.org,diaspora_engagement"))
    assert outcome.check.errors[0].reason.startswith("Unknown sector “diaspora_engagement”")

    assert (await post(client, f"{url}/status", {"active": "1"})).status_code == 303
    assert (await sectors(session_factory, sudan))["diaspora_engagement"].active
    # The same click twice, and a rename to the same names, change (and audit) nothing.
    assert (await post(client, f"{url}/status", {"active": "1"})).status_code == 303
    same = await post(client, url, {"name_en": "Diaspora engagement and return",
                                    "name_ar": "إشراك المغتربين"})
    assert same.status_code == 303
    assert await actions(session_factory, sudan, sector.id) == [
        "sector.added", "sector.renamed", "sector.deactivated", "sector.reactivated"]


async def test_pages_see_a_sector_change_here_at_once_and_another_process_s_in_time(
        client, session_factory, missions, mission_admin, monkeypatch):
    """Pages read sectors from a per-process cache (tenants/directory.py): a change made
    through this process is seen by the next page; one written by another process (here
    plain SQL, which no ORM event sees) once the cached list is MAX_AGE_SECONDS old."""
    sudan = missions["sudan"]

    async def offered() -> set[str]:
        form = await client.get("/sudan/institutions/new")
        return {node.attributes.get("value") for node in parse(form.text).css(
            "input[name=sectors]")}

    health = (await sectors(session_factory, sudan))["health"]
    assert "health" in await offered()  # the list is now kept
    assert (await post(client, f"/sudan/admin/sectors/{health.id}/status",
                       {"active": "0"})).status_code == 303
    assert "health" not in await offered()
    assert (await post(client, f"/sudan/admin/sectors/{health.id}/status",
                       {"active": "1"})).status_code == 303
    assert "health" in await offered()

    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(Sector).where(Sector.code == "health").values(active=False))
            await db.commit()
    try:
        assert "health" in await offered()  # not yet: the kept list is fresh
        monkeypatch.setattr(directory, "MAX_AGE_SECONDS", 0.0)
        assert "health" not in await offered()
    finally:
        with tenant_scope(sudan):
            async with session_factory() as db:
                await db.execute(update(Sector).where(Sector.code == "health")
                                 .values(active=True))
                await db.commit()


async def test_provisioning_again_inserts_missing_sectors_and_keeps_portal_edits(
        session_factory, missions):
    sudan = missions["sudan"]
    path = next(p for p in mission_files() if p.stem == "sudan")
    with tenant_scope(sudan):
        async with session_factory() as db:
            health = await db.scalar(select(Sector).where(Sector.code == "health"))
            health.names = {**health.names, "en": "Public health"}
            health.active = False
            await db.execute(delete(Sector).where(Sector.code == "labour_migration"))
            db.add(Sector(tenant_id=sudan.id, code="portal_only", names={"en": "Portal only"},
                          position=99))
            await db.commit()
    spec = load_mission(path)
    spec = replace(spec, sectors=[*spec.sectors, SectorSpec("new_in_file", {"en": "New"})])
    async with session_factory() as session:
        await provision_mission(session, spec)
    found = await sectors(session_factory, sudan)
    assert found["health"].names["en"] == "Public health" and not found["health"].active
    assert found["labour_migration"].names["en"] == "Labour migration"  # missing: inserted
    assert found["new_in_file"].names == {"en": "New"} and found["new_in_file"].active
    assert found["portal_only"].names == {"en": "Portal only"}  # not in the file: kept
