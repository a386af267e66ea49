"""Schemathesis against the API's own OpenAPI schema, in process (the ASGI app, the module's
database and search index): every operation, valid and invalid input (both generation
modes), with a valid token, and never a server error nor anything but JSON.

Kept fast and repeatable: 25 examples per operation and mode, derandomized, no example
database. Most generated ids are unknown (404); every other one is swapped for an object of
the mission so that the handlers' full paths run too.

(Schemathesis' own pytest integration, `schemathesis.pytest.from_fixture`, does not run on
pytest 9 yet, so each operation's strategy is driven with Hypothesis directly; the checks
are schemathesis' own.)"""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.hooks import HookDispatcher, HookScope

from app.main import create_app, search_backend
from app.search.sync import drain, ensure_indexes
from tests.api_helpers import api_token, bearer, matching_scene
from tests.assignment_helpers import an_assignment

OPERATIONS = ("/api/v1/{mission_slug}/experts", "/api/v1/{mission_slug}/experts/{profile_id}",
              "/api/v1/{mission_slug}/requests", "/api/v1/{mission_slug}/requests/{request_id}",
              "/api/v1/{mission_slug}/requests/{request_id}/matches",
              "/api/v1/{mission_slug}/assignments",
              "/api/v1/{mission_slug}/assignments/{assignment_id}",
              "/api/v1/{mission_slug}/reports/dashboard", "/api/v1/{mission_slug}/reports/supply")
FUZZ = hypothesis_settings(max_examples=25, deadline=None, derandomize=True, database=None,
                           suppress_health_check=list(HealthCheck), print_blob=False)


@pytest.fixture(scope="module")
async def fuzzing(missions, session_factory, settings, search_dir) -> dict:
    """The mission's objects (indexed) and a token of the mission."""
    scene = await matching_scene(session_factory, missions["sudan"], "F")
    backend = search_backend(replace(settings, search_root=str(search_dir)))
    try:
        await ensure_indexes(backend)
        await drain(session_factory, backend)
    finally:
        await backend.close()
    async with session_factory() as db:
        assignment_id = await an_assignment(db, missions["sudan"], of_signed_in_expert=False)
    return {"token": await api_token(session_factory, missions["sudan"], "schemathesis"),
            "known": {"profile_id": str(scene.pseudonymous[0].id),
                      "request_id": str(scene.request.id),
                      "assignment_id": str(assignment_id)}}


@pytest.fixture(scope="module")
def api_schema(fuzzing, database, settings, search_dir):
    # An app of its own: schemathesis runs it (and its lifespan) on its own event loop.
    app = create_app(database.urls.app, replace(settings, search_root=str(search_dir)))
    return schemathesis.openapi.from_asgi("/api/v1/schema/openapi.json", app)


@pytest.fixture(scope="module")
def hooks(fuzzing) -> HookDispatcher:
    dispatcher = HookDispatcher(scope=HookScope.TEST)

    @dispatcher.hook("map_path_parameters")
    def in_the_mission(_context, path_parameters):
        path_parameters = dict(path_parameters or {})
        path_parameters["mission_slug"] = "sudan"
        for name, known in fuzzing["known"].items():
            value = path_parameters.get(name)
            try:
                if value is not None and uuid.UUID(str(value)).int % 2 == 0:
                    path_parameters[name] = known
            except ValueError:
                pass  # an invalid id stays: it must be a 404
        return path_parameters

    return dispatcher


def test_every_operation_is_fuzzed(api_schema):
    assert {result.ok().path for result in api_schema.get_all_operations()} == set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize("path", OPERATIONS)
def test_no_operation_answers_a_server_error(api_schema, hooks, fuzzing, path, mode):
    operation = api_schema[path]["GET"]
    statuses = set()

    @FUZZ
    @given(case=operation.as_strategy(mode, hooks=hooks))
    def run(case):
        response = case.call(headers=bearer(fuzzing["token"]))
        case.validate_response(response, checks=[not_a_server_error])
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/json"), \
            (case.formatted_path, response.status_code, response.text[:200])
        if response.status_code >= 400:
            assert response.json()["error"]["status"] == response.status_code
        statuses.add(response.status_code)

    run()
    if mode == GenerationMode.NEGATIVE:
        assert statuses - {200}, statuses  # invalid input was refused at least once
    else:
        assert 200 in statuses, statuses   # and valid input answered
