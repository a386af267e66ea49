"""The assignment's life cycle: the one table of allowed transitions.

(state, action) -> new state. Only mission staff move an assignment; the expert and the
host institution follow it. Leaving `contracted` for `in_progress` also needs the
preparation checklist done, and `completed` -> `evaluated` the final report and the
evaluation reviewed: services.py holds those gates, this table only the order.
"""

from __future__ import annotations

TRANSITIONS: dict[tuple[str, str], str] = {
    ("planned", "contract"): "contracted",
    ("contracted", "start"): "in_progress",
    ("in_progress", "complete"): "completed",
    ("completed", "evaluate"): "evaluated",
    # The host institution's evaluation never came: closed all the same, and said so.
    ("completed", "close_without_evaluation"): "evaluated",
    ("planned", "cancel"): "cancelled",
    ("contracted", "cancel"): "cancelled",
    ("in_progress", "cancel"): "cancelled",
}
# Actions whose reason the other parties must read.
NEEDS_REASON = frozenset({"cancel", "close_without_evaluation"})
# States whose dates may still be moved (a postponement).
POSTPONABLE = frozenset({"planned", "contracted"})
# Still going on: what lists, reminders and the board follow.
OPEN = frozenset({"planned", "contracted", "in_progress", "completed"})


def allowed_actions(state: str) -> list[str]:
    return [action for (src, action) in TRANSITIONS if src == state]


def next_state(state: str, action: str) -> str | None:
    return TRANSITIONS.get((state, action))
