"""Background work of the casework app."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django_tasks import task

from haven.accounts.access import language_of, overseers_of
from haven.accounts.models import User
from haven.mail.compose import absolute_url, send_templated
from haven.organisations.models import Organisation


@task()
def send_retention_shortened_notice(
    *,
    organisation_id: int,
    actor_id: int,
    before: dict[str, int],
    after: dict[str, int],
    persons_deleted: int,
    calls_anonymised: int,
    run_at: str,
) -> None:
    """Tell the organisation's admins and data protection officers, each in their own
    language, that its retention periods were shortened and what the next run removes."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return
    actor = User.objects.filter(pk=actor_id).first()
    context = {
        "organisation": organisation,
        "actor": actor,
        "before": before,
        "after": after,
        "persons_deleted": persons_deleted,
        "calls_anonymised": calls_anonymised,
        "run_at": datetime.fromisoformat(run_at),
        "link": absolute_url(reverse("retention_status", kwargs={"org": organisation.slug})),
    }
    # The one who made the change is told too: were it not them, they learn it now.
    for overseer in overseers_of(organisation):
        send_templated(
            "casework/email/retention_shortened",
            to=[overseer.email],
            context=context,
            language=language_of(overseer, organisation),
        )
