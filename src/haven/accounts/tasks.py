"""Background work of the accounts app."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from django_tasks import task

from haven.accounts.access import invitation_link_token
from haven.accounts.models import Invitation


@task()
def send_invitation_email(invitation_id: int, language: str) -> None:
    """E-mail an invitation link; the link is rebuilt here, so no secret sits in the queue."""
    with scopes_disabled():
        invitation = (
            Invitation.objects.select_related("organisation", "invited_by")
            .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
            .first()
        )
    if invitation is None:
        return
    link = settings.HAVEN_BASE_URL + reverse(
        "accept_invitation", kwargs={"token": invitation_link_token(invitation)}
    )
    with translation.override(language):
        context = {"invitation": invitation, "link": link}
        send_mail(
            subject=_("You are invited to join %(organisation)s on Haven")
            % {"organisation": invitation.organisation.name},
            message=render_to_string("accounts/email/invitation.txt", context),
            html_message=render_to_string("accounts/email/invitation.html", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
