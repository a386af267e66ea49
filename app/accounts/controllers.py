"""Sign-up, sign-in, sign-out, email verification, password reset and change, my account.
All under /<mission>/; every form works without JavaScript."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.accounts import services
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
    token = await services.start_session(db, tenant, user, actor, request.app.state.settings,
                                         request.headers.get("user-agent", ""),
                                         previous_token=request.cookies.get(SESSION_COOKIE))
    response = Redirect(safe_next(data.get("next")) if data.get("next") else f"/{tenant.slug}/",
                        status_code=303)
    _set_session_cookie(request, response, token)
    return response


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


@get("/account", name="my_account", guards=[requires(ACCOUNT_OWN)])
async def my_account(request: Request, tenant: CurrentTenant, actor: CurrentActor) -> Response:
    return page(request, "accounts/account.html", errors={})


@post("/account/password", name="change_password", guards=[requires(ACCOUNT_OWN)])
async def change_password(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          data: FormData) -> Response:
    try:
        user = await services.change_password(db, tenant, actor, data.get("current_password", ""),
                                              data.get("password", ""),
                                              data.get("password_confirm", ""))
    except FormErrors as exc:
        return page(request, "accounts/account.html", status_code=400, errors=exc.errors)
    # Every session was revoked; this browser gets a fresh one so the user stays signed in.
    token = await services.start_session(db, tenant, user, actor, request.app.state.settings,
                                         request.headers.get("user-agent", ""))
    response = flash(request, Redirect(f"/{tenant.slug}/account", status_code=303), "success",
                     _("Your password is changed. Other devices have been signed out."))
    _set_session_cookie(request, response, token)
    return response


ACCOUNT_ROUTES = [sign_up_form, sign_up, confirm_email_form, verify_email, resend_verification, sign_in_form, sign_in,
                  sign_out, forgot_password_form, forgot_password, reset_password_form,
                  reset_password, my_account, change_password]
