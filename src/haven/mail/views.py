"""The local outbox: read the e-mails Haven would have sent, in the demo and development."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import public_view
from haven.mail.access import outbox_message, outbox_messages

PAGE_SIZE = 50
# The e-mail's own HTML is shown alone, sandboxed: no script, no form, no request out.
MESSAGE_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
)


@public_view
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    to = request.GET.get("to", "").strip()[:320]
    page = Paginator(outbox_messages(to), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({"to": to}) if to else ""
    return render(request, "mail/outbox.html", {"page": page, "to": to, "query": query})


@public_view
@require_GET
def outbox_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = outbox_message(message_id)
    return render(request, "mail/outbox_message.html", {"message": message})


@public_view
@require_GET
def outbox_html(request: HttpRequest, message_id: int) -> HttpResponse:
    message = outbox_message(message_id)
    if not message.html:
        raise Http404
    response = HttpResponse(message.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = MESSAGE_HTML_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@public_view
@require_GET
def outbox_attachment(request: HttpRequest, message_id: int, index: int) -> HttpResponse:
    message = outbox_message(message_id)
    if index >= len(message.attachments) or message.attachments[index]["content"] is None:
        raise Http404
    attachment = message.attachments[index]
    response = HttpResponse(
        base64.b64decode(attachment["content"]), content_type=attachment["mimetype"]
    )
    filename = "".join(c for c in attachment["filename"] if c.isalnum() or c in "._-") or "file"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
