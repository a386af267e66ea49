"""Secret tokens (links, sessions, API tokens): the secret goes to the person, only its hash
is stored. Signed tokens (sign/unsign) carry their facts themselves, for links sent by mail
that must work without a password (unsubscribing, a follow-up questionnaire)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from datetime import datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """(the secret to hand out, the hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def new_tokens(n: int) -> list[tuple[str, str]]:
    """n of new_token's pairs, from one read of the system's randomness: one read per token
    was most of the time of making a roster's 100,000 password links."""
    noise = os.urandom(32 * n)
    tokens = [base64.urlsafe_b64encode(noise[i:i + 32]).rstrip(b"=").decode()
              for i in range(0, 32 * n, 32)]
    return [(token, hash_token(token)) for token in tokens]


# --- signed links: the facts travel in the link, a MAC proves the portal wrote them ---------

def _mac(secret: str, purpose: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}.{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: str, purpose: str, payload: dict, expires_at: datetime | None = None) -> str:
    """A link token carrying `payload` (JSON values) for one purpose, valid until
    expires_at (None: no end). Nothing is stored: unsign() checks it."""
    facts = {**payload, **({"exp": int(expires_at.timestamp())} if expires_at else {})}
    body = base64.urlsafe_b64encode(json.dumps(facts, separators=(",", ":")).encode()) \
        .rstrip(b"=").decode()
    return f"{body}.{_mac(secret, purpose, body)}"


def unsign(secret: str, purpose: str, token: str, at: datetime) -> dict | None:
    """The payload of a token sign() made for this purpose and not expired at `at`; None
    for a tampered, foreign or expired one."""
    body, _dot, mac = token.partition(".")
    if not body or not mac or not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        return None
    try:
        facts = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(facts, dict):
        return None
    expires = facts.pop("exp", None)
    if expires is not None and (not isinstance(expires, int) or at.timestamp() >= expires):
        return None
    return facts
