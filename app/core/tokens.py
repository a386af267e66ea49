"""Secret tokens (links, sessions, API tokens): the secret goes to the person, only its hash
is stored."""

from __future__ import annotations

import hashlib
import secrets


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """(the secret to hand out, the hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)
