"""Cross-tenant sweep over the app's route table: another mission's ids are never found."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from tests.isolation import ISOLATION_CASES, assert_tenant_isolated, fill

MISSION_PREFIX = "/{mission_slug:str}"


def mission_routes(app) -> list[str]:
    return sorted(r.path for r in app.routes
                  if isinstance(r, HTTPRoute) and r.path.startswith(MISSION_PREFIX))


def id_params(path: str) -> list[str]:
    return [p for p in re.findall(r"\{(\w+):\w+\}", path) if p != "mission_slug"]


def test_every_mission_route_with_an_id_has_an_isolation_case(app):
    missing = [p for p in mission_routes(app) if id_params(p) and p not in ISOLATION_CASES]
    assert not missing, f"add these routes to tests/isolation.py ISOLATION_CASES: {missing}"
    stale = [p for p in ISOLATION_CASES if p not in mission_routes(app)]
    assert not stale, f"ISOLATION_CASES names routes that no longer exist: {stale}"


async def test_other_missions_objects_give_404(app, client, missions, session_factory):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    for path, (param, factory) in ISOLATION_CASES.items():
        async with session_factory() as db:
            sudan_id = await factory(db, sudan)
            mozambique_id = await factory(db, mozambique)
        await assert_tenant_isolated(client, path, param, sudan, sudan_id, mozambique_id)
        await assert_tenant_isolated(client, path, param, mozambique, mozambique_id, sudan_id)


async def test_every_mission_route_is_404_for_an_unknown_mission(app, client, missions,
                                                                  session_factory):
    for path in mission_routes(app):
        params = {}
        if path in ISOLATION_CASES:
            param, factory = ISOLATION_CASES[path]
            async with session_factory() as db:
                params[param] = await factory(db, missions["sudan"])
        response = await client.get(fill(path, mission_slug="atlantis", **params))
        assert response.status_code == 404, path


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000",
                                    "1%27%20OR%20%271%27=%271"])
async def test_malformed_or_unknown_ids_are_404(client, missions, bad_id):
    response = await client.get(f"/sudan/partners/{bad_id}")
    assert response.status_code == 404
