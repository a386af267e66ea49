from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Response

from app.audit.services import AuditFilter, distinct_actions, list_events
from app.core.roles import AUDIT_VIEW
from app.i18n import gettext as _
from app.web.deps import CurrentTenant, Db
from app.web.guards import requires
from app.web.templating import page


def _day(value: str, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD filter as a UTC instant; the 'until' day is included whole."""
    day = date.fromisoformat(value)
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


@get("/admin/audit", name="audit_trail", guards=[requires(AUDIT_VIEW)])
async def audit_trail(request: Request, tenant: CurrentTenant, db: Db, action: FromQuery[str] = "",
                      who: FromQuery[str] = "", since: FromQuery[str] = "", until: FromQuery[str] = "",
                      page_number: FromQuery[int] = 1) -> Response:
    errors, flt = {}, AuditFilter(action=action.strip()[:64], actor=who.strip()[:320])
    for name, value, end in (("since", since, False), ("until", until, True)):
        if value:
            try:
                setattr(flt, name, _day(value, end))
            except ValueError:
                errors[name] = _("Use a date like 2026-03-31.")
    page_number = max(1, min(page_number, 10_000))
    events, has_next = ([], False) if errors else await list_events(db, tenant, flt, page_number)
    return page(request, "admin/audit.html", status_code=400 if errors else 200,
                events=events, has_next=has_next, page_number=page_number,
                actions=await distinct_actions(db, tenant), errors=errors,
                form={"action": action, "who": who, "since": since, "until": until})
