"""Issue 20, small things: the development mailbox (/dev/mail) says when mail is queued but
not yet written, so whoever waits for a link knows to reload; date inputs carry no
misleading format hint."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import update

from app.notifications.delivery import count_unwritten
from app.notifications.models import OutboxMail
from tenants.context import tenant_scope
from tests.conftest import speak
from tests.html import parse


@pytest.fixture
def debug_mailbox(app, tmp_path):
    before = app.state.settings
    app.state.settings = replace(before, debug=True, smtp_url="", var_dir=tmp_path)
    yield
    app.state.settings = before


def _unwritten(body: str) -> str | None:
    node = parse(body).css_first("#unwritten")
    return " ".join(node.text().split()) if node is not None else None


async def test_dev_mail_says_how_many_mails_wait_to_be_written(client, missions,
                                                               session_factory, debug_mailbox):
    sudan = missions["sudan"]
    speak(client, "en")
    try:
        waiting = await count_unwritten(session_factory)
        with tenant_scope(sudan):
            async with session_factory() as db:
                mail = OutboxMail(tenant_id=sudan.id, to_address="a@example.org", subject="Hi",
                                  body="Hello", kind="test")
                db.add(mail)
                await db.commit()
        r = await client.get("/dev/mail")
        assert r.status_code == 200
        count = waiting + 1
        assert _unwritten(r.text) == (f"{count} mail is queued and not yet written" if count == 1
                                      else f"{count} mails are queued and not yet written") \
            + (": the worker writes it within seconds. Reload this page." if count == 1
               else ": the worker writes them within seconds. Reload this page.")
        with tenant_scope(sudan):
            async with session_factory() as db:
                await db.execute(update(OutboxMail).where(OutboxMail.status == "pending")
                                 .values(status="sent"))
                await db.commit()
        assert _unwritten((await client.get("/dev/mail")).text) is None
    finally:
        speak(client, None)



async def test_date_inputs_carry_no_format_hint(client, mission_admin):
    """A date input shows the browser's own date picker in the reader's format: a
    "(YYYY-MM-DD)" hint next to it misleads."""
    speak(client, "en")
    try:
        r = await client.get("/sudan/admin/audit")
    finally:
        speak(client, None)
    assert r.status_code == 200
    labels = {node.attributes.get("for"): " ".join(node.text().split())
              for node in parse(r.text).css("label")}
    assert labels["f-since"] == "Start date" and labels["f-until"] == "End date"
    assert "YYYY" not in r.text
