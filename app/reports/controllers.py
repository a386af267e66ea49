"""The reports' pages and their exports. Each report is one page with its filters in the
URL (so a view can be shared), a chart and the figures of every table, and the same tables
as CSV (one table) or XLSX (one table, or every table of the report on its own sheet)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from litestar import Request, get
from litestar.response import Response

from app.core.clock import now
from app.core.roles import REPORTS_PARTNER, REPORTS_PROJECT, REPORTS_VIEW
from app.i18n import gettext as _
from app.i18n import text_direction
from app.reports import services
from app.reports.exports import csv_download, present, xlsx_download
from app.reports.services import ReportFilter, Section
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.forms import FieldErrors
from app.web.guards import requires
from app.web.templating import page


@dataclass(frozen=True)
class Report:
    key: str            # its path under /reports ("" for the mission dashboard)
    permission: str
    # Which filters the report offers: period always, then these.
    filters: tuple[str, ...]
    # (sections, what else the page shows: the agency, the project)
    load: Callable[..., Awaitable[tuple[list[Section], dict]]]


async def _mission(db, tenant, actor, flt, locale) -> tuple[list[Section], dict]:
    return await services.mission_dashboard(db, tenant, actor, flt, locale), {}


async def _supply(db, tenant, actor, flt, locale) -> tuple[list[Section], dict]:
    return await services.supply_page(db, tenant, actor, flt, locale, now().date()), {}


async def _partner(db, tenant, actor, flt, locale) -> tuple[list[Section], dict]:
    agency, sections = await services.partner_dashboard(db, tenant, actor, flt)
    return sections, {"agency": agency}


async def _project(db, tenant, actor, flt, locale) -> tuple[list[Section], dict]:
    project, sections = await services.project_report(db, tenant, actor, flt, locale)
    return sections, {"project": project}


REPORTS = {
    "": Report("", REPORTS_VIEW, ("sector", "area", "agency", "project"), _mission),
    "supply": Report("supply", REPORTS_VIEW, ("sector",), _supply),
    # Staff, and donor viewers for their own projects (app/reports/services.py: scope_for).
    "project": Report("project", REPORTS_PROJECT, ("project",), _project),
    "partner": Report("partner", REPORTS_PARTNER, ("area", "project"), _partner),
}


def _title(report: Report) -> str:
    return {"": _("Mission dashboard"), "supply": _("Supply against demand"),
            "project": _("Project report"), "partner": _("Our figures")}[report.key]


def read_period(params, errors: FieldErrors | None = None) -> ReportFilter:
    """The period every report filters on, from the URL, with its errors."""
    errors = FieldErrors() if errors is None else errors
    flt = ReportFilter(errors=errors)
    flt.period_from = errors.day("from", params.get("from", ""), required=False)
    flt.period_to = errors.day("to", params.get("to", ""), required=False)
    if flt.period_from and flt.period_to and flt.period_to < flt.period_from:
        errors["to"] = _("The end comes before the start.")
    return flt


async def _filter(db, tenant, actor, report: Report, params,
                  locale: str) -> tuple[ReportFilter, dict]:
    """The filters from the URL, each checked against its options; the options for the form."""
    options = await services.filter_options(db, tenant, locale, report.filters, actor)
    errors = FieldErrors()
    flt = read_period(params, errors)
    if "sector" in report.filters:
        flt.sector = errors.choice("sector", params.get("sector", ""),
                                   [code for code, _n in options["sectors"]]) or ""
    if "area" in report.filters:
        flt.thematic_area = errors.choice("area", params.get("area", ""),
                                          [code for code, _n in options["areas"]]) or ""
    if "agency" in report.filters:
        flt.agency_id = errors.option_id("agency", params.get("agency", ""))
        if flt.agency_id and str(flt.agency_id) not in dict(options["agencies"]):
            errors["agency"] = _("Choose one of the options listed.")
    if "project" in report.filters:
        flt.project_id = errors.option_id("project", params.get("project", ""))
        services.check_project(flt, options, actor)
    return flt, options


def _path(report: Report) -> str:
    return "/reports" + (f"/{report.key}" if report.key else "")


def _report_page(request: Request, tenant, report: Report, flt: ReportFilter, options: dict,
                 sections: list[Section], shown: dict | None = None) -> Response:
    rtl = text_direction(request.state.locale) == "rtl"
    return page(request, "reports/report.html", status_code=400 if flt.errors else 200,
                title=_title(report), report=report, base=f"/{tenant.slug}{_path(report)}",
                flt=flt, errors=flt.errors, options=options,
                **{"project": None, "agency": None, **(shown or {})},
                sections=[(s, [present(t, f"{s.key}.{t.key}", rtl) for t in s.tables])
                          for s in sections])


def _page_for(report: Report):
    @get(_path(report), name=f"report_{report.key or 'mission'}",
         guards=[requires(report.permission)])
    async def handler(request: Request, tenant: CurrentTenant, db: Db,
                      actor: CurrentActor) -> Response:
        locale = request.state.locale
        flt, options = await _filter(db, tenant, actor, report, request.query_params, locale)
        sections, shown = ([], {}) if flt.errors else \
            await report.load(db, tenant, actor, flt, locale)
        return _report_page(request, tenant, report, flt, options, sections, shown)
    return handler


def _export_for(report: Report, extension: str):
    @get(f"{_path(report)}/export.{extension}",
         name=f"report_{report.key or 'mission'}_{extension}",
         guards=[requires(report.permission)])
    async def handler(request: Request, tenant: CurrentTenant, db: Db,
                      actor: CurrentActor) -> Response:
        """One table (?table=section.table), or without it every table of the report."""
        locale = request.state.locale
        flt, options = await _filter(db, tenant, actor, report, request.query_params, locale)
        if flt.errors:
            return _report_page(request, tenant, report, flt, options, [])
        wanted = request.query_params.get("table", "")
        sections, shown = await report.load(db, tenant, actor, flt, locale)
        tables = services.all_tables(sections)
        if wanted:
            tables = [(key, table) for key, table in tables if key == wanted]
            if not tables:
                flt.errors["table"] = _("Choose a table of the report to download.")
                return _report_page(request, tenant, report, flt, options, sections, shown)
        name = f"{tenant.slug}-report-{report.key or 'mission'}"
        if extension == "csv":
            return csv_download(name, tables, one=bool(wanted))
        return xlsx_download(name, tables)
    return handler


REPORT_ROUTES = [route for report in REPORTS.values() for route in (
    _page_for(report), _export_for(report, "csv"), _export_for(report, "xlsx"))]
