"""Development only (PORTAL_DEBUG): the mail written to var/mail/, since nothing is sent."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Response

from app.web.templating import page


@get("/dev/mail", name="dev_mail")
async def dev_mail(request: Request) -> Response:
    settings = request.app.state.settings
    if not settings.debug or settings.smtp_url:
        raise NotFoundException()
    files = sorted(settings.mail_dir.glob("*.eml"), reverse=True)[:50]
    messages = []
    for path in files:
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        messages.append({"file": path.name, "to": msg["To"], "subject": msg["Subject"],
                         "date": msg["Date"], "body": msg.get_body(("plain",)).get_content()})
    return page(request, "notifications/dev_mail.html", messages=messages)
