"""Assignment requests through the pages: the multi-step form, its validation (nothing of
a refused step is saved), the life cycle with its mails and timeline, who sees what, the
staff queue and its CSV export, and the terms-of-reference attachment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.assignment_requests.models import (
    AssignmentRequest,
    RequestDocument,
    RequestLanguage,
    RequestSkill,
)
from app.experts.models import Skill
from tenants.context import tenant_scope
from tests.accounts_helpers import as_user, link_in, mails_to, make_user
from tests.conftest import csrf_token
from tests.documents_helpers import minimal_docx, minimal_pdf
from tests.html import field_error, select_text
from tests.request_helpers import make_institution, make_request

pytestmark = pytest.mark.usefixtures("in_english")

TODAY = date.today()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


TERMS = {"title": "Train 20 engineers in leak detection",
         "background": "Half of the water produced in Port Sudan is lost.",
         "objectives": "Reduce non-revenue water.", "tasks": "Two-week course; field visits.",
         "deliverables": "Course material; report.", "expected_outputs": "20 engineers trained"}
LOGISTICS = {"modality": "on_site", "city": "Port Sudan", "duration_weeks": "6",
             "earliest_start": day(30), "latest_start": day(60), "finish_by": "",
             "experts_wanted": "2", "priority": "high"}


@pytest.fixture(scope="module")
async def people(session_factory, missions):
    """Two institutions of Sudan, a focal point of each, a staff member, and an institution
    of Mozambique."""
    sudan = missions["sudan"]
    async with session_factory() as db:
        water = await make_institution(db, sudan, name="Ministry of Irrigation")
        health = await make_institution(db, sudan, name="Federal Ministry of Health")
        suspended = await make_institution(db, sudan, status="suspended")
    return {
        "water": water, "health": health, "suspended": suspended,
        "water_focal": await make_user(session_factory, sudan, "institution_focal_point",
                                       host_institution_id=water.id),
        "health_focal": await make_user(session_factory, sudan, "institution_focal_point",
                                        host_institution_id=health.id),
        "staff": await make_user(session_factory, sudan, "staff"),
    }


async def post(client, url: str, data: dict | list, page: str | None = None, files=None):
    """Post a form; `data` as a list of pairs may repeat a field."""
    token = await csrf_token(client, page or url)
    fields: dict[str, list[str]] = {"_csrf_token": [token]}
    for key, value in (data.items() if isinstance(data, dict) else data):
        fields.setdefault(key, []).append(value)
    return await client.post(url, data=fields, files=files, follow_redirects=False)


async def a_skill_name(session_factory, tenant) -> str:
    with tenant_scope(tenant):
        async with session_factory() as db:
            skill = await db.scalar(select(Skill).where(Skill.tenant_id == tenant.id,
                                                        Skill.source != "free")
                                    .order_by(Skill.code).limit(1))
            return skill.names["en"]


async def stored(session_factory, tenant, request_id) -> AssignmentRequest:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.get(AssignmentRequest, request_id)


async def count(session_factory, tenant, model, request_id) -> int:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await db.scalar(select(func.count()).select_from(model).where(
                model.request_id == request_id))


async def test_a_focal_point_writes_and_submits_a_request_that_staff_open(
        client, missions, session_factory, people):
    sudan = missions["sudan"]
    await as_user(client, sudan, people["water_focal"])
    dashboard = await client.get("/sudan/institution")
    assert "Ministry of Irrigation" in dashboard.text

    created = await post(client, "/sudan/requests/new", {**TERMS, "save_next": "1"})
    assert created.status_code == 303
    request_id = created.headers["location"].split("/")[3]
    assert created.headers["location"] == f"/sudan/requests/{request_id}/edit/profile"
    skill = await a_skill_name(session_factory, sudan)
    saved = await post(client, f"/sudan/requests/{request_id}/edit/profile", [
        ("sector", "water_management"), ("required_skills", skill.upper()),
        ("desired_skills", ""), ("min_years_experience", "5"), ("education_level", "6"),
        ("lang-0-language", "en"), ("lang-0-min_level", "B2"),
        ("lang-1-language", "ar"), ("lang-1-min_level", "C1"), ("save_next", "1")])
    assert saved.headers["location"] == f"/sudan/requests/{request_id}/edit/logistics"
    saved = await post(client, f"/sudan/requests/{request_id}/edit/logistics",
                       {**LOGISTICS, "save_next": "1"})
    assert saved.headers["location"] == f"/sudan/requests/{request_id}/document"
    terms = minimal_docx("Terms")  # once: the zip entries carry the time they were packed
    uploaded = await post(client, f"/sudan/requests/{request_id}/document", {},
                          files={"document": ("ToR.docx", terms)})
    assert uploaded.status_code == 303
    assert (await client.get(f"/sudan/requests/{request_id}/document/file")).content == terms

    submitted = await post(client, f"/sudan/requests/{request_id}/action",
                           {"action": "submit"}, page=f"/sudan/requests/{request_id}")
    assert submitted.status_code == 303
    request = await stored(session_factory, sudan, request_id)
    assert (request.status, request.experts_wanted, request.priority) == ("submitted", 2, "high")
    assert await count(session_factory, sudan, RequestLanguage, request.id) == 2
    assert await count(session_factory, sudan, RequestSkill, request.id) == 1
    # Staff are told; the focal point cannot open it, nor edit it any more.
    [mail] = await mails_to(session_factory, sudan, people["staff"].email)
    assert f"#{request.number}" in mail.subject and link_in(mail) == f"/sudan/requests/{request_id}"
    assert (await post(client, f"/sudan/requests/{request_id}/action", {"action": "open"},
                       page=f"/sudan/requests/{request_id}")).status_code == 400
    refused = await post(client, f"/sudan/requests/{request_id}/edit/terms",
                         {**TERMS, "title": "Changed"})
    assert refused.status_code == 400 and "cannot be changed" in refused.text
    assert (await stored(session_factory, sudan, request_id)).title == TERMS["title"]

    await as_user(client, sudan, people["staff"])
    queue = await client.get("/sudan/requests")
    assert TERMS["title"] in queue.text
    opened = await post(client, f"/sudan/requests/{request_id}/action", {"action": "open"},
                        page=f"/sudan/requests/{request_id}")
    assert opened.status_code == 303
    request = await stored(session_factory, sudan, request_id)
    assert request.status == "open" and request.opened_at is not None
    focal_mails = await mails_to(session_factory, sudan, people["water_focal"].email)
    assert "Open for matching" in focal_mails[-1].body
    page = await client.get(f"/sudan/requests/{request_id}")
    for moment in ("Draft created", "Terms of reference attached", "Submit to the mission",
                   "Approve and open for matching"):
        assert moment in page.text


async def test_another_institutions_focal_point_sees_nothing(client, missions, session_factory,
                                                            people):
    """Same mission, other institution: every request page is a 404, the queue a 403."""
    sudan = missions["sudan"]
    async with session_factory() as db:
        request = await make_request(db, sudan, people["water"].id, status="open")
    await as_user(client, sudan, people["health_focal"])
    for path in ("", "/edit/terms", "/document", "/document/file"):
        assert (await client.get(f"/sudan/requests/{request.id}{path}")).status_code == 404
    for path, data in (("/action", {"action": "cancel", "reason": "x"}),
                       ("/edit/terms", TERMS)):
        response = await post(client, f"/sudan/requests/{request.id}{path}", data, page="/sudan/")
        assert response.status_code == 404
    assert (await client.get("/sudan/requests")).status_code == 403
    dashboard = await client.get("/sudan/institution")
    assert request.title not in dashboard.text
    assert (await stored(session_factory, sudan, request.id)).status == "open"


async def test_staff_write_a_request_on_an_institutions_behalf(client, missions, session_factory,
                                                              people):
    sudan = missions["sudan"]
    await as_user(client, sudan, people["staff"])
    missing = await post(client, "/sudan/requests/new", TERMS)
    assert missing.status_code == 400
    assert field_error(missing.text, "institution_id").startswith("Choose the institution")
    suspended = await post(client, "/sudan/requests/new",
                           {**TERMS, "institution_id": str(people["suspended"].id)})
    assert suspended.status_code == 400
    assert "approved" in field_error(suspended.text, "institution_id")
    created = await post(client, "/sudan/requests/new",
                         {**TERMS, "institution_id": str(people["health"].id)})
    assert created.status_code == 303
    request_id = created.headers["location"].split("/")[3]
    assert (await stored(session_factory, sudan, request_id)).institution_id == people["health"].id
    # Incomplete: submitting lists what is missing.
    refused = await post(client, f"/sudan/requests/{request_id}/action", {"action": "submit"},
                         page=f"/sudan/requests/{request_id}")
    assert refused.status_code == 400
    assert "Dates and logistics" in select_text(refused.text, ".flash-warning")


def _logistics(**changes) -> dict:
    return {**LOGISTICS, **changes}


LOGISTICS_ERRORS = [
    (_logistics(earliest_start=day(-3)), "earliest_start", "already passed"),
    (_logistics(earliest_start=day(60), latest_start=day(30)), "latest_start",
     "latest start comes before"),
    (_logistics(finish_by=day(45)), "duration_weeks", "do not fit"),
    (_logistics(duration_weeks="2", finish_by=day(70)), "latest_start", "would end after"),
    (_logistics(finish_by=day(10)), "finish_by", "must come after"),
    (_logistics(experts_wanted="0"), "experts_wanted", "from 1 to 50"),
    (_logistics(duration_weeks="abc"), "duration_weeks", "whole number"),
    (_logistics(earliest_start="31/12/2026"), "earliest_start", "date like"),
    (_logistics(modality="teleport"), "modality", "options listed"),
    (_logistics(city=""), "city", "required"),
    (_logistics(priority="critical"), "priority", "options listed"),
]


@pytest.mark.parametrize("form, field, message", LOGISTICS_ERRORS)
async def test_bad_dates_and_numbers_are_refused_next_to_the_field(
        client, missions, session_factory, people, form, field, message):
    sudan = missions["sudan"]
    async with session_factory() as db:
        request = await make_request(db, sudan, people["water"].id, complete=False)
    await as_user(client, sudan, people["water_focal"])
    response = await post(client, f"/sudan/requests/{request.id}/edit/logistics", form)
    assert response.status_code == 400
    assert f'id="e-{field}"' in response.text and message in response.text
    after = await stored(session_factory, sudan, request.id)
    assert (after.modality, after.duration_weeks, after.earliest_start) == (None, None, None)


async def test_profile_step_refuses_unknown_skills_and_languages_whole(
        client, missions, session_factory, people):
    sudan = missions["sudan"]
    async with session_factory() as db:
        request = await make_request(db, sudan, people["water"].id)  # one skill, one language
    skill = await a_skill_name(session_factory, sudan)
    await as_user(client, sudan, people["water_focal"])
    url = f"/sudan/requests/{request.id}/edit/profile"
    base = [("sector", "water_management"), ("required_skills", skill),
            ("lang-0-language", "en"), ("lang-0-min_level", "B2")]
    cases = [
        ([*base[:1], ("required_skills", f"{skill}\nUnderwater basket weaving"), *base[2:]],
         "required_skills", "Not in the mission"),
        ([*base[:1], ("required_skills", ""), *base[2:]], "required_skills", "at least one"),
        ([*base[:2], ("lang-0-language", "xx"), ("lang-0-min_level", "B2")],
         "lang-0-language", "options listed"),
        ([*base[:2], ("lang-0-language", "en"), ("lang-0-min_level", "Z9")],
         "lang-0-min_level", "options listed"),
        ([*base, ("lang-1-language", "en"), ("lang-1-min_level", "C1")],
         "lang-1-language", "already listed"),
        ([("sector", "space_travel"), *base[1:]], "sector", "options listed"),
    ]
    for data, field, message in cases:
        response = await post(client, url, data)
        assert response.status_code == 400, field
        assert f'id="e-{field}"' in response.text and message in response.text, field
        assert await count(session_factory, sudan, RequestSkill, request.id) == 1
        assert await count(session_factory, sudan, RequestLanguage, request.id) == 1
    # Ticking "add skills that are not listed" makes the new one a free tag for staff.
    saved = await post(client, url, [*base[:1], ("required_skills",
                                                  f"{skill}; Underwater basket weaving"),
                                     ("add_new_skills", "1"), *base[2:]])
    assert saved.status_code == 303
    with tenant_scope(sudan):
        async with session_factory() as db:
            free = await db.scalar(select(Skill).where(Skill.code == "free:underwater-basket-weaving"))
    assert free is not None and free.source == "free"
    assert await count(session_factory, sudan, RequestSkill, request.id) == 2


@pytest.mark.parametrize("filename, content, message", [
    ("tor.pdf", b"%PDF-1.4 not really", "PDF or Word"),
    ("tor.pdf", b"", "empty"),
    ("tor.exe", b"MZ\x90\x00", "PDF or Word"),
    ("tor.pdf", minimal_pdf() + b" " * (6 * 1024 * 1024), "larger than"),
])
async def test_fake_or_oversized_attachments_are_refused(client, missions, session_factory,
                                                         people, filename, content, message):
    sudan = missions["sudan"]
    async with session_factory() as db:
        request = await make_request(db, sudan, people["water"].id)
    await as_user(client, sudan, people["water_focal"])
    response = await post(client, f"/sudan/requests/{request.id}/document", {},
                          page=f"/sudan/requests/{request.id}/document",
                          files={"document": (filename, content)})
    assert response.status_code in (400, 413) and message in response.text
    assert await count(session_factory, sudan, RequestDocument, request.id) == 0


async def test_reasons_are_required_and_shown_to_the_institution(client, missions,
                                                                 session_factory, people):
    sudan = missions["sudan"]
    async with session_factory() as db:
        request = await make_request(db, sudan, people["water"].id, status="submitted")
    await as_user(client, sudan, people["staff"])
    url, page = f"/sudan/requests/{request.id}/action", f"/sudan/requests/{request.id}"
    refused = await post(client, url, {"action": "request_changes", "reason": " "}, page=page)
    assert refused.status_code == 400
    assert field_error(refused.text, "reason").startswith("Say why")
    sent_back = await post(client, url, {"action": "request_changes",
                                         "reason": "Please add the number of trainees."}, page=page)
    assert sent_back.status_code == 303
    assert (await stored(session_factory, sudan, request.id)).status == "draft"
    mail = (await mails_to(session_factory, sudan, people["water_focal"].email))[-1]
    assert "Please add the number of trainees." in mail.body
    await as_user(client, sudan, people["water_focal"])
    shown = await client.get(page)
    assert "Please add the number of trainees." in shown.text and "Edit the request" in shown.text


async def test_queue_filters_and_csv_export(client, missions, session_factory, people):
    sudan = missions["sudan"]
    async with session_factory() as db:
        health_open = await make_request(db, sudan, people["health"].id, status="open")
        water_closed = await make_request(db, sudan, people["water"].id, status="closed")
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.get(AssignmentRequest, health_open.id)
            row.title = "=HYPERLINK(\"http://evil\")"
            await db.commit()
    await as_user(client, sudan, people["staff"])
    default = await client.get("/sudan/requests")
    assert f"/requests/{health_open.id}" in default.text
    assert f"/requests/{water_closed.id}" not in default.text  # closed: not waiting for anyone
    closed = await client.get("/sudan/requests?status=closed")
    assert f"/requests/{water_closed.id}" in closed.text
    assert f"/requests/{health_open.id}" not in closed.text
    by_institution = await client.get(f"/sudan/requests?status=all&institution={people['water'].id}")
    assert f"/requests/{health_open.id}" not in by_institution.text
    bad = await client.get("/sudan/requests?start_from=2026-13-01")
    assert bad.status_code == 400 and "date like" in bad.text
    export = await client.get(f"/sudan/requests/export.csv?institution={people['health'].id}")
    assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
    assert "'=HYPERLINK" in export.text and "Ministry of Irrigation" not in export.text
