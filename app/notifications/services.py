"""Queueing mail. A message is rendered in the recipient's language when it is queued and
stored in the outbox in the caller's transaction: no change is reported that did not commit,
and no committed change loses its message."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.templates import environment
from app.i18n import reset_locale, set_locale
from app.notifications.models import OutboxMail
from tenants.context import TenantContext


def render_mail(kind: str, locale: str, **context) -> tuple[str, str]:
    """templates/mail/<kind>.txt: the first line is 'Subject: ...', the rest the body."""
    token = set_locale(locale)
    try:
        text = environment().get_template(f"mail/{kind}.txt").render(locale=locale, **context)
    finally:
        reset_locale(token)
    first, _, body = text.partition("\n")
    assert first.startswith("Subject: "), f"mail/{kind}.txt must start with 'Subject: '"
    return first.removeprefix("Subject: ").strip(), body.strip() + "\n"


def queue_mail(db: AsyncSession, tenant: TenantContext, to: str, kind: str, locale: str,
               **context) -> OutboxMail:
    subject, body = render_mail(kind, locale, tenant=tenant, **context)
    mail = OutboxMail(tenant_id=tenant.id, to_address=to, subject=subject, body=body, kind=kind)
    db.add(mail)
    return mail
