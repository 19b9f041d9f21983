"""Background work of events: every e-mail to registrants, reminders, offers that expire,
and the nightly anonymisation run.

Registrants are e-mailed about their current status by one dispatcher: each row whose
``notified_status`` differs from its ``status`` makes its booker receive the e-mail for
that status (ticket or joining link, waiting list, offer, cancellation), naming the
companion concerned when it is not the whole group; so a rush of registrations queues one
task, not one each, and no secret ever waits in the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import TaskResultStatus, task

from haven.dispatch import queue_once
from haven.events import access, actions
from haven.events.content import (
    calendar_file,
    google_calendar_link,
    grouped_code,
    local_time,
    place_of,
    public_url,
    qr_png,
    text_in,
)
from haven.events.models import Event, EventStatus, Registration, RegistrationStatus
from haven.mail.compose import Attachment, absolute_url, send_templated
from haven.records.tasks import next_run_after

DISPATCH_FLAG = "haven:events:dispatch-queued"
DISPATCH_FLAG_SECONDS = 60
BATCH = 50
# Reminders go out for events starting within this window ("the day before").
REMINDER_AHEAD = timedelta(hours=36)
REMINDER_EVERY = timedelta(hours=1)

TEMPLATES = {
    RegistrationStatus.CONFIRMED: "events/email/confirmed",
    RegistrationStatus.WAITING: "events/email/waiting",
    RegistrationStatus.OFFERED: "events/email/offered",
    RegistrationStatus.CANCELLED: "events/email/cancelled",
    RegistrationStatus.EXPIRED: "events/email/expired",
}


def manage_link(registration: Registration) -> str:
    event = registration.event
    return absolute_url(
        reverse(
            "event_registration",
            kwargs={
                "org": event.owner.slug,
                "event": event.slug,
                "token": access.manage_token(registration),
            },
        )
    )


def join_link(registration: Registration) -> str:
    event = registration.event
    return absolute_url(
        reverse(
            "event_join",
            kwargs={
                "org": event.owner.slug,
                "event": event.slug,
                "token": access.join_token(registration),
            },
        )
    )


def dispatch_notices() -> None:
    """Make sure a dispatcher will send the waiting notices (after commit)."""
    queue_once(DISPATCH_FLAG, send_notices, timeout=DISPATCH_FLAG_SECONDS)


def event_context(event: Event, language: str) -> dict[str, Any]:
    """What every e-mail about the event shows: title, when, where, calendar links."""
    title, _description = text_in(event, language)
    return {
        "event": event,
        "title": title,
        "starts": local_time(event, event.starts_at),
        "ends": local_time(event, event.ends_at),
        "place": place_of(event),
        "page_url": public_url(event),
        "google_link": google_calendar_link(event, language, registrant=True),
    }


def _calendar_attachment(event: Event, language: str) -> Attachment:
    body = calendar_file([event], language=language, registrant=True)
    return Attachment("event.ics", body, "text/calendar")


# When one dispatch finds several changes in a group, the e-mails go in this order: an
# expired offer before the place offered on to a companion, say.
NOTICE_ORDER = (
    RegistrationStatus.CANCELLED,
    RegistrationStatus.EXPIRED,
    RegistrationStatus.WAITING,
    RegistrationStatus.OFFERED,
    RegistrationStatus.CONFIRMED,
)


def _send_status(
    booker: Registration,
    group: list[Registration],
    status: str,
    concerned: list[Registration],
) -> None:
    """E-mail the booker that the ``concerned`` people of their group are now in ``status``."""
    event = booker.event
    language = booker.language
    expiries = [row.offer_expires_at for row in concerned if row.offer_expires_at is not None]
    # An offer always says whom the place is for; other notices name the people only when
    # they are not the whole group.
    whole_group = {row.pk for row in concerned} == {row.pk for row in group}
    named = (
        ", ".join(row.name for row in concerned)
        if len(group) > 1 and (status == RegistrationStatus.OFFERED or not whole_group)
        else ""
    )
    context = {
        **event_context(event, language),
        "registration": booker,
        "group": group,
        "concerned": concerned,
        "named": named,
        "manage_link": manage_link(booker),
        "join_links": [(row, join_link(row)) for row in group] if event.online else [],
        "joining_details": actions.secret_of(event).joining_details if event.online else "",
        "offer_expires": local_time(event, min(expiries)) if expiries else None,
    }
    attachments: list[Attachment] = []
    if status == RegistrationStatus.CONFIRMED:
        attachments.append(_calendar_attachment(event, language))
        if event.in_person:
            codes = [
                (row, access.ticket_code(row))
                for row in group
                if row.status == RegistrationStatus.CONFIRMED
            ]
            attachments += [
                Attachment(f"ticket-{number}.png", qr_png(code), "image/png")
                for number, (_row, code) in enumerate(codes, 1)
            ]
            # Under each QR code, its code to type at the door if the scan fails.
            context["tickets"] = [
                (number, row, grouped_code(code)) for number, (row, code) in enumerate(codes, 1)
            ]
    send_templated(
        TEMPLATES[RegistrationStatus(status)],
        to=[booker.email],
        context=context,
        language=language,
        attachments=attachments,
    )


def _tell_group(changed: list[Registration]) -> int:
    """E-mail the booker of a group about its changed rows, one e-mail per new status;
    how many were sent (none once the booker is anonymised, and none that invites them to
    an event called off)."""
    group = access.group_of(changed[0])
    for row in group:
        row.event = changed[0].event  # with its owner, for the links
    booker = group[0]
    if not booker.booker or not booker.email:
        return 0
    wanted = {row.pk for row in changed}
    # An event called off (cancelled or withdrawn) sends its own e-mail, which says why: a
    # ticket, a joining link, a place on the waiting list or an offer still waiting to go
    # out would invite its people to come after all.
    called_off = changed[0].event.status in (EventStatus.CANCELLED, EventStatus.WITHDRAWN)
    sent = 0
    for status in NOTICE_ORDER:
        if called_off and status in access.ACTIVE:
            continue
        concerned = [row for row in group if row.pk in wanted and row.status == status]
        if concerned:
            _send_status(booker, group, status, concerned)
            sent += 1
    return sent


@task()
def send_notices() -> int:
    """E-mail every booker whose group changed status since their last e-mail, about each
    person concerned; how many were sent. Changes made while this runs queue another run."""
    cache.delete(DISPATCH_FLAG)
    sent = 0
    while True:
        with scopes_disabled(), transaction.atomic():
            to_tell = (
                Registration.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event", "event__owner")
                .filter(anonymised_at__isnull=True)
                .exclude(notified_status=F("status"))
            )
            batch = list(to_tell.order_by("created_at")[:BATCH])
            if not batch:
                return sent
            # The rest of each group's changes, so that a group hears of them in one go.
            seen = {row.pk for row in batch}
            batch += [
                row
                for row in to_tell.filter(group__in={row.group for row in batch})
                if row.pk not in seen
            ]
            by_group: dict[Any, list[Registration]] = {}
            for row in batch:
                by_group.setdefault(row.group, []).append(row)
            for changed in by_group.values():
                sent += _tell_group(changed)
            Registration.objects.filter(pk__in=[row.pk for row in batch]).update(
                notified_status=F("status")
            )


@task()
def send_existing_registration(event_id: int, email_key: str) -> bool:
    """Someone registered again with an address already registered: remind that address
    of its registration (the page said the same as for a new one)."""
    with scopes_disabled():
        booker = (
            Registration.objects.select_related("event", "event__owner")
            .filter(
                event_id=event_id,
                email_key=email_key,
                status__in=access.ACTIVE,
                anonymised_at__isnull=True,
            )
            .first()
        )
        if booker is None or not booker.email:
            return False
        group = access.group_of(booker)
        same = [row for row in group if row.status == booker.status]
        _send_status(booker, group, booker.status, same)
    return True


def _bookers_of_groups_with(event: Event, statuses: tuple[str, ...]) -> Any:
    """The bookers of the event's groups in which someone is in one of ``statuses``: a
    booker who cancelled only their own place still speaks for the people they brought."""
    groups = Registration.objects.filter(event=event, status__in=statuses).values("group")
    return Registration.objects.select_related("event", "event__owner").filter(
        event=event, booker=True, group__in=groups, anonymised_at__isnull=True
    )


def _tell_everyone(event: Event, template: str, extra: dict[str, Any]) -> int:
    with scopes_disabled():
        bookers = list(_bookers_of_groups_with(event, access.ACTIVE))
        for booker in bookers:
            send_templated(
                template,
                to=[booker.email],
                context={
                    **event_context(event, booker.language),
                    **extra,
                    "registration": booker,
                    "manage_link": manage_link(booker),
                },
                language=booker.language,
                attachments=[_calendar_attachment(event, booker.language)],
            )
    return len(bookers)


@task()
def send_event_update(event_id: int, fields: list[str]) -> int:
    """Tell everyone registered that the event's time or place changed."""
    with scopes_disabled():
        event = Event.objects.select_related("owner").filter(pk=event_id).first()
    if event is None or event.status != EventStatus.PUBLISHED:
        return 0
    return _tell_everyone(event, "events/email/updated", {"fields": fields})


@task()
def send_event_cancelled(event_id: int) -> int:
    """Tell everyone registered that the event is cancelled, and why."""
    with scopes_disabled():
        event = Event.objects.select_related("owner").filter(pk=event_id).first()
    if event is None:
        return 0
    return _tell_everyone(event, "events/email/event_cancelled", {"reason": event.cancel_reason})


@task()
def send_event_withdrawn(event_id: int) -> int:
    """Tell everyone registered that the event was withdrawn, and why: its page is gone."""
    with scopes_disabled():
        event = Event.objects.select_related("owner").filter(pk=event_id).first()
    if event is None or event.status != EventStatus.WITHDRAWN:
        return 0
    return _tell_everyone(
        event, "events/email/event_withdrawn", {"reason": event.withdrawal_reason}
    )


def send_reminders(now: datetime | None = None) -> int:
    """Remind the confirmed registrants of events starting within the next day and a half;
    each event is reminded once. How many e-mails went out."""
    moment = now or timezone.now()
    sent = 0
    with scopes_disabled():
        due = list(
            Event.objects.select_related("owner").filter(
                status=EventStatus.PUBLISHED,
                reminders_sent_at__isnull=True,
                starts_at__gt=moment,
                starts_at__lte=moment + REMINDER_AHEAD,
            )
        )
        for event in due:
            # Claim the event first: two workers never remind twice.
            if not Event.objects.filter(pk=event.pk, reminders_sent_at__isnull=True).update(
                reminders_sent_at=moment
            ):
                continue
            bookers = _bookers_of_groups_with(event, (RegistrationStatus.CONFIRMED,))
            for booker in bookers:
                _send_status_reminder(booker)
                sent += 1
    return sent


def _send_status_reminder(booker: Registration) -> None:
    event = booker.event
    group = access.group_of(booker)
    # A booker without a place of their own (cancelled it, say) is reminded for the people
    # they brought, and told so: not that they are registered.
    attending = [row for row in group if row.status == RegistrationStatus.CONFIRMED]
    for_others = booker.status != RegistrationStatus.CONFIRMED
    send_templated(
        "events/email/reminder",
        to=[booker.email],
        context={
            **event_context(event, booker.language),
            "registration": booker,
            "for_others": for_others,
            "attending": attending,
            "named": ", ".join(row.name for row in attending) if for_others else "",
            "manage_link": manage_link(booker),
            "join_links": [(row, join_link(row)) for row in group] if event.online else [],
        },
        language=booker.language,
        attachments=[_calendar_attachment(event, booker.language)],
    )


def run_hourly(now: datetime | None = None) -> dict[str, int]:
    """Expire unanswered offers, send the day-before reminders, anonymise what is due."""
    moment = now or timezone.now()
    with scopes_disabled():
        expired = actions.expire_offers(moment)
    totals = {"offers_expired": expired, "reminders": send_reminders(moment)}
    totals.update(run_anonymisation(moment))
    return totals


def run_anonymisation(now: datetime | None = None) -> dict[str, int]:
    """Anonymise the registrants of events whose time after the event has passed."""
    moment = now or timezone.now()
    totals = {"events": 0, "registrations": 0}
    with scopes_disabled():
        ended = Event.objects.select_related("owner").filter(
            anonymised_at__isnull=True, ends_at__lt=moment
        )
        for event in ended:
            due = actions.anonymisation_due(event)
            if due is not None and due <= moment:
                totals["registrations"] += actions.anonymise_event(event=event)
                totals["events"] += 1
    return totals


def pending_run() -> datetime | None:
    """When the next queued hourly run is due, if one is queued (database backend)."""
    if not events_hourly.get_backend().supports_defer:
        return None
    from django_tasks_db.models import DBTaskResult

    queued: datetime | None = (
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=events_hourly.module_path
        )
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    return queued


def schedule_hourly(run_after: datetime | None = None) -> datetime | None:
    """Queue the next hourly run unless one is queued; None where the backend cannot defer."""
    if not events_hourly.get_backend().supports_defer:
        return None
    queued = pending_run()
    if queued is not None:
        return queued
    when = run_after or min(timezone.now() + REMINDER_EVERY, next_run_after(timezone.now()))
    events_hourly.using(run_after=when).enqueue()
    return when


@task()
def events_hourly() -> dict[str, int]:
    """The hourly run (offers, reminders, anonymisation), then queue the next one."""
    totals = run_hourly()
    schedule_hourly()
    return totals
