"""Making people for tests through the real services, and reading the mail they get."""

from __future__ import annotations

import re
import uuid

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from app.accounts.models import Membership, User
from app.accounts.passwords import hash_password
from app.core.clock import now
from app.notifications.models import OutboxMail
from tenants.context import TenantContext, tenant_scope
from tests.conftest import csrf_token

PASSWORD = "river delta mango 42"


async def make_user(session_factory, tenant: TenantContext | None, role: str | None,
                    email: str | None = None, platform_admin: bool = False,
                    partner_agency_id: uuid.UUID | None = None,
                    host_institution_id: uuid.UUID | None = None,
                    name: str | None = None) -> User:
    email = email or f"{role or 'user'}-{uuid.uuid4().hex[:8]}@example.org"
    async with session_factory() as db:
        user = User(email=email, name=name or f"Test {role or 'user'}", preferred_locale="en",
                    password_hash=hash_password(PASSWORD), status="active",
                    email_verified_at=now(), is_platform_admin=platform_admin)
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
    token = await csrf_token(client, f"/{tenant.slug}/sign-in")
    return await client.post(f"/{tenant.slug}/sign-in",
                             data={"email": email, "password": password, "_csrf_token": token},
                             follow_redirects=False)


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
