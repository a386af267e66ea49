"""The assignment request's life cycle: the one table of allowed transitions.

(state, action) -> (new state, who may do it). 'institution' means a focal point of the
request's own institution; 'staff' means mission staff (who may also act on the
institution's behalf where both are listed)."""

from __future__ import annotations

INSTITUTION, STAFF = "institution", "staff"
BOTH = frozenset({INSTITUTION, STAFF})
ONLY_STAFF = frozenset({STAFF})

TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("draft", "submit"): ("submitted", BOTH),
    ("submitted", "open"): ("open", ONLY_STAFF),  # approved: matching may start
    ("submitted", "request_changes"): ("draft", ONLY_STAFF),
    ("submitted", "reject"): ("rejected", ONLY_STAFF),
    ("open", "start_shortlisting"): ("shortlisting", ONLY_STAFF),
    ("shortlisting", "reopen"): ("open", ONLY_STAFF),  # back to matching, e.g. all declined
    ("shortlisting", "fill"): ("filled", ONLY_STAFF),
    ("filled", "close"): ("closed", ONLY_STAFF),
    ("draft", "cancel"): ("cancelled", BOTH),
    ("submitted", "cancel"): ("cancelled", BOTH),
    ("open", "cancel"): ("cancelled", BOTH),
    ("shortlisting", "cancel"): ("cancelled", BOTH),
}
# Actions whose reason the other side must read: it has to be given.
NEEDS_REASON = frozenset({"request_changes", "reject", "cancel"})
# Who may change the request's content in which state: the institution writes its draft;
# staff may also correct it while reviewing and while it is open for matching.
EDITABLE = {INSTITUTION: frozenset({"draft"}),
            STAFF: frozenset({"draft", "submitted", "open"})}
# Matching considers only these.
MATCHABLE = frozenset({"open", "shortlisting"})


def allowed_actions(state: str, who: str) -> list[str]:
    return [action for (src, action), (_, actors) in TRANSITIONS.items()
            if src == state and who in actors]


def next_state(state: str, action: str, who: str) -> str | None:
    """The state after the action, or None if this actor may not do it from this state."""
    target = TRANSITIONS.get((state, action))
    if target is None or who not in target[1]:
        return None
    return target[0]
