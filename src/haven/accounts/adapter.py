"""How allauth behaves in Haven: accounts come from invitations, never from sign-up."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.requests import RequestSite
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.http import HttpRequest

from haven.mail.compose import AUTO_SUBMITTED, absolute_url

SITE_NAME = "Haven"
# allauth's error code for an attempt refused by the login-attempt limit.
LOCKED_OUT = "too_many_login_attempts"


class HavenAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    # allauth counts failed logins per login as typed, so a username and an e-mail address
    # were two allowances for one account (ten guesses where the lockout promises five).
    # Counted per account when the login names one; per login as typed otherwise, so an
    # unknown login is locked out the same way and tells nothing.
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # Imported here: allauth loads this adapter while apps may still be loading.
        from haven.accounts.access import account_of_credentials

        account = account_of_credentials(credentials)
        if account is not None:
            return f"account:{account.pk}"
        key: str = super()._get_login_attempts_cache_key(request, **credentials)
        return key

    # allauth refuses an attempt over the limit before checking the password, so Django's
    # user_login_failed never fires for it: without this, guesses past the lockout would
    # leave no trace on the trail.
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        from haven.accounts import actions
        from haven.accounts.access import account_of_credentials

        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != LOCKED_OUT:
                raise
            account = account_of_credentials(credentials)
            actions.record_refused_sign_in(
                action="auth.login_locked_out",
                account=account,
                details={"known_account": account is not None},
                request=request,
            )
            raise

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
