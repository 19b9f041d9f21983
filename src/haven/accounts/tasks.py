"""Background work of the accounts app."""

from __future__ import annotations

from django.urls import reverse
from django_scopes import scopes_disabled
from django_tasks import task

from haven.accounts.access import invitation_link_token
from haven.accounts.models import Invitation
from haven.mail.compose import absolute_url, send_templated


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
    link = absolute_url(
        reverse("accept_invitation", kwargs={"token": invitation_link_token(invitation)})
    )
    send_templated(
        "accounts/email/invitation",
        to=[invitation.email],
        context={"invitation": invitation, "link": link},
        language=language,
    )
