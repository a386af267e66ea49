"""Cross-tenant sweep over the app's route table: another mission's ids are never found."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from litestar.routes import HTTPRoute

from tests.accounts_helpers import add_membership, make_user, sign_in, use_session
from tests.isolation import ISOLATION_CASES, assert_tenant_isolated, fill, request

MISSION_PREFIX = "/{mission_slug:str}"


def mission_routes(app) -> list[str]:
    return sorted(r.path for r in app.routes
                  if isinstance(r, HTTPRoute) and r.path.startswith(MISSION_PREFIX))


# Path parameters that name a step or an action of a fixed list, not a mission's object.
NOT_OBJECT_IDS = {"mission_slug", "step", "action"}


def id_params(path: str) -> list[str]:
    return [p for p in re.findall(r"\{(\w+):\w+\}", path) if p not in NOT_OBJECT_IDS]


def test_every_mission_route_with_an_id_has_an_isolation_case(app):
    missing = [p for p in mission_routes(app) if id_params(p) and p not in ISOLATION_CASES]
    assert not missing, f"add these routes to tests/isolation.py ISOLATION_CASES: {missing}"
    stale = [p for p in ISOLATION_CASES if p not in mission_routes(app)]
    assert not stale, f"ISOLATION_CASES names routes that no longer exist: {stale}"


async def _act_as(client, missions, session_factory, role):
    """One person holding `role` in both missions (or nobody, for None)."""
    use_session(client, None)
    if role is None:
        return
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    user = await make_user(session_factory, sudan, role)
    await add_membership(session_factory, mozambique, user, role)
    assert (await sign_in(client, sudan, user.email)).status_code == 303


async def test_other_missions_objects_give_404(app, client, missions, session_factory):
    """Every method of every route with an id: the mission's own object answers, the other
    mission's object is not found."""
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    methods = {r.path: sorted(r.methods - {"HEAD", "OPTIONS"}) for r in app.routes
               if isinstance(r, HTTPRoute)}
    for path, case in ISOLATION_CASES.items():
        for method in methods[path]:
            probe = replace(case, method=method)
            await _act_as(client, missions, session_factory, case.role)
            async with session_factory() as db:
                sudan_obj = await case.factory(db, sudan)
                mozambique_obj = await case.factory(db, mozambique)
            await assert_tenant_isolated(client, path, probe, sudan, sudan_obj, mozambique_obj)
            async with session_factory() as db:  # single-use links: fresh ones the other way
                sudan_obj = await case.factory(db, sudan)
                mozambique_obj = await case.factory(db, mozambique)
            await assert_tenant_isolated(client, path, probe, mozambique, mozambique_obj,
                                         sudan_obj)
    use_session(client, None)


async def test_every_mission_route_is_404_for_an_unknown_mission(app, client, missions,
                                                                  session_factory):
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(MISSION_PREFIX):
            continue
        params = {}
        if route.path in ISOLATION_CASES:
            case = ISOLATION_CASES[route.path]
            async with session_factory() as db:
                params[case.param] = await case.factory(db, missions["sudan"])
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            response = await request(client, method, fill(route.path, mission_slug="atlantis",
                                                          **params))
            assert response.status_code == 404, (method, route.path, response.status_code)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000",
                                    "1%27%20OR%20%271%27=%271"])
async def test_malformed_or_unknown_ids_are_404(client, missions, bad_id):
    response = await client.get(f"/sudan/partners/{bad_id}")
    assert response.status_code == 404
