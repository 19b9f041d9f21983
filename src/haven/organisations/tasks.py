"""Background work of the directory."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django_tasks import task

from haven.accounts.access import language_of, people_holding
from haven.accounts.models import User
from haven.mail.compose import absolute_url, send_templated
from haven.organisations.models import Membership


@task()
def send_membership_notice(membership_id: int, actor_id: int) -> None:
    """Tell the admins of an organisation with staff on Haven, each in their own language,
    that a network listed it as a member: nobody there agreed to it in Haven."""
    membership = (
        Membership.objects.select_related("organisation", "network__organisation")
        .filter(pk=membership_id)
        .first()
    )
    actor = User.objects.filter(pk=actor_id).first()
    if membership is None or actor is None:
        return
    organisation = membership.organisation
    link = absolute_url(reverse("network_directory", kwargs={"network": membership.network.slug}))
    reply_to = [actor.email] if actor.email else []
    for admin in people_holding(organisation, "organisation.edit_profile"):
        if admin.pk == actor.pk:
            continue
        language = language_of(admin, organisation)
        with translation.override(language):
            category = str(membership.get_category_display())
        send_templated(
            "organisations/email/membership_added",
            to=[admin.email],
            context={
                "organisation": organisation,
                "network": membership.network,
                "actor": actor,
                "category": category,
                "since": membership.since,
                "link": link,
                "reply_to": reply_to,
            },
            language=language,
            reply_to=reply_to,
        )
