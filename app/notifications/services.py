"""Queueing mail. A message is rendered in the recipient's language when it is queued and
stored in the outbox in the caller's transaction: no change is reported that did not commit,
and no committed change loses its message. Mails queued in bulk (an import's invitations)
store their language and the template's values instead, and are rendered when sent
(mail_text)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import reset_locale, set_locale, text_direction
from app.notifications.models import OutboxMail
from tenants.context import TenantContext

# What people wrote (names, titles, reasons) that mail templates put inside sentences.
USER_TEXT = frozenset({"name", "title", "reason", "agency", "institution"})
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def _isolated(context: dict) -> dict:
    """In a right-to-left mail, English written by a person keeps its own order (a trailing
    full stop stays at its end) inside invisible isolates, as <bdi> does in pages."""
    return {key: f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
            if key in USER_TEXT and isinstance(value, str) and value else value
            for key, value in context.items()}


def render_mail(kind: str, locale: str, **context) -> tuple[str, str]:
    """templates/mail/<kind>.txt: the first line is 'Subject: ...', the rest the body."""
    # Jinja2 is loaded by what renders, not by every service that queues a mail.
    from app.core.templates import environment

    if text_direction(locale) == "rtl":
        context = _isolated(context)
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


def mail_text(mail: OutboxMail, tenant: TenantContext) -> tuple[str, str]:
    """A queued mail's subject and body: as stored, or rendered now from the language and
    values a mail queued in bulk keeps for its template."""
    if mail.context is None:
        return mail.subject, mail.body
    return render_mail(mail.kind, mail.locale or tenant.default_locale, tenant=tenant,
                       **mail.context)
