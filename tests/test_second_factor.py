"""Two-step sign-in (issue 18): set-up at the first sign-in of someone who must use it, the
code step, codes good once, recovery codes, throttling, the mission's rule, and the account
page's own switch."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update

from app.accounts.models import OneTimeToken, RecoveryCode, User
from app.audit.models import AuditEvent
from app.core.clock import now
from tenants.context import tenant_scope
from tests.accounts_helpers import (
    TOTP_SECRETS,
    app_holds,
    mails_to,
    make_user,
    next_code,
    second_step,
    sign_out,
    use_session,
)
from tests.conftest import csrf_token
from tests.html import field_error, select_all, select_text

pytestmark = pytest.mark.usefixtures("in_english")
STEP = "/sudan/sign-in/second-step"


async def _password_step(client, email: str):
    token = await csrf_token(client, "/sudan/sign-in")
    return await client.post("/sudan/sign-in", data={
        "email": email, "password": "river delta mango 42", "_csrf_token": token,
        "next": "/sudan/account"}, follow_redirects=False)


async def _signed_in(client) -> bool:
    return (await client.get("/sudan/account", follow_redirects=False)).status_code == 200


async def _actions(session_factory, tenant, user) -> list[str]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(AuditEvent.action).where(
                AuditEvent.object_id == str(user.id)).order_by(AuditEvent.created_at)))


async def test_hq_sets_up_a_second_factor_at_first_sign_in(client, missions, session_factory):
    use_session(client, None)
    hq = await make_user(session_factory, None, None, platform_admin=True, second_factor=False)
    step = await _password_step(client, hq.email)
    assert step.status_code == 303
    assert step.headers["location"] == f"{STEP}?next=%2Fsudan%2Faccount"
    assert not await _signed_in(client)  # no session between the two steps

    setup = await client.get(step.headers["location"])
    assert setup.status_code == 200
    assert select_all(setup.text, "figure.qr svg")  # the picture, inline: nothing fetched
    key = re.sub(r"\s", "", select_text(setup.text, "code.secret"))
    assert len(key) == 32
    # Reloading keeps the same key (the app may already hold it).
    assert re.sub(r"\s", "", select_text((await client.get(STEP)).text, "code.secret")) == key

    wrong = await second_step(client, missions["sudan"], "000000", next="/sudan/account")
    assert wrong.status_code == 400 and "not right" in field_error(wrong.text, "code")
    assert select_all(wrong.text, "figure.qr svg")  # the set-up is still on the page

    done = await second_step(client, missions["sudan"], pyotp.TOTP(key).now(),
                             next="/sudan/account")
    assert done.status_code == 200
    codes = select_all(done.text, ".recovery-codes code")
    assert len(codes) == 10 and len(set(codes)) == 10
    assert select_all(done.text, 'a[href="/sudan/account"]')
    assert await _signed_in(client)
    account = await client.get("/sudan/account")
    assert select_text(account.text, "title").startswith("My account")
    assert len(select_all(account.text, "h2#second-factor")) == 1
    assert "Recovery codes left: 10" in account.text
    assert "cannot be turned off" in account.text  # HQ must use it
    actions = await _actions(session_factory, missions["sudan"], hq)
    assert "account.second_factor_failed" in actions and "account.second_factor_on" in actions
    await sign_out(client, missions["sudan"])


async def test_a_code_is_good_once_and_wrong_codes_are_throttled(client, missions,
                                                                 session_factory):
    sudan = missions["sudan"]
    use_session(client, None)
    hq = await make_user(session_factory, None, None, platform_admin=True)
    assert (await _password_step(client, hq.email)).status_code == 303
    code = await next_code(hq.email)
    assert (await second_step(client, sudan, code)).status_code == 303
    await sign_out(client, sudan)

    assert (await _password_step(client, hq.email)).status_code == 303
    replayed = await second_step(client, sudan, code)
    assert replayed.status_code == 400 and not await _signed_in(client)
    for _ in range(4):
        assert (await second_step(client, sudan, "111111")).status_code == 400
    throttled = await second_step(client, sudan, await next_code(hq.email))
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert not await _signed_in(client)
    from sqlalchemy import delete

    from app.accounts.models import SignInFailure
    async with session_factory() as db:
        await db.execute(delete(SignInFailure))
        await db.commit()


async def test_recovery_codes_sign_in_once_each_and_tell_the_owner(client, missions,
                                                                   session_factory):
    sudan = missions["sudan"]
    use_session(client, None)
    person = await make_user(session_factory, sudan, "expert")
    # The expert turns it on from their account page.
    assert (await _password_step(client, person.email)).status_code == 303  # no second step
    setup = await client.get("/sudan/account/second-factor")
    key = re.sub(r"\s", "", select_text(setup.text, "code.secret"))
    token = await csrf_token(client, "/sudan/account/second-factor")
    refused = await client.post("/sudan/account/second-factor",
                                data={"code": "12", "_csrf_token": token})
    assert refused.status_code == 400 and field_error(refused.text, "code")
    app = pyotp.TOTP(key)
    first_step = app.timecode(now()) - 1  # a step early still passes (clocks drift)
    turned_on = await client.post("/sudan/account/second-factor",
                                  data={"code": app.generate_otp(first_step),
                                        "_csrf_token": token})
    codes = select_all(turned_on.text, ".recovery-codes code")
    assert len(codes) == 10
    await sign_out(client, sudan)

    assert (await _password_step(client, person.email)).status_code == 303
    assert (await second_step(client, sudan, codes[0].upper())).status_code == 303
    await sign_out(client, sudan)
    assert (await _password_step(client, person.email)).status_code == 303
    assert (await second_step(client, sudan, codes[0])).status_code == 400  # used up
    assert (await second_step(client, sudan, codes[1])).status_code == 303
    mails = [m for m in await mails_to(session_factory, sudan, person.email)
             if m.kind == "second_factor_changed"]
    assert len(mails) == 2 and "Recovery codes left: 8" in mails[-1].body
    account = await client.get("/sudan/account")
    assert "Recovery codes left: 8" in account.text

    # New codes replace the old ones; then the expert turns it off with a code.
    app_holds(person.email, key, first_step)
    token = await csrf_token(client, "/sudan/account")
    renewed = await client.post("/sudan/account/second-factor/recovery-codes",
                                data={"code": await next_code(person.email), "_csrf_token": token})
    assert len(select_all(renewed.text, ".recovery-codes li")) == 10
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(RecoveryCode).where(
            RecoveryCode.user_id == person.id)) == 10
    off = await client.post("/sudan/account/second-factor/off",
                            data={"off_code": await next_code(person.email),
                                  "_csrf_token": token}, follow_redirects=False)
    assert off.status_code == 303
    del TOTP_SECRETS[person.email]
    async with session_factory() as db:
        user = await db.scalar(select(User).where(User.id == person.id))
        assert user.second_factor_at is None and not await db.scalar(
            select(func.account_totp_secret(person.id)))
    await sign_out(client, sudan)
    assert (await _password_step(client, person.email)).headers["location"] == "/sudan/account"
    await sign_out(client, sudan)


async def test_the_step_expires_and_belongs_to_its_mission(client, missions, session_factory):
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    use_session(client, None)
    hq = await make_user(session_factory, None, None, platform_admin=True)
    assert (await _password_step(client, hq.email)).status_code == 303
    cookie = client.cookies.get("sign_in_step")
    assert cookie
    # The cookie is scoped to Sudan's sign-in path; sent to Mozambique, it is unknown there.
    token = await csrf_token(client, "/mozambique/sign-in")
    other = await client.post("/mozambique/sign-in/second-step",
                              data={"code": await next_code(hq.email), "_csrf_token": token},
                              cookies={"sign_in_step": cookie}, follow_redirects=False)
    assert other.status_code == 303 and other.headers["location"] == "/mozambique/sign-in"
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(update(OneTimeToken).where(
                OneTimeToken.user_id == hq.id, OneTimeToken.purpose == "second_factor")
                .values(expires_at=now() - timedelta(seconds=1)))
            await db.commit()
    late = await second_step(client, sudan, await next_code(hq.email))
    assert late.status_code == 303 and late.headers["location"] == "/sudan/sign-in"
    assert not await _signed_in(client)
    assert mozambique  # both missions exist


async def test_a_mission_can_require_it_of_its_officers(client, missions, session_factory,
                                                         signed_in_as):
    sudan = missions["sudan"]
    officer = await make_user(session_factory, sudan, "staff")
    expert = await make_user(session_factory, sudan, "expert")
    await signed_in_as("mission_admin")
    token = await csrf_token(client, "/sudan/admin/sso")
    saved = await client.post("/sudan/admin/second-factor",
                              data={"required": "yes", "_csrf_token": token},
                              follow_redirects=False)
    assert saved.status_code == 303
    page = await client.get("/sudan/admin/sso")
    assert select_all(page.text, 'input[name="required"][checked]')
    use_session(client, None)

    step = await _password_step(client, officer.email)
    assert step.headers["location"].startswith(STEP)
    assert select_all((await client.get(STEP)).text, "figure.qr svg")
    use_session(client, None)
    # Experts are not concerned by the mission's rule.
    assert (await _password_step(client, expert.email)).headers["location"] == "/sudan/account"
    await sign_out(client, sudan)
    with tenant_scope(sudan):
        async with session_factory() as db:
            assert await db.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "mission.second_factor_rule_changed")) == 1
