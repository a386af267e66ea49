"""The assignment request life cycle table, transition by transition, and the same table
enforced through the request page (an action refused by the table changes nothing)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from app.assignment_requests.models import REQUEST_STATUSES, AssignmentRequest
from app.assignment_requests.states import (
    INSTITUTION,
    STAFF,
    TRANSITIONS,
    allowed_actions,
    next_state,
)
from tenants.context import tenant_scope
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.conftest import csrf_token
from tests.request_helpers import make_institution, make_request

pytestmark = pytest.mark.usefixtures("in_english")

ACTIONS = sorted({action for _, action in TRANSITIONS})

EXPECTED = {
    ("draft", "submit", INSTITUTION): "submitted",
    ("draft", "submit", STAFF): "submitted",
    ("submitted", "open", STAFF): "open",
    ("submitted", "request_changes", STAFF): "draft",
    ("submitted", "reject", STAFF): "rejected",
    ("open", "start_shortlisting", STAFF): "shortlisting",
    ("shortlisting", "reopen", STAFF): "open",
    ("shortlisting", "fill", STAFF): "filled",
    ("filled", "close", STAFF): "closed",
    **{(state, "cancel", who): "cancelled"
       for state in ("draft", "submitted", "open", "shortlisting")
       for who in (INSTITUTION, STAFF)},
}


def test_every_state_action_and_actor():
    for state, action, who in itertools.product(REQUEST_STATUSES, ACTIONS, (INSTITUTION, STAFF)):
        assert next_state(state, action, who) == EXPECTED.get((state, action, who)), \
            (state, action, who)


def test_only_staff_open_a_request_for_matching():
    assert allowed_actions("submitted", INSTITUTION) == ["cancel"]
    assert allowed_actions("submitted", STAFF) == ["open", "request_changes", "reject", "cancel"]
    for final in ("closed", "rejected", "cancelled"):
        assert allowed_actions(final, STAFF) == allowed_actions(final, INSTITUTION) == []


@pytest.fixture
async def water_ministry(session_factory, missions):
    async with session_factory() as db:
        return await make_institution(db, missions["sudan"])


async def _status(session_factory, tenant, request_id) -> str:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(AssignmentRequest.status).where(
                AssignmentRequest.id == request_id))


@pytest.mark.parametrize("who", [INSTITUTION, STAFF])
async def test_the_page_applies_the_table(client, missions, session_factory, water_ministry, who):
    """Through the page, from every state: the table's actions move the request, every other
    action is refused with 400 and leaves the state as it was."""
    sudan = missions["sudan"]
    role = "institution_focal_point" if who == INSTITUTION else "staff"
    user = await make_user(session_factory, sudan, role, host_institution_id=water_ministry.id)
    use_session(client, None)
    assert (await sign_in(client, sudan, user.email)).status_code == 303
    for state, action in itertools.product(REQUEST_STATUSES, ACTIONS):
        async with session_factory() as db:
            request = await make_request(db, sudan, water_ministry.id, status=state)
        url = f"/sudan/requests/{request.id}/action"
        response = await client.post(url, data={
            "_csrf_token": await csrf_token(client, f"/sudan/requests/{request.id}"),
            "action": action, "reason": "Budget moved to next year."}, follow_redirects=False)
        expected = EXPECTED.get((state, action, who))
        assert response.status_code == (303 if expected else 400), (state, action, who)
        assert await _status(session_factory, sudan, request.id) == (expected or state)
