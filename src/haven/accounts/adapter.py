"""How allauth behaves in Haven: accounts come from invitations, never from sign-up."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.requests import RequestSite
from django.http import HttpRequest

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
        super().send_mail(template_prefix, email, {**context, "current_site": site})
