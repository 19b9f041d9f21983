"""Background work of petitions: confirmation e-mails and the nightly anonymisation run."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import TaskResultStatus, task

from haven.dispatch import queue_once
from haven.letters.content import link_token
from haven.letters.tasks import forget_stale_requests
from haven.mail.compose import absolute_url, send_templated
from haven.petitions import actions
from haven.petitions.access import CONFIRM_DAYS, CONFIRM_SALT
from haven.petitions.models import Petition, PetitionStatus, Signature, SignatureStatus
from haven.records.tasks import next_run_after


def confirmation_link(signature: Signature) -> str:
    petition = signature.petition
    return absolute_url(
        reverse(
            "petition_confirm",
            kwargs={
                "org": petition.owner.slug,
                "petition": petition.slug,
                "token": link_token(CONFIRM_SALT, signature.pk),
            },
        )
    )


# Set while a dispatch is queued, so a rush of signatures queues one task, not one each.
DISPATCH_FLAG = "haven:petitions:dispatch-queued"
DISPATCH_FLAG_SECONDS = 60
BATCH = 50


def dispatch_confirmations() -> None:
    """Make sure a dispatcher will send the waiting confirmation e-mails (after commit)."""
    queue_once(DISPATCH_FLAG, send_confirmations, timeout=DISPATCH_FLAG_SECONDS)


def _send_one(signature: Signature) -> None:
    send_templated(
        "petitions/email/confirm",
        to=[signature.email],
        context={
            "signature": signature,
            "petition": signature.petition,
            "link": confirmation_link(signature),
            "days": CONFIRM_DAYS,
        },
        language=signature.language,
    )


@task()
def send_confirmations() -> int:
    """Send every waiting confirmation e-mail (the link opens a page with a button, so a
    mail scanner following links confirms nothing); how many were sent.

    Signatures made while this runs queue another run: the flag is cleared first.
    """
    cache.delete(DISPATCH_FLAG)
    sent = 0
    while True:
        with scopes_disabled(), transaction.atomic():
            batch = list(
                Signature.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("petition", "petition__owner")
                .filter(
                    status=SignatureStatus.PENDING,
                    confirmation_sent_at__isnull=True,
                    anonymised_at__isnull=True,
                )
                .order_by("created_at")[:BATCH]
            )
            for signature in batch:
                _send_one(signature)
            Signature.objects.filter(pk__in=[s.pk for s in batch]).update(
                confirmation_sent_at=timezone.now()
            )
        sent += len(batch)
        if len(batch) < BATCH:
            return sent


def close_overdue(now: datetime) -> int:
    """Close open petitions whose closing time has passed; how many."""
    with scopes_disabled():
        overdue = list(
            Petition.objects.select_related("owner").filter(
                status=PetitionStatus.OPEN, closes_at__lte=now
            )
        )
        for petition in overdue:
            actions.move_petition(actor=None, petition=petition, move="close")
    return len(overdue)


def run_anonymisation(now: datetime | None = None) -> dict[str, int]:
    """Close overdue petitions, then anonymise those whose time after closing has passed,
    and forget the signers of letters' requests rejected, withdrawn or never confirmed."""
    now = now or timezone.now()
    totals = {"closed": close_overdue(now), "petitions": 0, "signatures": 0}
    # The advocacy tools' one nightly run: operators already queue it, nothing new to set up.
    totals["requests"] = forget_stale_requests(now)
    with scopes_disabled():
        closed = Petition.objects.select_related("owner").filter(
            status=PetitionStatus.CLOSED, anonymised_at__isnull=True
        )
        for petition in closed:
            due = actions.anonymisation_due(petition)
            if due is not None and due <= now:
                totals["signatures"] += actions.anonymise_petition(petition=petition)
                totals["petitions"] += 1
    return totals


def pending_run() -> datetime | None:
    """When the next queued anonymisation run is due, if one is queued (database backend)."""
    if not anonymise_signatures.get_backend().supports_defer:
        return None
    from django_tasks_db.models import DBTaskResult

    queued: datetime | None = (
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=anonymise_signatures.module_path
        )
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    return queued


def schedule_anonymisation(run_after: datetime | None = None) -> datetime | None:
    """Queue the next nightly run unless one is queued; None where the backend cannot defer."""
    if not anonymise_signatures.get_backend().supports_defer:
        return None
    queued = pending_run()
    if queued is not None:
        return queued
    when = run_after or next_run_after(timezone.now())
    anonymise_signatures.using(run_after=when).enqueue()
    return when


@task()
def anonymise_signatures() -> dict[str, int]:
    """Anonymise the signatures that are due, then queue tomorrow's run."""
    totals = run_anonymisation()
    schedule_anonymisation()
    return totals
