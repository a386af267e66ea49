"""Sign-up, email verification, sign-in with throttling, sessions, password reset and change.

Rules live here; controllers parse forms and pick templates. Every function that changes
something records an audit event in the same transaction and commits.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, OneTimeToken, SignInFailure, User, UserSession
from app.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from app.audit.services import record
from app.config import Settings
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors, Refusal
from app.core.locks import lock_until_commit
from app.core.roles import PERMISSIONS, permissions_for
from app.core.tokens import hash_token, new_token, new_tokens
from app.db.bulk import ascending_ids
from app.i18n import SUPPORTED_LOCALES, ngettext
from app.i18n import gettext as _
from app.notifications.services import queue_mail
from tenants.context import TenantContext

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_LIFETIME = {"verify_email": timedelta(hours=48), "reset_password": timedelta(hours=1),
                  # between the password and the second factor (app/accounts/second_factor.py)
                  "second_factor": timedelta(minutes=10),
                  # the secret address of a person's assignment calendar (app.assignments)
                  "calendar": timedelta(days=365)}
# Sign-in throttling (issue 18, finding 1): failures are counted per source (IP address)
# and per account *and* source, never per account alone, so guessing from one place slows
# down without anyone being able to lock the owner out from another. Past the free
# attempts, each further failure doubles the wait (counted from the latest failure) up to
# THROTTLE_MAX_WAIT; the answer is 429 with Retry-After, the worker never sleeps.
THROTTLE_WINDOW = timedelta(hours=1)
THROTTLE_FIRST_WAIT = timedelta(minutes=1)
THROTTLE_MAX_WAIT = timedelta(minutes=15)
FREE_FAILURES_PER_ACCOUNT_AND_SOURCE = 5
FREE_FAILURES_PER_SOURCE = 20
# The owner hears of guessing: one mail when an account's failures from any source within
# the window reach this many (sign-ins of one account are serialised, so exactly once).
WARN_OWNER_AT_FAILURES = 10
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


class SignInRefused(Refusal):
    """reason: 'invalid' (wrong email or password), 'throttled' or 'unverified'."""

    def __init__(self, message: str, reason: str, retry_after: int | None = None):
        super().__init__(message, status=429 if reason == "throttled" else 400)
        self.reason = reason
        self.retry_after = retry_after  # seconds, for the Retry-After header when throttled


class TokenInvalid(Refusal):
    """A link that cannot be used. status 404: unknown here (e.g. another mission's link);
    400: known but expired, used or withdrawn."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message, status=status)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    if not EMAIL_RE.match(email) or len(email) > 320:
        return _("Enter a valid email address, like name@example.org.")
    return None


async def user_by_email(db: AsyncSession, email: str) -> User | None:
    return await db.scalar(select(User).where(User.email == normalise_email(email)))


async def get_user(db: AsyncSession, user_id: uuid.UUID | None) -> User | None:
    """A person by id (None for no id, as an anonymous actor's). People are global (one may
    hold roles in several missions), so there is no mission to scope to; what the caller may
    do with them is the caller's rule."""
    if user_id is None:
        return None
    return await db.scalar(select(User).where(User.id == user_id))


async def password_hash_of(db: AsyncSession, user: User) -> str | None:
    """One active account's password hash: the runtime role cannot read the column, only
    this one row through account_password_hash (migration 0014)."""
    return await db.scalar(select(func.account_password_hash(user.id)))


def _session_with_token(token: str) -> ColumnElement[bool]:
    """The condition that picks the session of a cookie's token, through session_for_token
    (the runtime role cannot read token hashes)."""
    return UserSession.id == func.session_for_token(hash_token(token))


async def membership_of(db: AsyncSession, tenant: TenantContext,
                        user_id: uuid.UUID) -> Membership | None:
    return await db.scalar(select(Membership).where(
        Membership.tenant_id == tenant.id, Membership.user_id == user_id,
        Membership.status == "active"))


async def members_who_can(db: AsyncSession, tenant: TenantContext, permission: str,
                          host_institution_id: uuid.UUID | None = None) -> list[User]:
    """The mission's active people whose role grants the permission (optionally only the
    focal points of one institution): who is told of a submitted profile or request."""
    roles = [role for role, granted in PERMISSIONS.items() if permission in granted]
    query = (select(User).join(Membership, Membership.user_id == User.id)
             .where(Membership.tenant_id == tenant.id, Membership.status == "active",
                    Membership.role.in_(roles), User.status == "active"))
    if host_institution_id is not None:
        query = query.where(Membership.host_institution_id == host_institution_id)
    return list(await db.scalars(query))


# --- sign-up and email verification ------------------------------------------------------

@dataclass
class SignUp:
    name: str
    email: str
    password: str
    password_confirm: str
    locale: str


async def sign_up_expert(db: AsyncSession, tenant: TenantContext, form: SignUp, actor: Actor,
                         verify_link) -> User:
    """A new expert account in this mission; a verification link goes out by mail."""
    email = normalise_email(form.email)
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["name"] = _("Enter your full name.")
    elif len(form.name) > 200:
        errors["name"] = _("Use at most %(n)s characters.") % {"n": 200}
    if problem := email_problem(email):
        errors["email"] = problem
    if problem := password_problem(form.password, email, form.name):
        errors["password"] = problem
    elif form.password != form.password_confirm:
        errors["password_confirm"] = _("The two passwords are not the same.")
    if form.locale not in SUPPORTED_LOCALES:
        errors["locale"] = _("Choose one of the languages listed.")
    if not errors and await user_by_email(db, email):
        errors["email"] = _("An account with this email address already exists. "
                            "Sign in, or reset your password if you forgot it.")
    if errors:
        raise FormErrors(errors)

    user = User(email=email, name=form.name.strip(), preferred_locale=form.locale,
                password_hash=hash_password(form.password), status="active")
    db.add(user)
    await db.flush()
    db.add(Membership(tenant_id=tenant.id, user_id=user.id, role="expert", status="active"))
    token = await issue_token(db, tenant, user, "verify_email")
    queue_mail(db, tenant, user.email, "verify_email", user.preferred_locale or tenant.default_locale,
               name=user.name, link=verify_link(token))
    record(db, tenant.id, _as(actor, user), "account.signed_up", "user", user.id,
           after={"email": email, "role": "expert"})
    await db.commit()
    return user


def _as(actor: Actor, user: User) -> Actor:
    """The actor for events where the user acts before being signed in."""
    return Actor(user_id=user.id, email=user.email, name=user.name, ip=actor.ip)


MAX_LINKS_PER_HOUR = 5


async def _too_many_links(db: AsyncSession, tenant: TenantContext, user: User,
                          purpose: str) -> bool:
    """Resending links is capped per account, so nobody can flood someone's mailbox."""
    sent = await db.scalar(select(func.count()).select_from(OneTimeToken).where(
        OneTimeToken.tenant_id == tenant.id, OneTimeToken.user_id == user.id,
        OneTimeToken.purpose == purpose,
        OneTimeToken.created_at > now() - timedelta(hours=1))) or 0
    return sent >= MAX_LINKS_PER_HOUR


async def issue_token(db: AsyncSession, tenant: TenantContext, user: User, purpose: str) -> str:
    # A new link replaces any earlier unused one for the same purpose.
    await db.execute(update(OneTimeToken).where(
        OneTimeToken.tenant_id == tenant.id, OneTimeToken.user_id == user.id,
        OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None)).values(used_at=now()))
    token, digest = new_token()
    db.add(OneTimeToken(tenant_id=tenant.id, token_hash=digest, user_id=user.id, purpose=purpose,
                        expires_at=now() + TOKEN_LIFETIME[purpose]))
    return token


def password_link_tokens(tenant: TenantContext, user_ids: list[uuid.UUID],
                         lifetime: timedelta) -> list[tuple[str, dict]]:
    """Password links for people who have no password yet (experts imported from a
    roster): the same one-time reset_password link and page as a reset, valid longer.
    Returns, for each user, the token for the mail and the one_time_tokens row to insert
    (the callers create many accounts at once and insert the rows in bulk)."""
    expires_at = now() + lifetime
    return [(token, dict(id=token_id, tenant_id=tenant.id, token_hash=digest, user_id=user_id,
                         purpose="reset_password", expires_at=expires_at, used_at=None))
            for (token, digest), token_id, user_id in zip(
                new_tokens(len(user_ids)), ascending_ids(len(user_ids)), user_ids, strict=True)]


async def use_token(db: AsyncSession, tenant: TenantContext, token: str, purpose: str,
                     consume: bool = True) -> User:
    row = await db.scalar(select(OneTimeToken).where(
        OneTimeToken.tenant_id == tenant.id, OneTimeToken.token_hash == hash_token(token),
        OneTimeToken.purpose == purpose).with_for_update())
    if row is None:
        raise TokenInvalid(_("This link is not valid. Ask for a new one."), status=404)
    if row.used_at is not None:
        raise TokenInvalid(_("This link has already been used. Ask for a new one if you need it."))
    if row.expires_at <= now():
        raise TokenInvalid(_("This link has expired. Ask for a new one."))
    if consume:
        row.used_at = now()
    user = await get_user(db, row.user_id)
    if user is None or user.status != "active":
        raise TokenInvalid(_("This account is not active."))
    return user


async def check_verification_token(db: AsyncSession, tenant: TenantContext, token: str) -> User:
    """Raises TokenInvalid with the reason; does not use the link up (a mail scanner that
    opens links must not confirm an address for someone else)."""
    return await use_token(db, tenant, token, "verify_email", consume=False)


async def verify_email(db: AsyncSession, tenant: TenantContext, token: str, actor: Actor) -> User:
    user = await use_token(db, tenant, token, "verify_email")
    user.email_verified_at = user.email_verified_at or now()
    record(db, tenant.id, _as(actor, user), "account.email_verified", "user", user.id)
    await db.commit()
    return user


async def resend_verification(db: AsyncSession, tenant: TenantContext, email: str, actor: Actor,
                              verify_link) -> None:
    """Silently does nothing for unknown or verified addresses (no account oracle)."""
    user = await user_by_email(db, email)
    if user is None or user.email_verified_at is not None or user.status != "active" \
            or await _too_many_links(db, tenant, user, "verify_email"):
        return
    token = await issue_token(db, tenant, user, "verify_email")
    queue_mail(db, tenant, user.email, "verify_email", user.preferred_locale or tenant.default_locale,
               name=user.name, link=verify_link(token))
    record(db, tenant.id, Actor(email=user.email, ip=actor.ip), "account.verification_resent",
           "user", user.id)
    await db.commit()


# --- sign-in, throttling and sessions ----------------------------------------------------

def throttle_wait(failures: int, free: int) -> timedelta:
    """How long to wait after the latest failure: nothing within the free attempts, then
    THROTTLE_FIRST_WAIT doubling with each further failure, at most THROTTLE_MAX_WAIT."""
    if failures < free:
        return timedelta(0)
    return min(THROTTLE_FIRST_WAIT * 2 ** min(failures - free, 16), THROTTLE_MAX_WAIT)


async def seconds_to_wait(db: AsyncSession, email: str, ip: str) -> int | None:
    """Seconds until this account may be tried again from this source, or None."""
    moment = now()
    since = moment - THROTTLE_WINDOW
    longest = 0
    for condition, free in (
            (and_(SignInFailure.email == email, SignInFailure.ip == ip),
             FREE_FAILURES_PER_ACCOUNT_AND_SOURCE),
            (SignInFailure.ip == ip, FREE_FAILURES_PER_SOURCE)):
        count, latest = (await db.execute(
            select(func.count(), func.max(SignInFailure.created_at))
            .where(condition, SignInFailure.created_at > since))).one()
        if count and (wait := throttle_wait(count, free)):
            left = -(-(latest + wait - moment).total_seconds() // 1)  # rounded up
            longest = max(longest, int(left))
    return longest or None


async def authenticate(db: AsyncSession, tenant: TenantContext, email: str, password: str,
                       actor: Actor, forgot_password_url: str) -> User:
    """The user, if the password is right and nothing holds them back; failures are counted
    per source and per account-and-source, and a throttled attempt is refused before the
    password is even checked (the owner from another source is not held back)."""
    email = normalise_email(email)
    if email_problem(email):  # not an address at all: no account, nothing to count
        raise SignInRefused(_("The email address or password is not right."), "invalid")
    # One sign-in per account at a time, so parallel guesses cannot all pass the count.
    await lock_until_commit(db, f"sign-in:{email}")
    if (seconds := await seconds_to_wait(db, email, actor.ip)) is not None:
        minutes = max(1, -(-seconds // 60))
        raise SignInRefused(ngettext("Too many failed attempts. Try again in %(n)s minute.",
                                     "Too many failed attempts. Try again in %(n)s minutes.",
                                     minutes) % {"n": minutes}, "throttled", retry_after=seconds)
    user = await user_by_email(db, email)
    # The password is always checked (against a dummy hash for unknown addresses), so the
    # answer takes as long whether or not the account exists.
    stored = await password_hash_of(db, user) if user else None
    password_ok = verify_password(stored, password)
    if user is None or not password_ok or user.status != "active":
        db.add(SignInFailure(email=email, ip=actor.ip))
        record(db, tenant.id, Actor(email=email, ip=actor.ip), "account.sign_in_failed",
               "user", user.id if user else "", after={"email": email})
        if user is not None and user.status == "active":
            await _warn_owner_of_guessing(db, tenant, user, actor, forgot_password_url)
        await db.commit()
        raise SignInRefused(_("The email address or password is not right."), "invalid")
    if user.email_verified_at is None:
        raise SignInRefused(_("Confirm your email address first: open the link we sent you."),
                            "unverified")
    if stored and needs_rehash(stored):
        # Argon2's parameters have changed since this hash was made: the password is at
        # hand only now, so the hash is upgraded now (saved with the session that follows).
        user.password_hash = hash_password(password)
    return user


async def _warn_owner_of_guessing(db: AsyncSession, tenant: TenantContext, user: User,
                                  actor: Actor, forgot_password_url: str) -> None:
    failures = await db.scalar(select(func.count()).where(
        SignInFailure.email == user.email, SignInFailure.created_at > now() - THROTTLE_WINDOW))
    if failures == WARN_OWNER_AT_FAILURES:
        queue_mail(db, tenant, user.email, "sign_in_failures",
                   user.preferred_locale or tenant.default_locale, name=user.name,
                   count=failures, link=forgot_password_url)
        record(db, tenant.id, Actor(ip=actor.ip), "account.owner_warned", "user", user.id,
               after={"failures": failures})


async def start_session(db: AsyncSession, tenant: TenantContext, user: User, actor: Actor,
                        settings: Settings, user_agent: str,
                        previous_token: str | None = None) -> str:
    """A fresh session for the user; any session the browser had before is revoked
    (rotation: a session id planted before sign-in is worthless after it)."""
    if previous_token:
        await end_session(db, previous_token)
    token, digest = new_token()
    moment = now()
    db.add(UserSession(token_hash=digest, user_id=user.id, last_seen_at=moment,
                       expires_at=moment + timedelta(hours=settings.session_max_hours),
                       ip=actor.ip, user_agent=user_agent[:300]))
    record(db, tenant.id, _as(actor, user), "account.signed_in", "user", user.id)
    await db.commit()
    return token


# Every signed-in request runs one of these: built once, with the token's hash and the
# mission as bound values, rather than built and hashed again for SQLAlchemy's cache. They
# read plain columns, not ORM objects: what an Actor needs, without loading three entities
# into the session on every page.
_SESSION_USER = (select(UserSession.id.label("session_id"), UserSession.revoked_at,
                        UserSession.expires_at, UserSession.last_seen_at,
                        User.id, User.email, User.name, User.is_platform_admin,
                        User.preferred_locale, User.status)
                 .join(User, User.id == UserSession.user_id)
                 .where(UserSession.id == func.session_for_token(bindparam("token_hash"))))
_SESSION_USER_MEMBERSHIP = _SESSION_USER.add_columns(
    Membership.id.label("membership_id"), Membership.role, Membership.partner_agency_id,
    Membership.host_institution_id,
).outerjoin(Membership, and_(
    Membership.user_id == User.id, Membership.tenant_id == bindparam("tenant_id"),
    Membership.status == "active"))


async def actor_for_session(db: AsyncSession, tenant: TenantContext | None, token: str,
                            settings: Settings, ip: str) -> Actor:
    """Who is acting, from a session cookie: the user and their role in the mission in one
    query (anonymous if the session is unknown, revoked, idle or expired). The caller runs
    this inside the mission's tenant scope, which row-level security needs for memberships."""
    if tenant is None:
        result = await db.execute(_SESSION_USER, {"token_hash": hash_token(token)})
    else:
        result = await db.execute(_SESSION_USER_MEMBERSHIP,
                                  {"token_hash": hash_token(token), "tenant_id": tenant.id})
    row = result.first()
    if row is None:
        return Actor(ip=ip)
    moment = now()
    idle_limit = timedelta(minutes=settings.session_idle_minutes)
    if (row.revoked_at is not None or row.expires_at <= moment
            or row.last_seen_at + idle_limit <= moment or row.status != "active"):
        return Actor(ip=ip)
    if moment - row.last_seen_at >= TOUCH_EVERY:
        await db.execute(update(UserSession).where(UserSession.id == row.session_id)
                         .values(last_seen_at=moment))
        await db.commit()
    member = tenant is not None and row.membership_id is not None
    role = row.role if member else None
    return Actor(
        user_id=row.id, email=row.email, name=row.name,
        is_platform_admin=row.is_platform_admin, role=role,
        membership_id=row.membership_id if member else None,
        partner_agency_id=row.partner_agency_id if member else None,
        host_institution_id=row.host_institution_id if member else None,
        ip=ip, preferred_locale=row.preferred_locale,
        permissions=permissions_for(role, row.is_platform_admin))


async def end_session(db: AsyncSession, token: str) -> None:
    await db.execute(update(UserSession).where(
        _session_with_token(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now()))


async def sign_out(db: AsyncSession, tenant: TenantContext, token: str, actor: Actor) -> None:
    await end_session(db, token)
    if actor.signed_in:
        record(db, tenant.id, actor, "account.signed_out", "user", actor.user_id)
    await db.commit()


async def _revoke_all_sessions(db: AsyncSession, user_id: uuid.UUID) -> None:
    await db.execute(update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now()))


# --- passwords -----------------------------------------------------------------------------

async def request_password_reset(db: AsyncSession, tenant: TenantContext, email: str,
                                 actor: Actor, reset_link) -> None:
    """Mails a reset link if the account exists; says nothing either way (no oracle)."""
    user = await user_by_email(db, email)
    if user is None or user.status != "active" \
            or await _too_many_links(db, tenant, user, "reset_password"):
        return
    token = await issue_token(db, tenant, user, "reset_password")
    queue_mail(db, tenant, user.email, "reset_password",
               user.preferred_locale or tenant.default_locale, name=user.name,
               link=reset_link(token))
    record(db, tenant.id, _as(actor, user), "account.password_reset_requested", "user", user.id)
    await db.commit()


async def check_reset_token(db: AsyncSession, tenant: TenantContext, token: str) -> User:
    """Raises TokenInvalid with the reason; does not use the token up."""
    return await use_token(db, tenant, token, "reset_password", consume=False)


async def reset_password(db: AsyncSession, tenant: TenantContext, token: str, password: str,
                         password_confirm: str, actor: Actor) -> User:
    user = await use_token(db, tenant, token, "reset_password")
    _check_new_password(user, password, password_confirm)
    user.password_hash = hash_password(password)
    # Whoever knew the link also proved they read the mailbox: the address is verified.
    user.email_verified_at = user.email_verified_at or now()
    await _revoke_all_sessions(db, user.id)
    queue_mail(db, tenant, user.email, "password_changed",
               user.preferred_locale or tenant.default_locale, name=user.name)
    record(db, tenant.id, _as(actor, user), "account.password_reset", "user", user.id)
    await db.commit()
    return user


async def change_password(db: AsyncSession, tenant: TenantContext, actor: Actor, current: str,
                          password: str, password_confirm: str) -> User:
    user = await get_user(db, actor.user_id)
    if user is None or not verify_password(await password_hash_of(db, user), current):
        raise FormErrors({"current_password": _("Your current password is not right.")})
    _check_new_password(user, password, password_confirm)
    user.password_hash = hash_password(password)
    await _revoke_all_sessions(db, user.id)  # signs out every other browser too
    queue_mail(db, tenant, user.email, "password_changed",
               user.preferred_locale or tenant.default_locale, name=user.name)
    record(db, tenant.id, actor, "account.password_changed", "user", user.id)
    await db.commit()
    return user


def _check_new_password(user: User, password: str, password_confirm: str) -> None:
    if problem := password_problem(password, user.email, user.name):
        raise FormErrors({"password": problem})
    if password != password_confirm:
        raise FormErrors({"password_confirm": _("The two passwords are not the same.")})
