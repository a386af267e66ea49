"""Argon2id password hashing (hashes upgraded on sign-in when the parameters change) and
the password strength rule: zxcvbn's estimate, whose dictionaries hold the common
passwords, names and words guessers try first."""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.i18n import gettext as _

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id (RFC 9106 low-memory profile)
MIN_LENGTH = 10
MAX_LENGTH = 200
# zxcvbn's score (0-4): 3 is "safely unguessable" (about 10^8 guesses or more) for an
# online attack throttled as sign-in is; below it the password is refused.
MIN_SCORE = 3
# zxcvbn's time grows with the length and it refuses more than 72 characters (a
# ValueError since 4.5): what lies past this is not estimated (and a password that long is
# not refused for being weak at the start).
ESTIMATE_CHARS = 72


@cache
def dummy_hash() -> str:
    """A constant hash to verify against when the account does not exist, so that the
    answer takes as long as for a real account (no timing oracle for which emails are
    registered). Made on first use, not at import: hashing takes half a second, which every
    command importing this module paid (the web app makes it at start-up)."""
    return _hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Was this hash made with other parameters than today's (argon2-cffi's defaults)?"""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """The reason a new password is refused, in the user's language, or None."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)s characters.") % {"n": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return _("Use at most %(n)s characters.") % {"n": MAX_LENGTH}
    lowered = password.lower()
    # The person's own name and address, whole and in parts, count as guessable words.
    inputs = [email, email.split("@")[0], name, "".join(name.split()),
              *re.split(r"[\s._@+-]+", f"{email} {name}")]
    inputs = [part.lower() for part in inputs if len(part) >= 3]
    from zxcvbn import zxcvbn  # its dictionaries take a tenth of a second to load

    if len(set(lowered)) < 4 or (
            zxcvbn(password[:ESTIMATE_CHARS], user_inputs=inputs)["score"] < MIN_SCORE):
        return _("This password is too easy to guess. Try a few unrelated words.")
    local = email.split("@")[0].lower()
    if (len(local) >= 4 and local in lowered) or (len(name) >= 4 and name.lower() in lowered):
        return _("Do not use your name or email address in your password.")
    return None
