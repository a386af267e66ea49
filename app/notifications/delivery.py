"""Draining the outbox: SMTP when SMTP_URL is set, otherwise .eml files under var/mail/.
Each mission's outbox is drained in that mission's scope (row-level security applies), by
the `mail.send` job (app.tasks). A mail that cannot be sent is retried with its own
backoff (attempts, next_attempt_at), so one bad address never holds up the others."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.notifications.models import OutboxMail
from app.notifications.services import mail_text
from tenants.context import TenantContext, tenant_scope
from tenants.provisioning import all_tenants

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class FileTransport:
    """Development: every message becomes an .eml file that any mail client opens."""

    def __init__(self, directory: Path):
        self.directory = directory

    async def send(self, message: EmailMessage, mail_id: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        (self.directory / f"{stamp}-{mail_id}.eml").write_bytes(bytes(message))


class SmtpTransport:
    """smtp://user:password@host:587 (STARTTLS when offered) or smtps://...:465 (TLS)."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587")
        self.hostname = parts.hostname
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    async def send(self, message: EmailMessage, mail_id: str) -> None:
        import aiosmtplib

        await aiosmtplib.send(message, hostname=self.hostname, port=self.port,
                              username=self.username, password=self.password,
                              use_tls=self.use_tls, timeout=30)


def transport_for(settings: Settings) -> FileTransport | SmtpTransport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return FileTransport(settings.mail_dir)


def to_message(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message.set_content(mail.body)
    return message


async def deliver_tenant(db: AsyncSession, tenant: TenantContext, transport, sender: str,
                         batch: int = 50) -> int:
    """One batch of the mission's due mails; returns how many were sent."""
    now = datetime.now(UTC)
    mails = list(await db.scalars(
        select(OutboxMail)
        .where(OutboxMail.status == "pending",
               or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now))
        .order_by(OutboxMail.created_at).limit(batch)
        .with_for_update(skip_locked=True)))  # several workers never send a mail twice
    sent = 0
    for mail in mails:
        if mail.context is not None:  # queued in bulk: rendered once, kept as sent
            mail.subject, mail.body = mail_text(mail, tenant)
            mail.context = None
        try:
            await transport.send(to_message(mail, sender), str(mail.id))
        except Exception as exc:  # noqa: BLE001 - any failure is retried with backoff
            mail.attempts += 1
            mail.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
            if mail.attempts >= MAX_ATTEMPTS:
                mail.status = "failed"
                log.error("giving up on mail %s to %s: %s", mail.id, mail.to_address, exc)
            else:
                mail.next_attempt_at = now + timedelta(seconds=30 * 2 ** mail.attempts)
        else:
            mail.status, mail.sent_at = "sent", now
            mail.attempts += 1
            sent += 1
    await db.commit()
    return sent


async def deliver_pending(session_factory: async_sessionmaker[AsyncSession], transport,
                          sender: str, batch: int = 50) -> int:
    """Send what is due in every mission's outbox; returns how many were sent."""
    async with session_factory() as db:
        tenants = await all_tenants(db)
    sent = 0
    for tenant in tenants:
        with tenant_scope(tenant):
            async with session_factory() as db:
                sent += await deliver_tenant(db, tenant, transport, sender, batch)
    return sent


async def count_unwritten(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """How many mails every mission's outbox holds still pending: queued, not yet handed to
    the transport (the worker's sweep picks them up within seconds, or a retry waits)."""
    async with session_factory() as db:
        tenants = await all_tenants(db)
    pending = 0
    for tenant in tenants:
        with tenant_scope(tenant):
            async with session_factory() as db:
                pending += await db.scalar(select(func.count()).select_from(OutboxMail).where(
                    OutboxMail.tenant_id == tenant.id, OutboxMail.status == "pending")) or 0
    return pending
