"""Single sign-on with OpenID Connect (authorization code flow with PKCE).

A mission admin configures an organisation's identity provider for the mission; its staff
then sign in with their organisation account. State, nonce and the PKCE verifier stay in
the database (sso_login_states), each usable once and only from the browser that started
the sign-in. The ID token is verified with joserfc against the provider's published keys
(JWKS), and iss, aud, exp, iat and nonce are checked before anyone is signed in.

Controllers call these functions and pick templates; every refusal is an SsoRefused with a
message for the person and a reason for the audit trail.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import ipaddress
import json
import logging
import re
import secrets
import socket
import types
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from litestar.exceptions import NotFoundException
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, User
from app.accounts.services import email_problem, get_user, normalise_email, user_by_email
from app.accounts.sso_models import SSO_ROLES, IdentityProvider, SsoLoginState, UserIdentity
from app.audit.services import record
from app.config import Settings, resolve_secret_key
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors, Refusal
from app.core.kept import Kept
from app.core.tokens import hash_token
from app.i18n import gettext as _
from app.partners.models import PartnerAgency
from tenants.context import TenantContext

_oauth_http: types.ModuleType
try:  # authlib's httpx client runs on httpx2 when it is installed, else on httpx
    import httpx2 as _oauth_http
except ImportError:  # pragma: no cover - depends on what is installed
    _oauth_http = httpx

log = logging.getLogger(__name__)

SCOPE = "openid email profile"
# Long enough to type a password and answer a second factor at the provider.
LOGIN_LIFETIME = timedelta(minutes=15)
# Finished sign-ins are kept a day, so a replayed callback is told "already used".
KEEP_FINISHED = timedelta(days=1)
# Short: a provider that hangs must not hold a web worker (and the person) for long.
HTTP_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
CLOCK_LEEWAY_SECONDS = 60
# Asymmetric signatures only: "none" and HMAC (keyed with the client secret) are refused.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                       "ES256", "ES384", "ES512", "EdDSA")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_DOMAINS = 20


class SsoRefused(Refusal):
    """A sign-in that cannot go on. `message` is for the person, `reason` for the audit."""

    status = 400

    def __init__(self, message: str, reason: str, status: int | None = None,
                 detail: str = ""):
        super().__init__(message, status=status)
        self.reason = reason
        self.detail = detail


class ProviderUnavailable(SsoRefused):
    """The provider did not answer, or answered nonsense: not the person's fault."""

    status = 502


class ProviderDisabled(Refusal):
    """The mission admin turned this provider off: back to the sign-in form."""

    def __init__(self, name: str):
        super().__init__(_("Signing in with %(name)s is turned off in this mission. Sign in "
                         "with your password, or ask the mission administrator.") % {"name": name})


class SignInNotStarted(Refusal):
    """The callback was opened without any sign-in answer (a bookmark, the back button)."""

    status = 400

    def __init__(self, name: str):
        super().__init__(_("The sign-in with %(name)s did not finish. Please try again.")
                         % {"name": name})


class DiscoveryFailed(Refusal):
    """The issuer's OpenID configuration could not be used; the message says why."""


# --- client secrets ------------------------------------------------------------------------

def secret_box(settings: Settings) -> Fernet:
    """Client secrets are encrypted under a key derived from SECRET_KEY with HKDF-SHA256 and a
    label of its own, so that key serves nothing else and a database dump reveals nothing."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"diaspora-bridge/sso-client-secret").derive(
        resolve_secret_key(settings).encode())
    return Fernet(base64.urlsafe_b64encode(key))


# --- configuration by a mission admin ------------------------------------------------------

@dataclass
class ProviderForm:
    name: str = ""
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""  # empty when editing: keep the stored one
    allowed_domains: str = ""
    default_role: str = "partner_user"
    partner_agency_id: str = ""
    existing_members_only: bool = False

    @classmethod
    def from_data(cls, data: dict[str, str]) -> ProviderForm:
        return cls(name=data.get("name", ""), issuer=data.get("issuer", ""),
                   client_id=data.get("client_id", ""),
                   client_secret=data.get("client_secret", ""),
                   allowed_domains=data.get("allowed_domains", ""),
                   default_role=data.get("default_role", ""),
                   partner_agency_id=data.get("partner_agency_id", ""),
                   existing_members_only=data.get("existing_members_only", "") in
                   ("on", "1", "true", "yes"))

    @classmethod
    def of(cls, provider: IdentityProvider) -> ProviderForm:
        return cls(name=provider.name, issuer=provider.issuer, client_id=provider.client_id,
                   allowed_domains=", ".join(provider.allowed_domains),
                   default_role=provider.default_role,
                   partner_agency_id=str(provider.partner_agency_id or ""),
                   existing_members_only=provider.existing_members_only)

    def shown(self) -> dict[str, object]:
        """What a form may show back: everything except the secret."""
        return {"name": self.name, "issuer": self.issuer, "client_id": self.client_id,
                "allowed_domains": self.allowed_domains, "default_role": self.default_role,
                "partner_agency_id": self.partner_agency_id,
                "existing_members_only": self.existing_members_only}


# Provider metadata and keys: fetched only from public https hosts (issue 18, finding 7),
# at most this big, and kept this long (not fetched again at every sign-in).
MAX_FETCH_BYTES = 512 * 1024
FETCH_CACHE_SECONDS = 300
_fetched: Kept[object] = Kept(seconds=FETCH_CACHE_SECONDS, most=64)


def test_hosts(settings: Settings | None) -> tuple[str, ...]:
    """Hosts exempt from the public-https rule: PORTAL_SSO_TEST_HOSTS, in debug mode only
    (a provider run by the tests or a developer on this machine)."""
    return tuple(settings.sso_test_hosts) if settings is not None and settings.debug else ()


class UnsafeAddress(ValueError):
    """An address the server must not fetch (not https, or not a public host)."""


def url_problem(url: str, exempt: tuple[str, ...] = ()) -> str | None:
    """https only; plain http only for a host named in `exempt` (see test_hosts)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        parts = None
    if parts is None or not parts.hostname or not (
            parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in exempt)):
        return _("Enter the provider's address starting with https://, "
                 "like https://login.example.org.")
    if parts.query or parts.fragment or parts.username or parts.password:
        return _("The address must not contain a question mark, a # or a user name.")
    return None


def parse_domains(text: str) -> tuple[list[str], str | None]:
    domains: list[str] = []
    for raw in re.split(r"[\s,;]+", text.strip().lower()):
        domain = raw.lstrip("@").rstrip(".")
        if not domain:
            continue
        if not DOMAIN_RE.match(domain):
            return domains, _("“%(domain)s” is not a domain name. Write domains like unhcr.org, "
                              "separated by commas.") % {"domain": raw}
        if domain not in domains:
            domains.append(domain)
    if not domains:
        return domains, _("Enter at least one email domain, like unhcr.org.")
    if len(domains) > MAX_DOMAINS:
        return domains, _("Enter at most %(n)s domains.") % {"n": MAX_DOMAINS}
    return domains, None


async def fetch_problem(url: str, exempt: tuple[str, ...] = ()) -> str | None:
    """Why the server must not fetch this address, or None: it must be https on a host
    whose every address is public (no loopback, private, link-local, metadata, reserved or
    multicast address), unless the host is exempt (test_hosts)."""
    if problem := url_problem(url, exempt):
        return problem
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in exempt:
        return None
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return _("The address %(host)s cannot be found.") % {"host": host}
    for *_rest, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            return _("%(host)s is not a public internet address; the provider must be "
                     "reachable on the internet over https.") % {"host": host}
    return None


async def _validate(db: AsyncSession, tenant: TenantContext, form: ProviderForm,
                    provider: IdentityProvider | None,
                    exempt: tuple[str, ...] = ()) -> dict[str, object]:
    """The cleaned values, or FormErrors with a message per field. Nothing is written."""
    errors: dict[str, str] = {}
    name = form.name.strip()
    if not name:
        errors["name"] = _("Enter a name people will recognise, like the organisation's.")
    elif len(name) > 100:
        errors["name"] = _("Use at most %(n)s characters.") % {"n": 100}
    else:
        clash = await db.scalar(select(IdentityProvider.id).where(
            IdentityProvider.tenant_id == tenant.id, IdentityProvider.name == name))
        if clash is not None and (provider is None or clash != provider.id):
            errors["name"] = _("Another sign-in provider of this mission has this name.")

    issuer = form.issuer.strip()
    if len(issuer) > 500:
        errors["issuer"] = _("Use at most %(n)s characters.") % {"n": 500}
    elif problem := url_problem(issuer, exempt):
        errors["issuer"] = problem

    client_id = form.client_id.strip()
    if not client_id:
        errors["client_id"] = _("Enter the client ID the provider gave for this portal.")
    elif len(client_id) > 200:
        errors["client_id"] = _("Use at most %(n)s characters.") % {"n": 200}

    secret = form.client_secret.strip()
    if provider is None and not secret:
        errors["client_secret"] = _("Enter the client secret the provider gave for this portal.")
    elif len(secret) > 500:
        errors["client_secret"] = _("Use at most %(n)s characters.") % {"n": 500}

    domains, problem = parse_domains(form.allowed_domains)
    if problem:
        errors["allowed_domains"] = problem

    if form.default_role not in SSO_ROLES:
        errors["default_role"] = _("Choose one of the roles listed.")

    agency_id = None
    if form.partner_agency_id:
        try:
            wanted = uuid.UUID(form.partner_agency_id)
        except ValueError:
            wanted = None
        # Scoped to this mission: another mission's agency is not one to choose.
        agency_id = wanted and await db.scalar(select(PartnerAgency.id).where(
            PartnerAgency.tenant_id == tenant.id, PartnerAgency.id == wanted,
            PartnerAgency.status == "active"))
        if agency_id is None:
            errors["partner_agency_id"] = _("Choose one of this mission's partner agencies.")
    elif form.default_role == "partner_user" and not form.existing_members_only:
        errors["partner_agency_id"] = _("Partner agency users belong to a partner agency: "
                                        "choose which one.")

    # Links were vouched for by the old issuer; another issuer could claim the same subjects.
    if "issuer" not in errors and provider is not None and provider.issuer != issuer \
            and await db.scalar(select(UserIdentity.id).where(
                UserIdentity.tenant_id == tenant.id, UserIdentity.provider_id == provider.id)
                .limit(1)):
        errors["issuer"] = _("People already sign in with this provider, so its issuer "
                             "cannot change. Add a new provider for the new issuer.")

    # Ask the provider itself, so a typo shows here rather than at someone's first sign-in.
    if "issuer" not in errors and (provider is None or provider.issuer != issuer):
        try:
            await discover(issuer, exempt, cache=False)  # the provider now, not as cached
        except DiscoveryFailed as exc:
            errors["issuer"] = str(exc)

    if errors:
        raise FormErrors(errors)
    return {"name": name, "issuer": issuer, "client_id": client_id, "secret": secret,
            "allowed_domains": domains, "default_role": form.default_role,
            "partner_agency_id": agency_id,
            "existing_members_only": form.existing_members_only}


def _audit_view(provider: IdentityProvider) -> dict[str, object]:
    """What the audit trail keeps of a provider: never the secret."""
    return {"name": provider.name, "issuer": provider.issuer, "client_id": provider.client_id,
            "allowed_domains": list(provider.allowed_domains),
            "default_role": provider.default_role,
            "partner_agency_id": str(provider.partner_agency_id or ""),
            "existing_members_only": provider.existing_members_only,
            "enabled": provider.enabled}


async def _commit_provider(db: AsyncSession) -> None:
    try:
        await db.commit()
    except IntegrityError as exc:  # a second admin saved the same name at the same moment
        await db.rollback()
        raise FormErrors({"name": _("Another sign-in provider of this mission has this name.")}) \
            from exc


async def create_provider(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          form: ProviderForm, settings: Settings) -> IdentityProvider:
    values = await _validate(db, tenant, form, None, test_hosts(settings))
    secret = str(values.pop("secret"))
    provider = IdentityProvider(
        tenant_id=tenant.id, enabled=True,
        client_secret_encrypted=secret_box(settings).encrypt(secret.encode()).decode(),
        **values)
    db.add(provider)
    await db.flush()
    record(db, tenant.id, actor, "sso.provider_created", "identity_provider", provider.id,
           after=_audit_view(provider))
    await _commit_provider(db)
    return provider


async def update_provider(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          provider: IdentityProvider, form: ProviderForm,
                          settings: Settings) -> IdentityProvider:
    values = await _validate(db, tenant, form, provider, test_hosts(settings))
    before = _audit_view(provider)
    secret = str(values.pop("secret"))
    for name, value in values.items():
        setattr(provider, name, value)
    after = _audit_view(provider)
    if secret:
        provider.client_secret_encrypted = secret_box(settings).encrypt(secret.encode()).decode()
        after["client_secret"] = "replaced"
    provider.updated_at = now()
    record(db, tenant.id, actor, "sso.provider_changed", "identity_provider", provider.id,
           before=before, after=after)
    await _commit_provider(db)
    return provider


async def set_provider_enabled(db: AsyncSession, tenant: TenantContext, actor: Actor,
                               provider: IdentityProvider, enabled: bool) -> None:
    if provider.enabled == enabled:
        return
    provider.enabled = enabled
    provider.updated_at = now()
    record(db, tenant.id, actor, "sso.provider_enabled" if enabled else "sso.provider_disabled",
           "identity_provider", provider.id, after={"name": provider.name})
    await db.commit()


async def get_provider(db: AsyncSession, tenant: TenantContext,
                       provider_id: uuid.UUID) -> IdentityProvider:
    """The mission's provider, or 404: another mission's id is simply not found."""
    provider = await db.scalar(select(IdentityProvider).where(
        IdentityProvider.tenant_id == tenant.id, IdentityProvider.id == provider_id))
    if provider is None:
        raise NotFoundException()
    return provider


async def list_providers(db: AsyncSession, tenant: TenantContext) -> list[IdentityProvider]:
    return list(await db.scalars(select(IdentityProvider).where(
        IdentityProvider.tenant_id == tenant.id).order_by(IdentityProvider.name)))


async def list_enabled_providers(db: AsyncSession,
                                 tenant: TenantContext) -> list[IdentityProvider]:
    """The buttons of the sign-in page."""
    return list(await db.scalars(select(IdentityProvider).where(
        IdentityProvider.tenant_id == tenant.id, IdentityProvider.enabled.is_(True))
        .order_by(IdentityProvider.name)))


# --- talking to the provider ----------------------------------------------------------------

@dataclass(frozen=True)
class ProviderMetadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    algorithms: tuple[str, ...]
    auth_methods: tuple[str, ...]


async def _get_json(url: str, headers: dict[str, str] | None = None, *,
                    exempt: tuple[str, ...] = (), cache: bool = False) -> object:
    """JSON from a provider: public https hosts only (UnsafeAddress), time-outs, at most
    MAX_FETCH_BYTES; with cache, kept FETCH_CACHE_SECONDS per address (metadata, keys)."""
    if cache and (kept := _fetched.get(url)) is not None:
        return kept
    if problem := await fetch_problem(url, exempt):
        raise UnsafeAddress(problem)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False) as http, \
            http.stream("GET", url, headers={"Accept": "application/json",
                                             **(headers or {})}) as response:
        response.raise_for_status()
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_FETCH_BYTES:
                raise ValueError(f"answer larger than {MAX_FETCH_BYTES} bytes")
    document = json.loads(body)
    if cache:
        _fetched.put(url, document)
    return document


async def discover(issuer: str, exempt: tuple[str, ...] = (),
                   cache: bool = True) -> ProviderMetadata:
    """The issuer's OpenID configuration, checked: it must name itself exactly as configured
    (so tokens of another issuer are never accepted) and point at usable addresses."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        doc = await _get_json(url, exempt=exempt, cache=cache)
    except UnsafeAddress as exc:
        raise DiscoveryFailed(str(exc)) from exc
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("OpenID discovery failed for %s: %r", issuer, exc)
        raise DiscoveryFailed(_("No OpenID provider answered at %(url)s.") % {"url": url}) \
            from exc
    if not isinstance(doc, dict):
        raise DiscoveryFailed(_("%(url)s is not an OpenID configuration.") % {"url": url})
    if doc.get("issuer") != issuer:
        raise DiscoveryFailed(_("The provider calls itself %(found)s; enter exactly that "
                                "address.") % {"found": str(doc.get("issuer"))[:200]})
    endpoints = {}
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = doc.get(key)
        if not isinstance(value, str) or url_problem(value, exempt):
            raise DiscoveryFailed(_("The provider's configuration has no usable %(key)s.")
                                  % {"key": key})
        endpoints[key] = value
    userinfo = doc.get("userinfo_endpoint")
    offered = doc.get("id_token_signing_alg_values_supported")
    offered = offered if isinstance(offered, list) and offered else ["RS256"]
    algorithms = tuple(a for a in offered if a in ID_TOKEN_ALGORITHMS)
    if not algorithms:
        raise DiscoveryFailed(_("The provider signs ID tokens only in ways this portal does not "
                                "accept (%(algs)s).") % {"algs": ", ".join(map(str, offered))})
    methods = doc.get("token_endpoint_auth_methods_supported")
    methods = methods if isinstance(methods, list) and methods else ["client_secret_basic"]
    return ProviderMetadata(
        userinfo_endpoint=userinfo if isinstance(userinfo, str)
        and not url_problem(userinfo, exempt)
        else "", algorithms=algorithms, auth_methods=tuple(map(str, methods)), **endpoints)


async def _metadata(provider_name: str, issuer: str,
                    exempt: tuple[str, ...] = ()) -> ProviderMetadata:
    try:
        return await discover(issuer, exempt)
    except DiscoveryFailed as exc:
        raise ProviderUnavailable(_unavailable(provider_name), "provider_unreachable",
                                  detail=str(exc)) from exc


def _unavailable(name: str) -> str:
    return _("%(name)s cannot be reached right now. Try again in a few minutes, or sign in "
             "with your password.") % {"name": name}


async def _signing_keys(provider_name: str, jwks_uri: str,
                        exempt: tuple[str, ...] = ()) -> KeySet:
    try:
        keys = await _get_json(jwks_uri, exempt=exempt, cache=True)
        return KeySet.import_key_set(keys)  # type: ignore[arg-type]
    except (httpx.HTTPError, ValueError, TypeError, KeyError, JoseError) as exc:
        log.warning("JWKS of %s unusable: %r", jwks_uri, exc)
        raise ProviderUnavailable(_unavailable(provider_name), "jwks_unusable",
                                  detail=repr(exc)[:200]) from exc


def _oauth_client(client_id: str, redirect_uri: str, client_secret: str | None = None,
                  auth_method: str | None = None) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(client_id=client_id, client_secret=client_secret,
                             token_endpoint_auth_method=auth_method, scope=SCOPE,
                             redirect_uri=redirect_uri, code_challenge_method="S256",
                             timeout=_oauth_http.Timeout(HTTP_TIMEOUT.read,
                                                         connect=HTTP_TIMEOUT.connect))


# --- signing in -----------------------------------------------------------------------------

async def start_login(db: AsyncSession, tenant: TenantContext, provider_id: uuid.UUID,
                      browser_token: str, redirect_uri: str, next_path: str,
                      settings: Settings) -> str:
    """Remembers a new sign-in and returns the provider's authorization URL to send the
    browser to (with state, nonce and an S256 code challenge)."""
    provider = await get_provider(db, tenant, provider_id)
    if not provider.enabled:
        raise ProviderDisabled(provider.name)
    metadata = await _metadata(provider.name, provider.issuer, test_hosts(settings))
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 asks for 43 to 128
    async with _oauth_client(provider.client_id, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            metadata.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce)
    moment = now()
    await db.execute(delete(SsoLoginState).where(
        SsoLoginState.tenant_id == tenant.id, SsoLoginState.expires_at < moment - KEEP_FINISHED))
    db.add(SsoLoginState(tenant_id=tenant.id, provider_id=provider.id, state=state, nonce=nonce,
                         code_verifier=verifier, browser_hash=hash_token(browser_token),
                         next_path=next_path[:500], expires_at=moment + LOGIN_LIFETIME))
    await db.commit()
    return url


@dataclass
class SsoSignIn:
    user: User
    next_path: str


async def finish_login(db: AsyncSession, tenant: TenantContext, provider_id: uuid.UUID,
                       params: dict[str, str], browser_token: str | None, redirect_uri: str,
                       actor: Actor, settings: Settings) -> SsoSignIn:
    """The callback: the signed-in (and, if new, provisioned) user, or SsoRefused. Every
    refusal is audited; nothing of a refused sign-in stays written except its used state."""
    provider = await get_provider(db, tenant, provider_id)
    if not provider.enabled:
        raise ProviderDisabled(provider.name)
    if not any(params.get(k) for k in ("state", "code", "error")):
        raise SignInNotStarted(provider.name)
    # Read now: a rollback below expires the loaded objects.
    pid, pname = provider.id, provider.name
    try:
        login = await _claim_login_state(db, tenant, provider, params.get("state", ""),
                                         browser_token)
        return await _complete(db, tenant, provider, login, params, redirect_uri, actor,
                               settings)
    except SsoRefused as exc:
        await db.rollback()
        record(db, tenant.id, actor, "sso.sign_in_failed", "identity_provider", pid,
               after={"provider": pname, "reason": exc.reason, "detail": exc.detail})
        await db.commit()
        raise


def _start_again() -> str:
    return _("Start again from the sign-in page.")


async def _claim_login_state(db: AsyncSession, tenant: TenantContext,
                             provider: IdentityProvider, state: str,
                             browser_token: str | None) -> SsoLoginState:
    """The sign-in this callback answers, marked used (and committed) before anything else
    happens, so the same answer can never be used twice."""
    login = await db.scalar(select(SsoLoginState).where(
        SsoLoginState.tenant_id == tenant.id, SsoLoginState.state == state).with_for_update()) \
        if state else None
    if login is None or login.provider_id != provider.id:
        raise SsoRefused(_("This sign-in was not started here.") + " " + _start_again(),
                         "unknown_state")
    if login.used_at is not None:
        raise SsoRefused(_("This sign-in has already been used.") + " " + _start_again(),
                         "replayed")
    moment = now()
    login.used_at = moment
    await db.commit()
    if login.expires_at <= moment:
        raise SsoRefused(_("This sign-in took too long and has expired.") + " " + _start_again(),
                         "expired")
    if not browser_token or not hmac.compare_digest(hash_token(browser_token),
                                                    login.browser_hash):
        raise SsoRefused(_("This sign-in was started in another browser.") + " "
                         + _start_again(), "other_browser")
    return login


async def _complete(db: AsyncSession, tenant: TenantContext, provider: IdentityProvider,
                    login: SsoLoginState, params: dict[str, str], redirect_uri: str,
                    actor: Actor, settings: Settings) -> SsoSignIn:
    name = provider.name
    if error := params.get("error"):
        message = (_("You did not finish signing in at %(name)s.") if error == "access_denied"
                   else _("%(name)s could not sign you in.")) % {"name": name}
        raise SsoRefused(message + " " + _start_again(), "provider_error", detail=error[:100])
    code = params.get("code")
    if not code:
        raise SsoRefused(_("%(name)s sent no sign-in code.") % {"name": name} + " "
                         + _start_again(), "missing_code")

    metadata = await _metadata(name, provider.issuer, test_hosts(settings))
    try:
        secret = secret_box(settings).decrypt(provider.client_secret_encrypted.encode()).decode()
    except InvalidToken as exc:  # SECRET_KEY changed since the secret was saved
        raise ProviderUnavailable(
            _("Signing in with %(name)s is not set up correctly. Tell the mission "
              "administrator to enter the client secret again.") % {"name": name},
            "secret_unreadable") from exc
    if problem := await fetch_problem(metadata.token_endpoint, test_hosts(settings)):
        raise ProviderUnavailable(_unavailable(name), "token_endpoint_not_public",
                                  detail=problem)
    tokens = await _exchange_code(provider, metadata, secret, code, login.code_verifier,
                                  redirect_uri)
    keys = await _signing_keys(name, metadata.jwks_uri, test_hosts(settings))
    claims = _verify_id_token(tokens.get("id_token"), keys, metadata, provider, login.nonce)
    if not claims.get("email") and metadata.userinfo_endpoint and tokens.get("access_token"):
        claims = {**await _userinfo(metadata, str(tokens["access_token"]), claims["sub"],
                                    test_hosts(settings)),
                  **claims}
    email = _allowed_email(claims, provider)

    try:
        user = await _provision(db, tenant, provider, str(claims["sub"]), email, claims, actor)
        record(db, tenant.id, _acting(actor, user), "sso.signed_in", "identity_provider",
               provider.id, after={"provider": name, "subject": str(claims["sub"]),
                                   "email": email})
        await db.commit()
    except IntegrityError as exc:  # the same person finishing two sign-ins at once
        raise SsoRefused(_("Another sign-in for this account finished at the same moment.")
                         + " " + _start_again(), "conflict", status=409) from exc
    return SsoSignIn(user=user, next_path=login.next_path)


async def _exchange_code(provider: IdentityProvider, metadata: ProviderMetadata, secret: str,
                         code: str, verifier: str, redirect_uri: str) -> dict:
    method = ("client_secret_post" if "client_secret_basic" not in metadata.auth_methods
              and "client_secret_post" in metadata.auth_methods else "client_secret_basic")
    async with _oauth_client(provider.client_id, redirect_uri, secret, method) as client:
        try:
            return dict(await client.fetch_token(
                metadata.token_endpoint, grant_type="authorization_code", code=code,
                code_verifier=verifier))
        except OAuthError as exc:
            # invalid_grant: the code was already used, expired, or PKCE did not match.
            raise SsoRefused(_("%(name)s refused to complete the sign-in.")
                             % {"name": provider.name} + " " + _start_again(),
                             "token_refused", detail=str(exc.error)[:100]) from exc
        except (_oauth_http.HTTPError, httpx.HTTPError, ValueError) as exc:
            log.warning("token request to %s failed: %r", metadata.token_endpoint, exc)
            raise ProviderUnavailable(_unavailable(provider.name), "token_endpoint_failed",
                                      detail=repr(exc)[:200]) from exc


def _verify_id_token(id_token: object, keys: KeySet, metadata: ProviderMetadata,
                     provider: IdentityProvider, nonce: str) -> dict:
    refused = _("The identity token from %(name)s could not be verified.") \
        % {"name": provider.name} + " " + _start_again()
    if not isinstance(id_token, str):
        raise SsoRefused(refused, "no_id_token")
    try:
        token = jwt.decode(id_token, keys, algorithms=list(metadata.algorithms))
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise SsoRefused(refused, "bad_id_token", detail=str(exc)[:200]) from exc
    claims = token.claims
    audience = claims["aud"]
    # Several audiences: the token must say it was issued to us (OpenID Connect Core 3.1.3.7).
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise SsoRefused(refused, "bad_id_token", detail="azp")
    return claims


async def _userinfo(metadata: ProviderMetadata, access_token: str, subject: str,
                    exempt: tuple[str, ...] = ()) -> dict:
    """Profile claims the ID token left out. Only used when they describe the same subject."""
    try:
        info = await _get_json(metadata.userinfo_endpoint,
                               {"Authorization": f"Bearer {access_token}"}, exempt=exempt)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("userinfo request failed: %r", exc)
        return {}
    if not isinstance(info, dict) or info.get("sub") != subject:
        return {}
    return {k: info[k] for k in ("email", "email_verified", "name", "given_name",
                                 "family_name", "locale") if k in info}


def _allowed_email(claims: dict, provider: IdentityProvider) -> str:
    email = normalise_email(str(claims.get("email") or ""))
    if not email or email_problem(email):
        raise SsoRefused(_("%(name)s did not share your email address, so the portal cannot "
                           "sign you in. Ask your organisation's IT team.")
                         % {"name": provider.name}, "no_email", status=403)
    if claims.get("email_verified") in (False, "false"):
        raise SsoRefused(_("%(name)s says your email address is not confirmed yet.")
                         % {"name": provider.name}, "email_unverified", status=403)
    domain = email.rsplit("@", 1)[1]
    if domain not in provider.allowed_domains:
        raise SsoRefused(_("%(email)s cannot sign in with %(name)s in this mission: only "
                           "addresses at %(domains)s are accepted.")
                         % {"email": email, "name": provider.name,
                            "domains": ", ".join(provider.allowed_domains)},
                         "domain_not_allowed", status=403, detail=domain)
    return email


def _display_name(claims: dict, email: str) -> str:
    name = str(claims.get("name") or "").strip() or " ".join(
        str(claims.get(k) or "").strip() for k in ("given_name", "family_name")).strip()
    return (name or email.split("@")[0])[:200]


async def _provision(db: AsyncSession, tenant: TenantContext, provider: IdentityProvider,
                     subject: str, email: str, claims: dict, actor: Actor) -> User:
    """The portal user for this subject: found by the link; else an existing account with
    this email address, linked only when this browser is signed in to it; else a new
    account with the provider's role, unless the provider admits members only. An existing
    role in the mission is never changed by signing in.

    Why not link existing accounts by email alone: a mission admin chooses the issuer and
    the domains, so a provider of their own could otherwise take over any account (a
    platform admin's, or someone's in another mission) by asserting its email address."""
    if len(subject) > 255:
        raise SsoRefused(_("%(name)s sent an identifier this portal cannot store.")
                         % {"name": provider.name}, "subject_too_long")
    identity = await db.scalar(select(UserIdentity).where(
        UserIdentity.tenant_id == tenant.id, UserIdentity.provider_id == provider.id,
        UserIdentity.subject == subject))
    user = await get_user(db, identity.user_id) if identity else await user_by_email(db, email)
    if identity is None and user is not None and user.id != actor.user_id:
        raise SsoRefused(_("A portal account with %(email)s already exists. Sign in with its "
                           "password first, then choose “Sign in with %(name)s” again to "
                           "connect the two.") % {"email": email, "name": provider.name},
                         "account_exists", status=409, detail=email)
    if identity is None and user is not None and await db.scalar(select(UserIdentity.id).where(
            UserIdentity.tenant_id == tenant.id, UserIdentity.provider_id == provider.id,
            UserIdentity.user_id == user.id)):
        raise SsoRefused(_("Your portal account is already linked to another account at "
                           "%(name)s. Ask the mission administrator for help.")
                         % {"name": provider.name}, "linked_to_other_subject", status=409)
    if user is not None and user.status != "active":
        raise SsoRefused(_("This portal account is not active. Ask the mission administrator."),
                         "account_inactive", status=403)
    membership = None if user is None else await db.scalar(select(Membership).where(
        Membership.tenant_id == tenant.id, Membership.user_id == user.id))
    if membership is not None and membership.status != "active":
        raise SsoRefused(_("Your access to this mission has been removed. Ask the mission "
                           "administrator if you need it again."), "membership_revoked",
                         status=403)

    if membership is None:
        if provider.existing_members_only:
            raise SsoRefused(_("Signing in with %(name)s is open only to people who already "
                               "have access to this mission. Ask the mission administrator "
                               "for an invitation.") % {"name": provider.name},
                             "not_a_member", status=403, detail=email)
        if user is None:
            locale = claims.get("locale")
            user = User(email=email, name=_display_name(claims, email), password_hash=None,
                        preferred_locale=locale if locale in tenant.locales else None,
                        status="active", email_verified_at=now(), is_platform_admin=False)
            db.add(user)
            await db.flush()
            record(db, tenant.id, _acting(actor, user), "account.created_by_sso", "user",
                   user.id, after={"email": email, "provider": provider.name})
        membership = Membership(tenant_id=tenant.id, user_id=user.id,
                                role=provider.default_role,
                                partner_agency_id=provider.partner_agency_id, status="active")
        db.add(membership)
        record(db, tenant.id, _acting(actor, user), "sso.member_added", "user", user.id,
               after={"role": provider.default_role, "provider": provider.name,
                      "partner_agency_id": str(provider.partner_agency_id or "")})
    assert user is not None  # a membership means a user; without one, one was made above

    # The provider vouches for the address it sent (its domain is one the mission accepts).
    if user.email == email:
        user.email_verified_at = user.email_verified_at or now()
    if identity is None:
        identity = UserIdentity(tenant_id=tenant.id, provider_id=provider.id, subject=subject,
                                user_id=user.id, email=email)
        db.add(identity)
        record(db, tenant.id, _acting(actor, user), "sso.identity_linked", "user", user.id,
               after={"provider": provider.name, "subject": subject})
    identity.email = email
    identity.last_sign_in_at = now()
    await db.flush()
    return user


def _acting(actor: Actor, user: User) -> Actor:
    return Actor(user_id=user.id, email=user.email, name=user.name, ip=actor.ip)
