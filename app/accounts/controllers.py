"""Sign-up, sign-in (with its second step), sign-out, email verification, password reset and
change, my account and its two-step sign-in. All under /<mission>/; every form works without
JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.accounts import second_factor, services
from app.accounts.models import User
from app.accounts.second_factor import NotNow
from app.accounts.services import SignInRefused, SignUp, TokenInvalid
from app.accounts.sso import list_enabled_providers
from app.core.errors import FormErrors
from app.core.roles import ACCOUNT_OWN
from app.i18n import gettext as _
from app.i18n import language_name
from app.web.context import SESSION_COOKIE
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.flash import flash
from app.web.guards import requires
from app.web.links import absolute_url, public_base, safe_next
from app.web.templating import page
from tenants.context import TenantContext


def _links(request: Request, tenant: TenantContext):
    base = public_base(request)  # checked before anything is written or looked up
    return {
        "verify": lambda token: f"{base}/{tenant.slug}/verify/{token}",
        "reset": lambda token: f"{base}/{tenant.slug}/password/reset/{token}",
    }


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="lax",
                        secure=request.app.state.secure_cookies,
                        max_age=request.app.state.settings.session_max_hours * 3600)


def _locale_options(tenant: TenantContext) -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in tenant.locales]


@get("/sign-up", name="sign_up_form")
async def sign_up_form(request: Request, tenant: CurrentTenant) -> Response:
    return page(request, "accounts/sign_up.html", errors={}, form={},
                locale_options=_locale_options(tenant))


def _sign_up_context(request: Request) -> dict:
    return {"locale_options": _locale_options(request.state.tenant)}


# opt["form_page"]: the page app/web/errors.py shows again when the input boundary refuses
# a field (control characters), with the message next to it.
@post("/sign-up", name="sign_up",
      opt={"form_page": "accounts/sign_up.html", "form_context": _sign_up_context})
async def sign_up(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                  data: FormData) -> Response:
    form = SignUp(name=data.get("name", ""), email=data.get("email", ""),
                  password=data.get("password", ""),
                  password_confirm=data.get("password_confirm", ""),
                  locale=data.get("locale", tenant.default_locale))
    try:
        await services.sign_up_expert(db, tenant, form, actor, _links(request, tenant)["verify"])
    except FormErrors as exc:
        return page(request, "accounts/sign_up.html", status_code=400, errors=exc.errors,
                    form=data, locale_options=_locale_options(tenant))
    return page(request, "accounts/check_mail.html", email=form.email.strip().lower())


@get("/verify/{token:str}", name="confirm_email_form")
async def confirm_email_form(request: Request, tenant: CurrentTenant, db: Db,
                             token: FromPath[str]) -> Response:
    """Opening the link shows a button; only pressing it confirms the address."""
    try:
        user = await services.check_verification_token(db, tenant, token)
    except TokenInvalid as exc:
        return page(request, "accounts/link_problem.html", status_code=exc.status,
                    message=exc.message, resend=True)
    return page(request, "accounts/confirm_email.html", token=token, email=user.email)


@post("/verify/{token:str}", name="verify_email")
async def verify_email(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                       token: FromPath[str]) -> Response:
    try:
        await services.verify_email(db, tenant, token, actor)
    except TokenInvalid as exc:
        return page(request, "accounts/link_problem.html", status_code=exc.status,
                    message=exc.message, resend=True)
    return flash(request, Redirect(f"/{tenant.slug}/sign-in", status_code=303), "success",
                 _("Your email address is confirmed. You can sign in now."))


@post("/verify", name="resend_verification")
async def resend_verification(request: Request, tenant: CurrentTenant, db: Db,
                              actor: CurrentActor, data: FormData) -> Response:
    await services.resend_verification(db, tenant, data.get("email", ""), actor,
                                       _links(request, tenant)["verify"])
    return page(request, "accounts/check_mail.html", email=data.get("email", "").strip().lower())


@get("/sign-in", name="sign_in_form")
async def sign_in_form(request: Request, tenant: CurrentTenant, db: Db,
                       next: FromQuery[str] = "") -> Response:
    return page(request, "accounts/sign_in.html", errors={}, form={"next": next},
                sso_providers=await list_enabled_providers(db, tenant))


@post("/sign-in", name="sign_in", opt={"form_page": "accounts/sign_in.html"})
async def sign_in(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                  data: FormData) -> Response:
    try:
        user = await services.authenticate(
            db, tenant, data.get("email", ""), data.get("password", ""), actor,
            forgot_password_url=absolute_url(request, f"/{tenant.slug}/password/forgot"))
    except SignInRefused as exc:
        refused = page(request, "accounts/sign_in.html",
                       status_code=429 if exc.reason == "throttled" else 400,
                       errors={"form": exc.message}, unverified=exc.reason == "unverified",
                       form={"email": data.get("email", ""), "next": data.get("next", "")},
                       sso_providers=await list_enabled_providers(db, tenant))
        if exc.retry_after:
            refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    if await second_factor.needed(db, tenant, user):
        pending = await second_factor.begin(db, tenant, user)
        query = urlencode({"next": data["next"]}) if data.get("next") else ""
        response = Redirect(f"/{tenant.slug}/sign-in/second-step" + (f"?{query}" if query else ""),
                            status_code=303)
        response.set_cookie(PENDING_COOKIE, pending, path=_pending_path(tenant), httponly=True,
                            samesite="lax", secure=request.app.state.secure_cookies,
                            max_age=int(services.TOKEN_LIFETIME["second_factor"].total_seconds()))
        return response
    return await _signed_in(request, tenant, db, actor, user, data.get("next", ""))


async def _signed_in(request: Request, tenant: TenantContext, db, actor, user: User,
                     next_path: str, recovery_codes: list[str] | None = None) -> Response:
    """Both steps done: a fresh session, then where the person was going (or, after the
    set-up of a second factor, their recovery codes first)."""
    token = await services.start_session(db, tenant, user, actor, request.app.state.settings,
                                         request.headers.get("user-agent", ""),
                                         previous_token=request.cookies.get(SESSION_COOKIE))
    target = safe_next(next_path) if next_path else f"/{tenant.slug}/"
    response: Response = (page(request, "accounts/recovery_codes.html", codes=recovery_codes,
                               continue_to=target) if recovery_codes
                          else Redirect(target, status_code=303))
    _set_session_cookie(request, response, token)
    response.delete_cookie(PENDING_COOKIE, path=_pending_path(tenant))
    return response


# The browser between the password and the second factor holds this one-time token.
PENDING_COOKIE = "sign_in_step"


def _pending_path(tenant: TenantContext) -> str:
    return f"/{tenant.slug}/sign-in"


def _step_expired(request: Request, tenant: TenantContext, actor) -> Response:
    if actor.signed_in:  # a stale tab of a sign-in that is over: nothing to do here
        return Redirect(f"/{tenant.slug}/", status_code=303)
    return flash(request, Redirect(f"/{tenant.slug}/sign-in", status_code=303), "error",
                 _("Your sign-in took too long or was interrupted. Sign in again."))


async def _second_step_page(request: Request, tenant: TenantContext, db, user: User,
                            next_path: str, error: str = "", status_code: int = 200) -> Response:
    setting_up = user.second_factor_at is None
    secret = await second_factor.secret_to_set_up(db, user) if setting_up else ""
    return page(request, "accounts/second_step.html", status_code=status_code,
                setting_up=setting_up, secret=secret, next=next_path, error=error,
                picture=second_factor.set_up_picture(secret, user) if setting_up else "")


@get("/sign-in/second-step", name="second_step_form")
async def second_step_form(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                           next: FromQuery[str] = "") -> Response:
    try:
        user = await second_factor.pending_user(db, tenant,
                                                request.cookies.get(PENDING_COOKIE, ""))
    except TokenInvalid:
        return _step_expired(request, tenant, actor)
    return await _second_step_page(request, tenant, db, user, next)


@post("/sign-in/second-step", name="second_step")
async def second_step(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                      data: FormData) -> Response:
    pending = request.cookies.get(PENDING_COOKIE, "")
    try:
        done = await second_factor.complete_sign_in(db, tenant, pending, data.get("code", ""),
                                                    actor)
    except TokenInvalid:
        return _step_expired(request, tenant, actor)
    except SignInRefused as exc:
        user = await second_factor.pending_user(db, tenant, pending)
        refused = await _second_step_page(request, tenant, db, user, data.get("next", ""),
                                          error=exc.message, status_code=exc.status)
        if exc.retry_after:
            refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    return await _signed_in(request, tenant, db, actor, done.user, data.get("next", ""),
                            done.recovery_codes)


@post("/sign-out", name="sign_out")
async def sign_out(request: Request, tenant: CurrentTenant, db: Db,
                   actor: CurrentActor) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await services.sign_out(db, tenant, token, actor)
    response = flash(request, Redirect(f"/{tenant.slug}/", status_code=303), "info",
                     _("You are signed out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/password/forgot", name="forgot_password_form")
async def forgot_password_form(request: Request, tenant: CurrentTenant) -> Response:
    return page(request, "accounts/forgot_password.html", errors={}, form={})


@post("/password/forgot", name="forgot_password",
      opt={"form_page": "accounts/forgot_password.html"})
async def forgot_password(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          data: FormData) -> Response:
    email = data.get("email", "").strip().lower()
    if problem := services.email_problem(email):
        return page(request, "accounts/forgot_password.html", status_code=400,
                    errors={"email": problem}, form=data)
    await services.request_password_reset(db, tenant, email, actor,
                                          _links(request, tenant)["reset"])
    return page(request, "accounts/check_mail.html", email=email, reset=True)


@get("/password/reset/{token:str}", name="reset_password_form")
async def reset_password_form(request: Request, tenant: CurrentTenant, db: Db,
                              token: FromPath[str]) -> Response:
    try:
        await services.check_reset_token(db, tenant, token)
    except TokenInvalid as exc:
        return page(request, "accounts/link_problem.html", status_code=exc.status,
                    message=exc.message,
                    resend=False)
    return page(request, "accounts/reset_password.html", errors={}, token=token)


@post("/password/reset/{token:str}", name="reset_password")
async def reset_password(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         token: FromPath[str], data: FormData) -> Response:
    try:
        await services.reset_password(db, tenant, token, data.get("password", ""),
                                      data.get("password_confirm", ""), actor)
    except TokenInvalid as exc:
        return page(request, "accounts/link_problem.html", status_code=exc.status,
                    message=exc.message,
                    resend=False)
    except FormErrors as exc:
        return page(request, "accounts/reset_password.html", status_code=400,
                    errors=exc.errors, token=token)
    return flash(request, Redirect(f"/{tenant.slug}/sign-in", status_code=303), "success",
                 _("Your password is changed. Sign in with the new one."))


async def _account_page(request: Request, tenant: TenantContext, db, actor,
                        errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return page(request, "accounts/account.html", status_code=status_code, errors=errors or {},
                second_factor=await second_factor.status(db, tenant, actor))


@get("/account", name="my_account", guards=[requires(ACCOUNT_OWN)])
async def my_account(request: Request, tenant: CurrentTenant, db: Db,
                     actor: CurrentActor) -> Response:
    return await _account_page(request, tenant, db, actor)


def _back_to_account(request: Request, tenant: TenantContext, refused: NotNow) -> Response:
    """An action the account's state no longer allows (a second tab, a double submit)."""
    return flash(request, Redirect(f"/{tenant.slug}/account#second-factor", status_code=303),
                 "info", refused.message)


@get("/account/second-factor", name="second_factor_setup", guards=[requires(ACCOUNT_OWN)])
async def second_factor_setup(request: Request, tenant: CurrentTenant, db: Db,
                              actor: CurrentActor) -> Response:
    try:
        return await _setup_page(request, tenant, db, actor)
    except NotNow as exc:
        return _back_to_account(request, tenant, exc)


async def _setup_page(request: Request, tenant: TenantContext, db, actor,
                      errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    user = await services.get_user(db, actor.user_id)
    assert user is not None  # the route requires a signed-in person
    secret = await second_factor.secret_to_set_up(db, user)
    return page(request, "accounts/second_factor_setup.html", status_code=status_code,
                errors=errors or {}, secret=secret,
                picture=second_factor.set_up_picture(secret, user))


@post("/account/second-factor", name="turn_on_second_factor", guards=[requires(ACCOUNT_OWN)])
async def turn_on_second_factor(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor, data: FormData) -> Response:
    try:
        codes = await second_factor.turn_on(db, tenant, actor, data.get("code", ""))
    except NotNow as exc:
        return _back_to_account(request, tenant, exc)
    except FormErrors as exc:
        await db.rollback()
        return await _setup_page(request, tenant, db, actor, exc.errors, status_code=400)
    return page(request, "accounts/recovery_codes.html", codes=codes,
                continue_to=f"/{tenant.slug}/account")


@post("/account/second-factor/recovery-codes", name="renew_recovery_codes",
      guards=[requires(ACCOUNT_OWN)])
async def renew_recovery_codes(request: Request, tenant: CurrentTenant, db: Db,
                               actor: CurrentActor, data: FormData) -> Response:
    try:
        codes = await second_factor.new_recovery_codes(db, tenant, actor, data.get("code", ""))
    except NotNow as exc:
        return _back_to_account(request, tenant, exc)
    except FormErrors as exc:
        await db.rollback()
        return await _account_page(request, tenant, db, actor, exc.errors, status_code=400)
    return page(request, "accounts/recovery_codes.html", codes=codes,
                continue_to=f"/{tenant.slug}/account")


@post("/account/second-factor/off", name="turn_off_second_factor",
      guards=[requires(ACCOUNT_OWN)])
async def turn_off_second_factor(request: Request, tenant: CurrentTenant, db: Db,
                                 actor: CurrentActor, data: FormData) -> Response:
    try:
        await second_factor.turn_off(db, tenant, actor, data.get("off_code", ""))
    except NotNow as exc:
        return _back_to_account(request, tenant, exc)
    except FormErrors as exc:
        await db.rollback()
        return await _account_page(request, tenant, db, actor,
                                   {"off_code": exc.errors["code"]}, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/account", status_code=303), "info",
                 _("Two-step sign-in is off."))


@post("/account/password", name="change_password", guards=[requires(ACCOUNT_OWN)])
async def change_password(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          data: FormData) -> Response:
    try:
        user = await services.change_password(db, tenant, actor, data.get("current_password", ""),
                                              data.get("password", ""),
                                              data.get("password_confirm", ""))
    except FormErrors as exc:
        return await _account_page(request, tenant, db, actor, exc.errors, status_code=400)
    # Every session was revoked; this browser gets a fresh one so the user stays signed in.
    token = await services.start_session(db, tenant, user, actor, request.app.state.settings,
                                         request.headers.get("user-agent", ""))
    response = flash(request, Redirect(f"/{tenant.slug}/account", status_code=303), "success",
                     _("Your password is changed. Other devices have been signed out."))
    _set_session_cookie(request, response, token)
    return response


ACCOUNT_ROUTES = [sign_up_form, sign_up, confirm_email_form, verify_email, resend_verification,
                  sign_in_form, sign_in, second_step_form, second_step, sign_out,
                  forgot_password_form, forgot_password, reset_password_form, reset_password,
                  my_account, change_password, second_factor_setup, turn_on_second_factor,
                  renew_recovery_codes, turn_off_second_factor]
