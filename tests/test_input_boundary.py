"""The one input boundary (issue 18, finding 2): control characters in a form field or a
query parameter are refused with a 4xx and a message next to the field (or naming it),
before any database call; a NUL byte used to reach asyncpg and answer 500."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import SignInFailure, User
from app.audit.models import AuditEvent
from app.notifications.models import OutboxMail
from tests.accounts_helpers import PASSWORD, make_user, sign_out, signed_in
from tests.api_helpers import api_token, bearer
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("in_english")

MESSAGE = "control characters"


async def _counts(session_factory) -> tuple[int, ...]:
    async with session_factory() as db:
        return tuple([await db.scalar(select(func.count()).select_from(model))
                      for model in (User, SignInFailure, AuditEvent, OutboxMail)])


async def _post(client, path: str, data: dict[str, str]):
    token = await csrf_token(client, path)
    return await client.post(path, data={**data, "_csrf_token": token},
                             follow_redirects=False)


@pytest.mark.parametrize("bad", ["amal\x00@example.org", "amal@exa\x01mple.org",
                                 "amal@example.org\x1b", "amal@example.org\x7f"])
async def test_sign_in_email_with_control_characters(client, missions, session_factory, bad):
    sudan = missions["sudan"]
    before = await _counts(session_factory)
    r = await _post(client, f"/{sudan.slug}/sign-in", {"email": bad, "password": PASSWORD})
    assert r.status_code == 400
    assert MESSAGE in r.text and 'aria-invalid="true"' in r.text  # next to the field
    assert "\x00" not in r.text
    assert await _counts(session_factory) == before  # no failure counted, nothing written


async def test_forgot_password_email_with_nul(client, missions, session_factory):
    sudan = missions["sudan"]
    before = await _counts(session_factory)
    r = await _post(client, f"/{sudan.slug}/password/forgot", {"email": "a\x00@example.org"})
    assert r.status_code == 400
    assert MESSAGE in r.text and 'aria-invalid="true"' in r.text
    assert await _counts(session_factory) == before


async def test_sign_up_name_with_nul(client, missions, session_factory):
    sudan = missions["sudan"]
    before = await _counts(session_factory)
    r = await _post(client, f"/{sudan.slug}/sign-up",
                    {"name": "Amal\x00 Osman", "email": "nul-name@example.org",
                     "password": PASSWORD, "password_confirm": PASSWORD, "locale": "en"})
    assert r.status_code == 400
    assert MESSAGE in r.text and 'aria-invalid="true"' in r.text
    assert 'value="Amal Osman"' in r.text  # what was typed, without the bad character
    assert await _counts(session_factory) == before


async def test_resend_verification_email_with_nul(client, missions, session_factory):
    sudan = missions["sudan"]
    before = await _counts(session_factory)
    r = await _post(client, f"/{sudan.slug}/verify", {"email": "a\x00@example.org"})
    assert r.status_code == 400 and MESSAGE in r.text and "email" in r.text
    assert await _counts(session_factory) == before


@pytest.mark.parametrize("path", ["experts", "institutions"])
@pytest.mark.parametrize("bad", ["\x00", "abc\x00def", "\x08", "a\nb", "\x1f"])
async def test_signed_in_q_filters_with_control_characters(client, missions, session_factory,
                                                           path, bad):
    sudan = missions["sudan"]
    await signed_in(client, session_factory, sudan, "mission_admin")
    r = await client.get(f"/{sudan.slug}/{path}", params={"q": bad})
    assert r.status_code == 400
    assert MESSAGE in r.text and "q:" in r.text
    ok = await client.get(f"/{sudan.slug}/{path}", params={"q": "amal"})
    assert ok.status_code == 200
    await sign_out(client, sudan)


async def test_text_areas_keep_tabs_and_newlines(client, missions, session_factory):
    """Tab and newlines are what a text area sends: they pass the boundary (the sign-up
    name field has its own rules after it)."""
    sudan = missions["sudan"]
    r = await _post(client, f"/{sudan.slug}/password/forgot",
                    {"email": "tab\tnewline\r\n@example.org"})
    assert MESSAGE not in r.text


async def test_api_query_with_nul_is_a_json_400(client, missions, session_factory):
    sudan = missions["sudan"]
    token = await api_token(session_factory, sudan)
    r = await client.get(f"/api/v1/{sudan.slug}/experts", params={"sector": "\x00"},
                         headers=bearer(token))
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["details"] == [{"key": "sector", "source": "query", "message": error[
        "details"][0]["message"]}] and MESSAGE in error["details"][0]["message"]


async def test_names_with_control_characters_are_ignored_like_unknown_ones(client, missions,
                                                                           session_factory):
    await signed_in(client, session_factory, missions["sudan"], "mission_admin")
    assert (await client.get("/sudan/experts?q%00=x")).status_code == 200
    await sign_out(client, missions["sudan"])


async def test_a_normal_sign_in_still_works(client, missions, session_factory):
    sudan = missions["sudan"]
    user = await make_user(session_factory, sudan, "expert")
    r = await _post(client, f"/{sudan.slug}/sign-in", {"email": user.email, "password": PASSWORD})
    assert r.status_code == 303
    await sign_out(client, sudan)
