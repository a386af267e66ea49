"""The staff import pages: upload, preview with row-level errors, the run as a background
job (queued with the click, run by a worker started later) with its polled progress, valid rows only with the rejected rows, templates; another
mission's batch is not found; only staff import."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.imports.models import ImportBatch
from tenants.context import tenant_scope
from tests.conftest import csrf_token
from tests.html import select_text
from tests.import_helpers import DOCS, count_profiles, csv_bytes

pytestmark = pytest.mark.usefixtures("in_english")


async def _upload(client, data: bytes, name="roster.csv", kind="experts", status="submitted"):
    token = await csrf_token(client, "/sudan/imports")
    return await client.post("/sudan/imports", data={"_csrf_token": token, "kind": kind,
                                                     f"status_{kind}": status},
                             files={"file": (name, data, "text/csv")}, follow_redirects=False)


async def _checked(client, run_jobs, data: bytes, **options) -> str:
    """Upload a file and let a worker check it: the preview's address."""
    uploaded = await _upload(client, data, **options)
    assert uploaded.status_code == 303
    await run_jobs()
    return uploaded.headers["location"]


async def _queued_import(session_factory, tenant, path: str) -> dict:
    """The job the click queued for the batch (in the database, not in the web process)."""
    async with session_factory() as db:
        rows = (await db.execute(text(
            "SELECT status::text AS status, args FROM procrastinate_jobs "
            "WHERE task_name = 'imports.run' AND args ->> 'batch_id' = :batch"),
            {"batch": path.rsplit("/", 1)[1]})).all()
    assert len(rows) == 1
    job = dict(rows[0]._mapping)
    assert job["args"]["tenant_id"] == str(tenant.id)
    return job


async def _wait_until_finished(client, path: str, run_jobs) -> str:
    """A worker comes by in a burst (it stops once the queue is empty), so the import is
    over when it returns: the progress fragment no longer asks to be polled."""
    await run_jobs()
    fragment = await client.get(f"{path}/progress")
    assert fragment.status_code == 200
    assert "hx-trigger" not in fragment.text, "the import did not finish"
    return fragment.text


async def test_upload_preview_run_progress_done(client, missions, session_factory, officer,
                                                run_jobs):
    page = await client.get("/sudan/imports")
    assert page.status_code == 200 and "/sudan/imports/template/experts.xlsx" in page.text
    uploaded = await _upload(client, (DOCS / "experts-example.csv").read_bytes().replace(
        b"@example.org", b"@web.example.org").replace(b"SD-20", b"WEB-20"), status="verified")
    assert uploaded.status_code == 303
    path = uploaded.headers["location"]
    # The web request only kept the file: a worker reads and checks it.
    checking = await client.get(path)
    assert checking.status_code == 200 and "Reading and checking the file" in checking.text
    assert f'hx-get="{path}/progress?was=checking"' in checking.text
    assert "HX-Refresh" not in (await client.get(f"{path}/progress?was=checking")).headers
    await run_jobs()
    assert (await client.get(f"{path}/progress?was=checking")).headers["HX-Refresh"] == "true"
    preview = await client.get(path)
    assert preview.status_code == 200
    assert "UTF-8" in preview.text and "3 new, 0 updates" in preview.text
    assert "disabled" not in preview.text.split('action="' + path + '/run"')[1].split("</form>")[0]
    assert await count_profiles(session_factory, missions["sudan"],
                                full_name="Amira Hassan Osman", external_ref="WEB-2019-0042") == 0

    token = client.cookies["csrftoken"]
    started = await client.post(f"{path}/run", data={"_csrf_token": token},
                                follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == path
    running = await client.get(path)
    assert running.status_code == 200 and "hx-trigger" in running.text
    # No worker yet: the import waits in the queue, whatever happens to the web process.
    assert (await _queued_import(session_factory, missions["sudan"], path))["status"] == "todo"
    assert await count_profiles(session_factory, missions["sudan"],
                                external_ref="WEB-2019-0042") == 0
    final = await _wait_until_finished(client, path, run_jobs)
    assert "The import is finished: 3 new, 0 updated, 0 rejected." in final
    done = await client.get(path)
    assert "The import is finished" in done.text and 'hx-trigger' not in done.text
    profile_count = await count_profiles(session_factory, missions["sudan"],
                                         external_ref="WEB-2019-0042", status="verified")
    assert profile_count == 1
    # A second click on the button starts nothing more.
    again = await client.post(f"{path}/run", data={"_csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303
    assert "already run" in (await client.get(path)).text
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            actions = set(await db.scalars(select(AuditEvent.action).where(
                AuditEvent.object_type == "import_batch")))
    assert {"import.checked", "import.started", "import.experts"} <= actions


async def test_errors_in_the_preview_then_valid_rows_only(client, missions, session_factory,
                                                          officer, run_jobs):
    data = csv_bytes("external_ref,full_name,email,languages",
                     "WV-1,Web Valid,web.valid@example.org,en:B2",
                     "WV-2,Web Invalid,web.invalid@example.org,en:Q9",
                     "WV-3,Web Valid Too,web.valid.too@example.org,")
    path = await _checked(client, run_jobs, data)
    preview = await client.get(path)
    assert "<td>3</td><td>languages</td><td>Unknown level “Q9” for en" in preview.text
    form = preview.text.split('action="' + path + '/run"')[1].split("</form>")[0]
    assert "disabled" in form and "Import the 2 valid rows only" in form
    token = client.cookies["csrftoken"]
    refused = await client.post(f"{path}/run", data={"_csrf_token": token},
                                follow_redirects=False)
    assert refused.status_code == 303
    assert "Some rows have errors" in (await client.get(path)).text
    rejected = await client.get(f"{path}/rejected.csv")
    assert rejected.headers["content-type"] == "text/csv; charset=utf-8"  # one charset
    rows = list(csv.DictReader(io.StringIO(rejected.content.decode("utf-8-sig"))))
    assert [(r["row"], r["external_ref"]) for r in rows] == [("3", "WV-2")]

    started = await client.post(f"{path}/run", data={"_csrf_token": token, "valid_only": "1"},
                                follow_redirects=False)
    assert started.status_code == 303
    final = await _wait_until_finished(client, path, run_jobs)
    assert "2 new, 0 updated, 1 rejected" in final and "rejected.csv" in final
    assert await count_profiles(session_factory, missions["sudan"], full_name="Web Valid") == 1
    assert await count_profiles(session_factory, missions["sudan"], full_name="Web Invalid") == 0
    with tenant_scope(missions["sudan"]):
        async with session_factory() as db:
            batch = await db.scalar(select(ImportBatch).where(
                ImportBatch.id == path.rsplit("/", 1)[1]))
    assert (batch.status, batch.valid_only, batch.processed) == ("done", True, 2)


async def test_an_import_left_running_by_a_dead_worker_runs_again(client, missions,
                                                                  session_factory, database,
                                                                  officer, run_jobs):
    """A worker killed in the middle of an import leaves its job `doing`: the sweep's check
    for stalled jobs queues it again, and the next worker imports the file (all or
    nothing, so running it again is safe)."""
    from app.jobs.queue import jobs_app
    from app.tasks import retry_stalled_jobs
    from app.worker import connector

    path = await _checked(client, run_jobs, csv_bytes("external_ref,full_name,email",
                                                      "DW-1,Dead Worker,dead.worker@example.org"))
    token = client.cookies["csrftoken"]
    await client.post(f"{path}/run", data={"_csrf_token": token}, follow_redirects=False)
    async with session_factory() as db:  # taken by a worker that then died (no heartbeat)
        await db.execute(text(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL "
            "WHERE task_name = 'imports.run' AND args ->> 'batch_id' = :batch"),
            {"batch": path.rsplit("/", 1)[1]})
        await db.commit()
    await run_jobs()
    assert (await _queued_import(session_factory, missions["sudan"], path))["status"] == "doing"
    with jobs_app.replace_connector(connector(database.urls.app)) as app:
        async with app.open_async():
            assert await retry_stalled_jobs(app) == 1
    final = await _wait_until_finished(client, path, run_jobs)
    assert "The import is finished: 1 new, 0 updated, 0 rejected." in final
    assert await count_profiles(session_factory, missions["sudan"], full_name="Dead Worker") == 1


async def test_what_is_no_spreadsheet_stays_on_the_upload_form(client, officer):
    """Told from the first bytes, in the web request: nothing is kept or queued."""
    picture = await _upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", "a.csv")
    assert picture.status_code == 400 and "it looks like a PNG file" in picture.text
    no_file = await _upload(client, b"", kind="nonsense")
    assert no_file.status_code == 400


async def test_a_file_without_the_required_columns_is_told_after_its_check(
        client, missions, session_factory, officer, run_jobs):
    path = await _checked(client, run_jobs, csv_bytes("external_ref,name", "A,B"))
    preview = await client.get(path)
    assert select_text(preview.text, "#import-status .flash-error") == (
        "This file cannot be imported: Missing required columns: full_name, email.")
    assert f'action="{path}/run"' not in preview.text  # nothing to import
    listing = await client.get("/sudan/imports")
    assert "Cannot be read" in listing.text
    token = client.cookies["csrftoken"]
    refused = await client.post(f"{path}/run", data={"_csrf_token": token},
                                follow_redirects=False)
    assert refused.status_code == 303
    assert "This file cannot be imported: upload a corrected one." in (
        await client.get(path)).text


async def test_templates_name_the_columns(client, officer):
    template = await client.get("/sudan/imports/template/experts.csv")
    header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert header[:3] == ["external_ref", "full_name", "email"] and "status" not in header
    workbook = openpyxl.load_workbook(io.BytesIO(
        (await client.get("/sudan/imports/template/requests.xlsx")).content))
    assert [c.value for c in workbook["requests"][1]][:3] == ["external_ref", "institution",
                                                              "title"]
    assert workbook["guide"]["A2"].value == "external_ref"


async def test_another_missions_batch_is_not_found_and_only_staff_import(client, missions,
                                                                         officer, signed_in_as):
    uploaded = await _upload(client, csv_bytes("external_ref,full_name,email",
                                               "X-1,Cross Mission,cross@example.org"))
    path = uploaded.headers["location"]
    other = path.replace("/sudan/", "/mozambique/")
    await signed_in_as("mission_admin", missions["mozambique"])
    assert (await client.get(other)).status_code == 404
    assert (await client.get(f"{other}/progress")).status_code == 404
    assert (await client.get(f"{other}/rejected.csv")).status_code == 404
    await signed_in_as("expert")
    assert (await client.get("/sudan/imports")).status_code == 403
    assert (await client.get(path)).status_code == 403
