"""Background work of reporting: members' drafts once a period is over, generating a
network's publication, the e-mails that ask and remind members, and the hourly run that
keeps each period's members and reminders up to date.

Every e-mail is a ``Notice`` row first (unique per submission and occasion), created by an
action or by the hourly run; ``send_notices`` sends the waiting ones. A notice is claimed
by a conditional update before it is sent, so two workers never send the same one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from haven.accounts.access import language_of, people_holding
from haven.mail.compose import absolute_url, send_templated
from haven.periodic import queued_run, schedule_once
from haven.reporting import access, actions, publishing
from haven.reporting.models import (
    REMINDERS,
    Notice,
    NoticeKind,
    Publication,
    PublicationStatus,
    ReportingPeriod,
    Revision,
    SubmissionStatus,
)
from haven.timezones import day_in_zone_of

BATCH = 50
RUN_EVERY = timedelta(hours=1)
# How long after a sending the hourly run still tells the coordinators of it, if the e-mails
# queued by the sending failed (a mail server away for a while).
UNTOLD_WINDOW = timedelta(days=3)
TEMPLATES = {
    NoticeKind.ASKED: "reporting/email/asked",
    NoticeKind.DEADLINE: "reporting/email/deadline",
    **dict.fromkeys(REMINDERS, "reporting/email/reminder"),
}


@task()
def generate_publication(publication_id: int) -> None:
    """Generate the figures of a publication requested by its coordinator (idempotent)."""
    publication = (
        Publication.objects.select_related("period", "network__organisation")
        .filter(pk=publication_id, status=PublicationStatus.GENERATING)
        .first()
    )
    if publication is None:
        return
    try:
        publishing.generate(publication)
    except Exception:
        publishing.fail(publication_id)
        raise


# --- E-mails to members ------------------------------------------------------------------


def dispatch_notices() -> None:
    """Have the waiting notices sent once the current transaction commits."""
    transaction.on_commit(send_notices.enqueue)


def _still_wanted(notice: Notice) -> bool:
    """Whether the e-mail still says something true: a reminder or a deadline change is
    dropped once the figures are sent, anything once the member is no longer asked, and a
    dated reminder once the member's deadline moved."""
    submission = notice.submission
    if not submission.asked:
        return False
    if notice.kind == NoticeKind.ASKED:
        return True
    with scopes_disabled():
        ever_sent = Revision.objects.filter(submission=submission).exists()
    if ever_sent or submission.status == SubmissionStatus.SENT:
        return False
    dated = (NoticeKind.BEFORE, NoticeKind.DUE, NoticeKind.LATE)
    return notice.kind not in dated or notice.deadline == submission.due_on


def deliver(notice: Notice, now: datetime | None = None) -> int:
    """E-mail one notice to each person of the member who may send its reports, in their
    language; how many were written to."""
    if not _still_wanted(notice):
        return 0
    submission = notice.submission
    organisation = submission.organisation
    # The days left are counted from the member's own date, as it reads its deadline.
    today = day_in_zone_of(organisation.slug, now or timezone.now())
    network = submission.period.network.organisation
    link = absolute_url(
        reverse(
            "report_detail",
            kwargs={"org": organisation.slug, "submission_id": submission.pk},
        )
    )
    people = people_holding(organisation, "reporting.submit")
    for person in people:
        send_templated(
            TEMPLATES[NoticeKind(notice.kind)],
            to=[person.email],
            context={
                "kind": notice.kind,
                "organisation": organisation,
                "network": network,
                "period": submission.period,
                "deadline": submission.due_on,
                "days_left": (submission.due_on - today).days,
                "change": notice.change,
                "note": notice.change.reason if notice.change is not None else notice.note,
                "link": link,
            },
            language=language_of(person, organisation),
        )
    return len(people)


def _claim(notice: Notice, now: datetime) -> bool:
    """Mark the notice as being sent, unless another worker already has."""
    return bool(Notice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(sent_at=now))


def send_waiting_notices(now: datetime | None = None) -> int:
    """Send every waiting notice; how many e-mails went out. A notice whose sending fails
    is released for the next run."""
    sent = 0
    seen: set[int] = set()
    while True:
        with scopes_disabled():
            batch = list(
                Notice.objects.filter(sent_at__isnull=True)
                .exclude(pk__in=seen)
                .select_related(
                    "submission__organisation",
                    "submission__period__network__organisation",
                    "change",
                )
                .order_by("created_at", "pk")[:BATCH]
            )
        if not batch:
            return sent
        for notice in batch:
            seen.add(notice.pk)
            if not _claim(notice, timezone.now()):
                continue
            try:
                count = deliver(notice, now)
            except Exception:
                Notice.objects.filter(pk=notice.pk).update(sent_at=None)
                raise
            Notice.objects.filter(pk=notice.pk).update(recipients=count)
            sent += count


@task()
def send_notices() -> int:
    """Send the waiting e-mails to members (queued after an action commits)."""
    return send_waiting_notices()


# --- E-mails to coordinators --------------------------------------------------------------


def tell_coordinators_after_commit(revision: Revision) -> None:
    """Have the network's coordinators told of a sending, and what the dashboard shows of the
    period drawn, once the current transaction commits."""
    transaction.on_commit(lambda: tell_coordinators.enqueue(revision.pk))
    transaction.on_commit(lambda: draw_dashboard_views.enqueue(revision.period_id))


@task()
def draw_dashboard_views(period_id: int) -> None:
    """Draw what the dashboard shows of a period, from its reviews (decision 31), so that the
    coordinator who opens it after a sending finds it drawn: the reviews' views by member
    and by country are most of the first dashboard's time."""
    from haven.reporting.dashboard import draw_views_of

    with scopes_disabled():
        period = ReportingPeriod.objects.filter(pk=period_id).first()
    if period is not None:
        draw_views_of(period)


def coordinators_told(revision_id: int, now: datetime | None = None) -> int:
    """E-mail the network's coordinators, each in their language, that a member sent (or
    corrected) its figures for a period, and how many members have sent; how many were
    written to. Only the fact, the member's name and the count: never a figure.

    The revision is claimed first, so two workers never tell of one sending twice; if the
    e-mails fail it is released, for the hourly run to try again.
    """
    with scopes_disabled():
        claimed = Revision.objects.filter(pk=revision_id, coordinators_told_at__isnull=True).update(
            coordinators_told_at=now or timezone.now()
        )
        revision = (
            Revision.objects.select_related("organisation", "period__network__organisation")
            .filter(pk=revision_id)
            .first()
        )
    if not claimed or revision is None:
        return 0
    try:
        return _tell(revision)
    except Exception:
        with scopes_disabled():
            Revision.objects.filter(pk=revision_id).update(coordinators_told_at=None)
        raise


def _tell(revision: Revision) -> int:
    period = revision.period
    network = period.network.organisation
    statuses = [status for status in access.member_statuses(period) if status.asked]
    link = absolute_url(
        reverse("period_review", kwargs={"org": network.slug, "period_id": period.pk})
    )
    people = people_holding(network, "reporting.coordinate")
    for person in people:
        send_templated(
            "reporting/email/sent",
            to=[person.email],
            context={
                "organisation": revision.organisation,
                "network": network,
                "period": period,
                "correction": revision.number > 1,
                "sent": sum(1 for status in statuses if status.revision),
                "asked": len(statuses),
                "link": link,
            },
            language=language_of(person, network),
        )
    return len(people)


def tell_coordinators_left_untold(now: datetime | None = None) -> int:
    """Tell of the sendings of the last ``UNTOLD_WINDOW`` whose e-mails failed or never
    ran; how many e-mails went out."""
    moment = now or timezone.now()
    with scopes_disabled():
        untold = list(
            Revision.objects.filter(
                coordinators_told_at__isnull=True, sent_at__gte=moment - UNTOLD_WINDOW
            )
            .order_by("sent_at", "pk")
            .values_list("pk", flat=True)
        )
    return sum(coordinators_told(revision_id, moment) for revision_id in untold)


@task()
def tell_coordinators(revision_id: int) -> int:
    """Tell the network's coordinators that a member sent its figures (queued by the
    sending)."""
    return coordinators_told(revision_id)


# --- The hourly run ------------------------------------------------------------------------


def run_reporting(now: datetime | None = None) -> dict[str, int]:
    """Ask members that joined, stop asking those that left, create the reminders due, and
    send every waiting e-mail (and the coordinators' that failed)."""
    moment = now or timezone.now()
    # A day more than the late window: a member's own day (reminder_due decides on it) can
    # be a day behind the server's, whose date this is.
    periods = access.periods_in_play(
        timezone.localdate(moment), actions.LATE_WINDOW + timedelta(days=1)
    )
    for period in periods:
        actions.queue_reminders(period, now=moment)
    return {
        "periods": len(periods),
        "emails": send_waiting_notices(moment),
        "coordinator_emails": tell_coordinators_left_untold(moment),
    }


def schedule_reporting(run_after: datetime | None = None) -> datetime | None:
    """Queue the next hourly run unless one is queued; None where the backend cannot defer."""
    return schedule_once(reporting_hourly, run_after or timezone.now() + RUN_EVERY)


def pending_run() -> datetime | None:
    """When the next queued hourly run is due, if one is queued."""
    return queued_run(reporting_hourly)


@task()
def reporting_hourly() -> dict[str, int]:
    """The hourly run of reporting, then queue the next one (also when this one fails, say
    with the mail server away: its e-mails wait for the next run)."""
    try:
        return run_reporting()
    finally:
        schedule_reporting()


@task()
def compute_drafts(period_id: int) -> int:
    """Compute the drafts of the period's members still due, in one run (idempotent)."""
    period = ReportingPeriod.objects.select_related("network").filter(pk=period_id).first()
    if period is None:
        return 0
    return actions.prepare_drafts(period=period)
