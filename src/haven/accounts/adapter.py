"""How allauth behaves in Haven: accounts come from invitations, never from sign-up."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.requests import RequestSite
from django.core.mail import EmailMessage
from django.http import HttpRequest

from haven.mail.compose import AUTO_SUBMITTED, absolute_url

SITE_NAME = "Haven"


class HavenAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    # Without django.contrib.sites, allauth names the site after the request's host
    # ("Hello from 127.0.0.1:8193!"); its e-mails name Haven instead.
    def format_email_subject(self, subject: str) -> str:
        return f"[{SITE_NAME}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        site = RequestSite(allauth_context.request)
        site.name = SITE_NAME
        site.domain = urlsplit(settings.HAVEN_BASE_URL).netloc
        super().send_mail(template_prefix, email, {**context, "current_site": site})

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        message: EmailMessage = super().render_mail(
            template_prefix, email, context, {**AUTO_SUBMITTED, **(headers or {})}
        )
        return message

    # allauth builds the link from the request's Host header and scheme, which behind a
    # proxy can be an internal name or plain http; every e-mail of Haven links to its
    # configured address instead.
    def get_reset_password_from_key_url(self, key: str) -> str:
        return absolute_url(urlsplit(super().get_reset_password_from_key_url(key)).path)
