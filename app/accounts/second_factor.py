"""Two-step sign-in: after the password, a six-digit code from an authenticator app (TOTP,
RFC 6238) or one of ten single-use recovery codes.

Required for HQ (platform administrators) and, where the mission asks for it, for its
programme officers and mission admins; anyone else may turn it on for themselves. Single
sign-on relies on the provider's own second factor. Between the password and the code the
browser holds a short-lived one-time token (purpose "second_factor"), never a session: a
session exists only once both steps are done. Wrong codes count as failed sign-ins, so the
password's throttling holds back code guessing too.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from app.accounts.models import RecoveryCode, SignInFailure, User
from app.accounts.services import (
    SignInRefused,
    get_user,
    issue_token,
    membership_of,
    seconds_to_wait,
    use_token,
)
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors, Refusal
from app.core.locks import lock_until_commit
from app.core.tokens import hash_token
from app.i18n import gettext as _
from app.i18n import ngettext
from app.notifications.services import queue_mail
from tenants.context import TenantContext
from tenants.services import get_mission

# The mission setting (tenants.settings) that makes it required for these roles.
MISSION_SETTING = "second_factor_for_staff"
STAFF_ROLES = frozenset({"staff", "mission_admin"})
RECOVERY_CODES = 10
ISSUER = "Diaspora Bridge"
# Codes a step (30 s) early or late still pass: phones' clocks drift.
CLOCK_DRIFT_STEPS = 1


class NotNow(Refusal):
    """The account is not in the state the action needs (already on, not on, required)."""

    def __init__(self, message: str):
        super().__init__(message, status=409)


@dataclass(frozen=True)
class Completed:
    """A finished second step: the person, and the recovery codes to show once (set-up)."""

    user: User
    recovery_codes: list[str]


@dataclass(frozen=True)
class Status:
    """What the account page says of a person's second factor."""

    on: bool
    since: datetime | None
    recovery_codes_left: int
    required: bool


async def status(db: AsyncSession, tenant: TenantContext, actor: Actor) -> Status:
    user = await _own(db, actor)
    on = user.second_factor_at is not None
    return Status(on, user.second_factor_at,
                  await recovery_codes_left(db, user) if on else 0,
                  await is_required(db, tenant, user))


async def staff_must_use(db: AsyncSession, tenant: TenantContext) -> bool:
    return bool(((await get_mission(db, tenant)).settings or {}).get(MISSION_SETTING))


async def is_required(db: AsyncSession, tenant: TenantContext, user: User) -> bool:
    if user.is_platform_admin:
        return True
    membership = await membership_of(db, tenant, user.id)
    return (membership is not None and membership.role in STAFF_ROLES
            and await staff_must_use(db, tenant))


async def needed(db: AsyncSession, tenant: TenantContext, user: User) -> bool:
    """Whether signing in takes a second step: the person uses it, or must."""
    return user.second_factor_at is not None or await is_required(db, tenant, user)


async def begin(db: AsyncSession, tenant: TenantContext, user: User) -> str:
    """The password was right: the token that carries the browser to the second step."""
    token = await issue_token(db, tenant, user, "second_factor")
    await db.commit()
    return token


async def pending_user(db: AsyncSession, tenant: TenantContext, token: str) -> User:
    """The person half-way through signing in (TokenInvalid when the step has expired)."""
    return await use_token(db, tenant, token, "second_factor", consume=False)


async def _secret(db: AsyncSession, user: User) -> str | None:
    return await db.scalar(select(func.account_totp_secret(user.id)))


async def secret_to_set_up(db: AsyncSession, user: User) -> str:
    """The secret the person is adding to their app: a new one, unless one already waits
    for its first code (reloading the page must not change the picture)."""
    if user.second_factor_at is not None:
        raise NotNow(_("Two-step sign-in is already on."))
    secret = await _secret(db, user)
    if not secret:
        secret = pyotp.random_base32()
        user.totp_secret = secret
        await db.commit()
    return secret


def set_up_picture(secret: str, user: User) -> Markup:
    """The QR code an authenticator app scans, as inline SVG (no request to anyone)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Markup(segno.make(uri, error="m").svg_inline(
        scale=4, title=_("QR code for your authenticator app")))


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


async def _check(db: AsyncSession, user: User, code: str, *, recovery: bool) -> str | None:
    """'code' or 'recovery_code' when it passes (and is used up), else None."""
    code = _normalise(code)
    secret = await _secret(db, user)
    if secret and len(code) == 6 and code.isdigit():
        totp = pyotp.TOTP(secret)
        current = totp.timecode(now())
        for step in range(current - CLOCK_DRIFT_STEPS, current + CLOCK_DRIFT_STEPS + 1):
            # A code is good once: a step at or before the last one used is refused.
            if step > (user.totp_last_step or -1) and hmac.compare_digest(
                    totp.generate_otp(step), code):
                user.totp_last_step = step
                return "code"
        return None
    if recovery and code and await db.scalar(
            select(func.use_recovery_code(user.id, hash_token(code)))):
        return "recovery_code"
    return None


async def _new_recovery_codes(db: AsyncSession, user: User) -> list[str]:
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.add_all([RecoveryCode(user_id=user.id, code_hash=hash_token(_normalise(code)))
                for code in codes])
    return codes


async def recovery_codes_left(db: AsyncSession, user: User) -> int:
    return await db.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


async def complete_sign_in(db: AsyncSession, tenant: TenantContext, token: str, code: str,
                           actor: Actor) -> Completed:
    """The second step: the code (or a recovery code) of the person the token carries; at
    the first sign-in of someone who must use it, this confirms the set-up. SignInRefused
    for a wrong code (counted as a failed sign-in) or while throttled; TokenInvalid when
    the step has expired."""
    user = await pending_user(db, tenant, token)
    await lock_until_commit(db, f"sign-in:{user.email}")
    if (seconds := await seconds_to_wait(db, user.email, actor.ip)) is not None:
        minutes = max(1, -(-seconds // 60))
        raise SignInRefused(ngettext("Too many failed attempts. Try again in %(n)s minute.",
                                     "Too many failed attempts. Try again in %(n)s minutes.",
                                     minutes) % {"n": minutes}, "throttled", retry_after=seconds)
    setting_up = user.second_factor_at is None
    used = await _check(db, user, code, recovery=not setting_up)
    if used is None:
        db.add(SignInFailure(email=user.email, ip=actor.ip))
        record(db, tenant.id, Actor(email=user.email, ip=actor.ip),
               "account.second_factor_failed", "user", user.id)
        await db.commit()
        raise SignInRefused(_("This code is not right. Enter the six digits your app shows "
                              "now, or one of your recovery codes."), "invalid")
    await use_token(db, tenant, token, "second_factor")
    codes: list[str] = []
    signer = Actor(user_id=user.id, email=user.email, name=user.name, ip=actor.ip)
    if setting_up:
        user.second_factor_at = now()
        codes = await _new_recovery_codes(db, user)
        record(db, tenant.id, signer, "account.second_factor_on", "user", user.id)
    elif used == "recovery_code":
        left = await recovery_codes_left(db, user)
        record(db, tenant.id, signer, "account.recovery_code_used", "user", user.id,
               after={"left": left})
        _mail_change(db, tenant, user, "recovery_code_used", left=left)
    return Completed(user, codes)


async def turn_on(db: AsyncSession, tenant: TenantContext, actor: Actor,
                  code: str) -> list[str]:
    """A signed-in person confirms the set-up with a first code: the recovery codes."""
    user = await _own(db, actor)
    if user.second_factor_at is not None:
        raise NotNow(_("Two-step sign-in is already on."))
    if await _check(db, user, code, recovery=False) is None:
        raise FormErrors({"code": _("This code is not right. Enter the six digits your app "
                                    "shows now.")})
    user.second_factor_at = now()
    codes = await _new_recovery_codes(db, user)
    record(db, tenant.id, actor, "account.second_factor_on", "user", user.id)
    await db.commit()
    return codes


async def new_recovery_codes(db: AsyncSession, tenant: TenantContext, actor: Actor,
                             code: str) -> list[str]:
    """Ten new codes for a current code; the old ones stop working."""
    user = await _own_with_second_factor(db, actor)
    if await _check(db, user, code, recovery=True) is None:
        raise FormErrors({"code": _("This code is not right.")})
    codes = await _new_recovery_codes(db, user)
    record(db, tenant.id, actor, "account.recovery_codes_renewed", "user", user.id)
    await db.commit()
    return codes


async def turn_off(db: AsyncSession, tenant: TenantContext, actor: Actor, code: str) -> None:
    """For a current code (or recovery code), unless the person's role requires it."""
    user = await _own_with_second_factor(db, actor)
    if await is_required(db, tenant, user):
        raise NotNow(_("Your role requires two-step sign-in: it cannot be turned off."))
    if await _check(db, user, code, recovery=True) is None:
        raise FormErrors({"code": _("This code is not right.")})
    user.totp_secret = None
    user.second_factor_at = None
    user.totp_last_step = None
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record(db, tenant.id, actor, "account.second_factor_off", "user", user.id)
    _mail_change(db, tenant, user, "turned_off")
    await db.commit()


async def set_staff_requirement(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                required: bool) -> bool:
    """The mission's rule for its officers and admins (audited). False when unchanged.
    People already signed in keep their session; the rule applies at their next sign-in."""
    row = await get_mission(db, tenant, for_update=True)
    settings = dict(row.settings or {})
    before = bool(settings.get(MISSION_SETTING))
    if before == required:
        await db.rollback()
        return False
    settings[MISSION_SETTING] = required
    row.settings = settings
    flag_modified(row, "settings")
    record(db, tenant.id, actor, "mission.second_factor_rule_changed", "tenant", tenant.id,
           before={"required": before}, after={"required": required})
    await db.commit()
    return True


async def _own(db: AsyncSession, actor: Actor) -> User:
    user = await get_user(db, actor.user_id)
    assert user is not None  # the routes require a signed-in person
    return user


async def _own_with_second_factor(db: AsyncSession, actor: Actor) -> User:
    user = await _own(db, actor)
    if user.second_factor_at is None:
        raise NotNow(_("Two-step sign-in is not on."))
    return user


def _mail_change(db: AsyncSession, tenant: TenantContext, user: User, event: str,
                 **context: object) -> None:
    """The owner hears of what weakens their second factor (in their own language)."""
    queue_mail(db, tenant, user.email, "second_factor_changed",
               user.preferred_locale or tenant.default_locale, name=user.name, event=event,
               **context)
