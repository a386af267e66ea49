"""A training's life cycle: the one table of allowed transitions.

(state, action) -> new state. The partner agency records the training while it is planned,
held or returned, marks it held and submits it; staff approve it (locked: nothing changes
any more) or return it with a reason, and the agency corrects it and submits again. An
approved record changes only after staff reopen it with a reason: it is then returned,
for the agency (or staff) to correct and submit again.
"""

from __future__ import annotations

TRANSITIONS: dict[tuple[str, str], str] = {
    ("planned", "hold"): "held",
    ("held", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "return"): "returned",
    ("approved", "reopen"): "returned",
}
# Who moves: the recording agency (and staff acting for it), or staff alone.
PARTNER_ACTIONS = frozenset({"hold", "submit"})
REVIEW_ACTIONS = frozenset({"approve", "return", "reopen"})
# Actions whose reason the agency must read.
NEEDS_REASON = frozenset({"return", "reopen"})
# States in which the record may still be edited.
EDITABLE = frozenset({"planned", "held", "returned"})


def allowed_actions(state: str) -> list[str]:
    return [action for (src, action) in TRANSITIONS if src == state]


def next_state(state: str, action: str) -> str | None:
    return TRANSITIONS.get((state, action))
