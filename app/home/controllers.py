from __future__ import annotations

import os
from email import policy
from email.parser import BytesParser
from typing import Annotated

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Body
from litestar.response import Redirect, Response

from app.home.services import database_health, funded_projects, work_waiting
from app.i18n import LANGUAGE_COOKIE, SUPPORTED_LOCALES
from app.i18n import gettext as _
from app.notifications.delivery import count_unwritten
from app.partners.services import list_partner_agencies
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.links import safe_next
from app.web.templating import page
from tenants.directory import mission_sectors


@get("/", name="landing")
async def landing(request: Request) -> Response:
    return page(request, "index.html")


@get("/", name="mission_home")
async def mission_home(request: Request, tenant: CurrentTenant, db: Db,
                       actor: CurrentActor) -> Response:
    return page(request, "tenants/home.html", work=await work_waiting(db, tenant, actor),
                projects=await funded_projects(db, tenant, actor),
                sectors=await mission_sectors(db, tenant, active_only=True),
                partner_agencies=await list_partner_agencies(db, tenant))


@post("/lang", name="choose_language")
async def choose_language(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response:
    lang = data.get("lang", "")
    if lang not in SUPPORTED_LOCALES:
        raise ValidationException(_("Unknown language. Choose one of the languages listed."))
    response = Redirect(safe_next(data.get("next")), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, path="/",
                        httponly=True, samesite="lax", secure=request.app.state.secure_cookies)
    return response


@get("/healthz", name="healthz", cache=False)
async def healthz(state: State) -> Response:
    """Is the database reachable, and is its schema at the migration head this code expects?
    `process` is the web process's id: with `portal run --workers N` it tells them apart."""
    head = state.migration_head
    health = await database_health(state.session_factory)
    if not health.reachable:
        return Response({"status": "unavailable", "database": f"error: {health.error}",
                         "migrations": {"head": head, "current": None, "at_head": False}},
                        status_code=503)
    ok = health.at(head)
    return Response({"status": "ok" if ok else "degraded", "database": "ok",
                     "migrations": {"head": head, "current": health.current, "at_head": ok},
                     "process": os.getpid()},
                    status_code=200 if ok else 503)


# Development only (PORTAL_DEBUG): the mail written to var/mail/, since nothing is sent.
@get("/dev/mail", name="dev_mail")
async def dev_mail(request: Request) -> Response:
    settings = request.app.state.settings
    if not settings.debug or settings.smtp_url:
        raise NotFoundException()
    files = sorted(settings.mail_dir.glob("*.eml"), reverse=True)[:50]
    messages = []
    for path in files:
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = msg.get_body(("plain",))  # every mail the portal writes has a plain part
        messages.append({"file": path.name, "to": msg["To"], "subject": msg["Subject"],
                         "date": msg["Date"], "body": body.get_content() if body else ""})
    unwritten = await count_unwritten(request.app.state.session_factory)
    return page(request, "notifications/dev_mail.html", messages=messages, unwritten=unwritten)
