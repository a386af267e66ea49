"""One-shot messages shown on the next page (after a POST-redirect-GET), kept in a signed
cookie so nobody can plant text on someone else's page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from litestar import Request, Response
from litestar.datastructures import Cookie

FLASH_COOKIE = "flash"
LEVELS = ("info", "success", "warning", "error")


def _sign(secret: str, payload: bytes) -> str:
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:32]
    return base64.urlsafe_b64encode(payload).decode() + "." + mac


def _unsign(secret: str, value: str) -> bytes | None:
    encoded, _, mac = value.rpartition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded.encode())
    except (ValueError, TypeError):
        return None
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:32]
    return payload if hmac.compare_digest(mac, expected) else None


def flash(request: Request, response: Response, level: str, message: str) -> Response:
    """Attach a message (already translated) to the response, for the next page to show."""
    assert level in LEVELS
    messages = pending_flashes(request) + [{"level": level, "message": message}]
    value = _sign(request.app.state.secret_key, json.dumps(messages).encode())
    response.set_cookie(FLASH_COOKIE, value, path="/", httponly=True, samesite="lax",
                        secure=request.app.state.secure_cookies)
    return response


def pending_flashes(request: Request) -> list[dict]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    payload = _unsign(request.app.state.secret_key, raw)
    try:
        messages = json.loads(payload) if payload else []
    except ValueError:
        return []
    return [m for m in messages if isinstance(m, dict) and m.get("level") in LEVELS][:5]


def clear_cookie() -> Cookie:
    return Cookie(key=FLASH_COOKIE, value="", path="/", max_age=0)
