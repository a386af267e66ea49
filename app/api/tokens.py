"""API tokens: mission admins create and revoke them; the API authenticates with them.

A token reads `dbk_<secret>_<mission id>`: 43 random URL-safe characters, then the id (hex)
of the mission it belongs to. Only its SHA-256 is stored, with its first 12 characters
("dbk_" and 8 of the secret) so that admins can tell tokens apart; the token itself is shown
once, when it is created.

Naming its mission lets the API tell "this is not a valid token" (401) from "this token
belongs to another mission" (404, the mission in the URL decides) without reading another
mission's rows quietly: the token is looked up in the scope of the mission it names, like
any other read of that mission.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from litestar.exceptions import NotAuthorizedException, NotFoundException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.api.models import TOKEN_SCOPES, ApiToken
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors
from app.core.tokens import hash_token
from app.i18n import gettext as _
from tenants.context import TenantContext, tenant_scope

TOKEN_PREFIX = "dbk_"
PREFIX_LENGTH = 12          # what the token list shows: "dbk_" and 8 characters of the secret
NAME_MAX = 120
# last_used_at is written at most this often per token (every call is audited anyway).
LAST_USED_EVERY = timedelta(minutes=1)


class ApiAuthFailed(NotAuthorizedException):
    """401: no token, a malformed one, an unknown or a revoked one."""

    def __init__(self, detail: str):
        super().__init__(detail=detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def _new_plain_token(tenant: TenantContext) -> str:
    return f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}_{tenant.id.hex}"


def mission_of(plain: str) -> uuid.UUID | None:
    """The mission a token names, or None when it is not shaped like one of ours."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    secret, _sep, mission = plain[len(TOKEN_PREFIX):].rpartition("_")
    if len(secret) < 32 or len(mission) != 32:
        return None
    try:
        return uuid.UUID(hex=mission)
    except ValueError:
        return None


def token_label(token: ApiToken) -> str:
    """How the audit trail names a call made with the token."""
    return f"api token {token.name} ({token.prefix})"


async def list_tokens(db: AsyncSession, tenant: TenantContext) -> list[ApiToken]:
    return list(await db.scalars(select(ApiToken).where(ApiToken.tenant_id == tenant.id)
                                 .order_by(ApiToken.created_at.desc(), ApiToken.id)))


async def create_token(db: AsyncSession, tenant: TenantContext, actor: Actor,
                       name: str, scope: str = "full") -> tuple[ApiToken, str]:
    """A new token and its plain text, which is never stored and cannot be shown again.
    `scope`: what it may read (models.TOKEN_SCOPES)."""
    name = " ".join((name or "").split())
    if not name:
        raise FormErrors({"name": _("Give the token a name, e.g. the tool that will use it.")})
    if len(name) > NAME_MAX:
        raise FormErrors({"name": _("Use at most %(n)s characters.") % {"n": NAME_MAX}})
    if scope not in TOKEN_SCOPES:
        raise FormErrors({"scope": _("Choose one of the options listed.")})
    plain = _new_plain_token(tenant)
    token = ApiToken(tenant_id=tenant.id, name=name, token_hash=hash_token(plain),
                     prefix=plain[:PREFIX_LENGTH], created_by_id=actor.user_id, scope=scope)
    db.add(token)
    await db.flush()
    record(db, tenant.id, actor, "api_token.created", "api_token", token.id,
           after={"name": token.name, "prefix": token.prefix, "scope": scope})
    await db.commit()
    return token, plain


async def get_token(db: AsyncSession, tenant: TenantContext, token_id: uuid.UUID) -> ApiToken:
    token = await db.scalar(select(ApiToken).where(ApiToken.tenant_id == tenant.id,
                                                   ApiToken.id == token_id))
    if token is None:
        raise NotFoundException()
    return token


async def revoke_token(db: AsyncSession, tenant: TenantContext, actor: Actor,
                       token_id: uuid.UUID) -> ApiToken:
    """Revoked at once: the next call with it gets 401. Revoking twice changes nothing."""
    token = await get_token(db, tenant, token_id)
    if token.revoked_at is None:
        token.revoked_at = now()
        record(db, tenant.id, actor, "api_token.revoked", "api_token", token.id,
               before={"name": token.name, "prefix": token.prefix})
        await db.commit()
    return token


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling the API: a token of the mission in the URL."""

    token_id: uuid.UUID
    name: str
    prefix: str
    label: str
    actor: Actor          # anonymous as a person: a token is nobody's session
    scope: str = "full"   # models.TOKEN_SCOPES


async def _find(db: AsyncSession, mission: TenantContext, digest: str) -> ApiToken | None:
    return await db.scalar(select(ApiToken).where(ApiToken.tenant_id == mission.id,
                                                  ApiToken.token_hash == digest))


def _valid(token: ApiToken | None) -> ApiToken:
    if token is None:
        raise ApiAuthFailed("the API token is not valid")
    if token.revoked_at is not None:
        raise ApiAuthFailed("the API token has been revoked")
    return token


async def _refuse_other_mission(factory: async_sessionmaker[AsyncSession], owner: TenantContext,
                                tenant: TenantContext, digest: str, ip: str, path: str) -> None:
    """A token naming another mission: 401 unless it is a valid token there; then 404 here,
    and that mission's audit trail records where its token was tried."""
    with tenant_scope(owner):
        async with factory() as db:
            token = _valid(await _find(db, owner, digest))
            event = record(db, owner.id, Actor(ip=ip), "api.other_mission", "api_token",
                           token.id, after={"path": path, "mission": tenant.slug})
            event.actor_label = token_label(token)
            await db.commit()
    raise NotFoundException("this token belongs to another mission")


async def authenticate_call(factory: async_sessionmaker[AsyncSession],
                            missions: list[TenantContext], tenant: TenantContext, plain: str,
                            *, ip: str, path: str, action: str, params: dict,
                            object_type: str = "", object_id: object = "") -> ApiCaller:
    """The caller behind a presented token, for the mission in the URL, and the call's audit
    event (who: the token; what: the endpoint, the path and its parameters) in the same
    transaction; the token's last use is noted at most once a minute. Unknown, malformed or
    revoked: 401. A valid token of another mission: 404."""
    named = mission_of(plain)
    if named is None:
        raise ApiAuthFailed("the API token is not valid")
    digest = hash_token(plain)
    if named != tenant.id:
        owner = next((m for m in missions if m.id == named), None)
        if owner is None:
            raise ApiAuthFailed("the API token is not valid")
        await _refuse_other_mission(factory, owner, tenant, digest, ip, path)
    with tenant_scope(tenant):
        async with factory() as db:
            token = _valid(await _find(db, tenant, digest))
            caller = ApiCaller(token_id=token.id, name=token.name, prefix=token.prefix,
                               label=token_label(token), actor=Actor(ip=ip),
                               scope=token.scope)
            event = record(db, tenant.id, caller.actor, action, object_type, object_id,
                           after={"path": path, "params": params,
                                  "token_id": str(token.id)})
            event.actor_label = caller.label
            moment = now()
            if token.last_used_at is None or moment - token.last_used_at >= LAST_USED_EVERY:
                token.last_used_at = moment
            await db.commit()
    return caller
