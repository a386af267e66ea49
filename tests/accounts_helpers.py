"""Making people for tests through the real services, and reading the mail they get."""

from __future__ import annotations

import asyncio
import re
import uuid

import pyotp
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from app.accounts.models import Membership, User
from app.accounts.passwords import hash_password
from app.core.clock import now
from app.notifications.models import OutboxMail
from tenants.context import TenantContext, tenant_scope
from tests.conftest import csrf_token

PASSWORD = "river delta mango 42"
# The second factor of the people make_user sets it up for (HQ must use one): their
# authenticator "app", and the last time step each has used (a code is good once).
TOTP_SECRETS: dict[str, str] = {}
_LAST_STEPS: dict[str, int] = {}


async def make_user(session_factory, tenant: TenantContext | None, role: str | None,
                    email: str | None = None, platform_admin: bool = False,
                    partner_agency_id: uuid.UUID | None = None,
                    host_institution_id: uuid.UUID | None = None,
                    name: str | None = None, second_factor: bool | None = None) -> User:
    """A person; with a second factor set up when asked (HQ: unless told not to), whose
    codes sign_in gives."""
    email = email or f"{role or 'user'}-{uuid.uuid4().hex[:8]}@example.org"
    secret = None
    if second_factor if second_factor is not None else platform_admin:
        secret = TOTP_SECRETS[email] = pyotp.random_base32()
    async with session_factory() as db:
        user = User(email=email, name=name or f"Test {role or 'user'}", preferred_locale="en",
                    password_hash=hash_password(PASSWORD), status="active",
                    email_verified_at=now(), is_platform_admin=platform_admin,
                    totp_secret=secret, second_factor_at=now() if secret else None)
        db.add(user)
        await db.commit()
    if tenant is not None and role is not None:
        with tenant_scope(tenant):
            async with session_factory() as db:
                db.add(Membership(tenant_id=tenant.id, user_id=user.id, role=role,
                                  status="active", partner_agency_id=partner_agency_id,
                                  host_institution_id=host_institution_id))
                await db.commit()
    return user


async def sign_in(client: AsyncTestClient, tenant: TenantContext, email: str,
                  password: str = PASSWORD):
    """Signs in through the form; for someone make_user gave a second factor, the second
    step too, with their app's code."""
    token = await csrf_token(client, f"/{tenant.slug}/sign-in")
    response = await client.post(f"/{tenant.slug}/sign-in",
                                 data={"email": email, "password": password,
                                       "_csrf_token": token}, follow_redirects=False)
    location = response.headers.get("location", "")
    if response.status_code == 303 and "/sign-in/second-step" in location \
            and email in TOTP_SECRETS:
        response = await second_step(client, tenant, await next_code(email))
    return response


async def second_step(client: AsyncTestClient, tenant: TenantContext, code: str, next: str = ""):
    token = await csrf_token(client, f"/{tenant.slug}/sign-in/second-step")
    return await client.post(f"/{tenant.slug}/sign-in/second-step",
                             data={"code": code, "next": next, "_csrf_token": token},
                             follow_redirects=False)


def app_holds(email: str, secret: str, last_step: int) -> None:
    """The person's app holds `secret` (set up in a test), whose code of `last_step` was
    used last: next_code gives theirs from now on."""
    TOTP_SECRETS[email] = secret
    _LAST_STEPS[email] = last_step


async def next_code(email: str) -> str:
    """The code of the person's app for a time step not used yet (waiting for the next
    step when those the portal accepts now are used up)."""
    totp = pyotp.TOTP(TOTP_SECRETS[email])
    while True:
        current = totp.timecode(now())
        # the current step, not the one before: a slow machine may cross into the next
        # step before the code arrives, and the portal accepts one step either side
        step = max(current, _LAST_STEPS.get(email, -2) + 1)
        if step <= current + 1:
            _LAST_STEPS[email] = step
            return totp.generate_otp(step)
        await asyncio.sleep(totp.interval - now().timestamp() % totp.interval + 0.1)


async def as_user(client: AsyncTestClient, tenant: TenantContext, user: User) -> None:
    """Sign an existing person in, as a fresh browser would (any earlier session dropped)."""
    use_session(client, None)
    assert (await sign_in(client, tenant, user.email)).status_code == 303


async def signed_in(client: AsyncTestClient, session_factory, tenant: TenantContext,
                    role: str = "staff", **options) -> User:
    """A new person with `role` in the mission (make_user's options), signed in."""
    user = await make_user(session_factory, tenant, role, **options)
    assert (await sign_in(client, tenant, user.email)).status_code == 303
    return user


async def sign_out(client: AsyncTestClient, tenant: TenantContext):
    token = await csrf_token(client, f"/{tenant.slug}/")
    return await client.post(f"/{tenant.slug}/sign-out", data={"_csrf_token": token},
                             follow_redirects=False)


async def mails_to(session_factory, tenant: TenantContext, address: str) -> list[OutboxMail]:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return list(await db.scalars(select(OutboxMail).where(
                OutboxMail.to_address == address).order_by(OutboxMail.created_at)))


def link_in(mail: OutboxMail) -> str:
    """The path of the first portal link in a mail body."""
    match = re.search(r"https?://[^/\s]+(/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def current_session(client: AsyncTestClient) -> str:
    return next(c.value for c in client.cookies.jar if c.name == "session")


def use_session(client: AsyncTestClient, token: str | None) -> None:
    """Put a session cookie in the client's jar as a browser holding it would."""
    for cookie in [c for c in client.cookies.jar if c.name == "session"]:
        client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    if token:
        client.cookies.set("session", token, domain="testserver.local", path="/")


async def add_membership(session_factory, tenant: TenantContext, user: User, role: str,
                         host_institution_id: uuid.UUID | None = None,
                         partner_agency_id: uuid.UUID | None = None) -> None:
    with tenant_scope(tenant):
        async with session_factory() as db:
            db.add(Membership(tenant_id=tenant.id, user_id=user.id, role=role, status="active",
                              host_institution_id=host_institution_id,
                              partner_agency_id=partner_agency_id))
            await db.commit()
