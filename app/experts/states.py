"""The expert profile's life cycle: the one table of allowed transitions.

(state, action) -> (new state, who may do it). 'expert' means the profile's own expert,
'staff' means a permission to vet (staff, mission admins, HQ)."""

from __future__ import annotations

EXPERT, STAFF = "expert", "staff"

TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("draft", "submit"): ("submitted", EXPERT),
    ("submitted", "verify"): ("verified", STAFF),
    ("submitted", "reject"): ("rejected", STAFF),
    ("submitted", "request_changes"): ("draft", STAFF),
    ("verified", "deactivate"): ("inactive", STAFF),
    ("inactive", "reactivate"): ("verified", STAFF),
    ("rejected", "reopen"): ("draft", STAFF),
    ("draft", "withdraw"): ("withdrawn", EXPERT),
    ("submitted", "withdraw"): ("withdrawn", EXPERT),
    ("verified", "withdraw"): ("withdrawn", EXPERT),
    ("inactive", "withdraw"): ("withdrawn", EXPERT),
    ("withdrawn", "rejoin"): ("draft", EXPERT),
    # A verified profile that its expert changes is checked again before matching uses it.
    ("verified", "edit"): ("submitted", EXPERT),
}
# Actions whose reason is shown to the expert and must be given.
NEEDS_REASON = frozenset({"reject", "request_changes", "deactivate"})


def allowed_actions(state: str, who: str) -> list[str]:
    return [action for (src, action), (_, actor) in TRANSITIONS.items()
            if src == state and actor == who]


def next_state(state: str, action: str, who: str) -> str | None:
    """The state after the action, or None if this actor may not do it from this state."""
    target = TRANSITIONS.get((state, action))
    if target is None or target[1] != who:
        return None
    return target[0]
