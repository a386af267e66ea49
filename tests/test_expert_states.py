"""The profile life cycle table, transition by transition."""

from __future__ import annotations

import itertools

from app.experts.models import PROFILE_STATUSES
from app.experts.states import EXPERT, STAFF, TRANSITIONS, allowed_actions, next_state

ACTIONS = sorted({action for _, action in TRANSITIONS})

EXPECTED = {
    ("draft", "submit", EXPERT): "submitted",
    ("submitted", "verify", STAFF): "verified",
    ("submitted", "reject", STAFF): "rejected",
    ("submitted", "request_changes", STAFF): "draft",
    ("verified", "deactivate", STAFF): "inactive",
    ("inactive", "reactivate", STAFF): "verified",
    ("rejected", "reopen", STAFF): "draft",
    ("draft", "withdraw", EXPERT): "withdrawn",
    ("submitted", "withdraw", EXPERT): "withdrawn",
    ("verified", "withdraw", EXPERT): "withdrawn",
    ("inactive", "withdraw", EXPERT): "withdrawn",
    ("withdrawn", "rejoin", EXPERT): "draft",
    ("verified", "edit", EXPERT): "submitted",
}


def test_every_state_action_and_actor():
    for state, action, who in itertools.product(PROFILE_STATUSES, ACTIONS, (EXPERT, STAFF)):
        assert next_state(state, action, who) == EXPECTED.get((state, action, who)), \
            (state, action, who)


def test_experts_cannot_vet_their_own_profile():
    assert "verify" not in allowed_actions("submitted", EXPERT)
    assert allowed_actions("submitted", STAFF) == ["verify", "reject", "request_changes"]
    assert allowed_actions("draft", EXPERT) == ["submit", "withdraw"]
    assert "edit" in allowed_actions("verified", EXPERT)
