"""Argon2id password hashing and the password strength rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.i18n import gettext as _

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id (RFC 9106 low-memory profile)
MIN_LENGTH = 10
MAX_LENGTH = 200
# The most common passwords that pass a length rule; refused whatever their length.
COMMON = frozenset({
    "1234567890", "12345678910", "qwertyuiop", "password123", "password1234", "123456789a",
    "1q2w3e4r5t", "iloveyou123", "abcdefghij", "aaaaaaaaaa", "0123456789", "passw0rd123",
    "welcome123", "administrator", "qwerty12345", "letmein123", "1qaz2wsx3edc", "0987654321",
})
# A constant hash to verify against when the account does not exist, so that the answer
# takes as long as for a real account (no timing oracle for which emails are registered).
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """The reason a new password is refused, in the user's language, or None."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)s characters.") % {"n": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return _("Use at most %(n)s characters.") % {"n": MAX_LENGTH}
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        return _("This password is too easy to guess. Try a few unrelated words.")
    local = email.split("@")[0].lower()
    if (len(local) >= 4 and local in lowered) or (len(name) >= 4 and name.lower() in lowered):
        return _("Do not use your name or email address in your password.")
    return None
