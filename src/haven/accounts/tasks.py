"""Background work of the accounts app."""

from __future__ import annotations

import zoneinfo

from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled
from django_tasks import task

from haven.accounts.access import (
    invitation_link_token,
    language_of,
    overseers_of,
    own_language,
    own_zone,
)
from haven.accounts.models import ApiToken, Invitation, User
from haven.accounts.permissions import Role
from haven.mail.compose import absolute_url, send_templated
from haven.organisations.models import Organisation
from haven.timezones import zone_label


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


@task()
def send_powerful_roles_notice(
    organisation_id: int, user_id: int, actor_id: int | None, roles: list[str]
) -> None:
    """Tell the organisation's admins and data protection officers that someone was given
    a role that manages staff or reads identities, each in their own language."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    user = User.objects.filter(pk=user_id).first()
    if organisation is None or user is None:
        return
    # The roles were given all the same when the account that gave them is gone (an
    # inviter deleted before their invitation was accepted): the notice says so.
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    link = absolute_url(reverse("staff_list", kwargs={"org": organisation.slug}))
    for overseer in overseers_of(organisation):
        if overseer.pk == user.pk or (actor is not None and overseer.pk == actor.pk):
            continue
        language = language_of(overseer, organisation)
        with translation.override(language):
            labels = [str(Role(role).label) for role in roles]
        send_templated(
            "accounts/email/powerful_roles",
            to=[overseer.email],
            context={
                "organisation": organisation,
                "user": user,
                "actor": actor,
                "roles": labels,
                "link": link,
            },
            language=language,
        )


@task()
def send_api_token_notice(token_id: int) -> None:
    """Tell a user that an API token was made for their account, in case it was not them."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(pk=token_id, revoked_at__isnull=True, user__is_active=True)
        .exclude(user__email="")
        .first()
    )
    if token is None:
        return
    # A token belongs to the account, not to one organisation: its times are written in
    # the zone the account's e-mails speak for (the first organisation's), and named.
    zone = zoneinfo.ZoneInfo(own_zone(token.user))
    with timezone.override(zone):
        send_templated(
            "accounts/email/api_token_created",
            to=[token.user.email],
            context={
                "token": token,
                "user": token.user,
                "zone": zone_label(timezone.localtime(token.created_at, zone)),
                "link": absolute_url(reverse("account_settings") + "#api-tokens"),
            },
            language=own_language(token.user),
        )
