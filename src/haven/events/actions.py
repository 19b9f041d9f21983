"""Every change to events, their programme, registrations and check-ins.

Places are counted on the event row: a registration takes its places with one
conditional UPDATE (``places_taken + n <= capacity``) in the same short transaction as
its INSERT, so two registrations racing for the last place cannot both win, on
PostgreSQL or SQLite (docs/decisions/0020). Cancelling gives the places back and offers
them to the waiting list in the same transaction. A check-in is one conditional UPDATE
of the registration (``checked_in_at IS NULL``): a ticket is never admitted twice.

The owner's actions and every admission at the door are audited. A public registration
is not: the audit trail's head row would serialise every registrant (as for petitions,
docs/decisions/0011); the registration row itself records when and how.
"""

from __future__ import annotations

import copy
import secrets
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import F
from django.db.models.functions import Upper
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

from haven import timezones
from haven.abuse.addresses import normalise_email
from haven.accounts.models import User
from haven.dates import EARLIEST_DATE
from haven.events import access
from haven.events.models import (
    HOLDS_PLACE,
    CheckInAttempt,
    CheckInResult,
    Event,
    EventKind,
    EventPartner,
    EventSecret,
    EventStatus,
    EventText,
    InvitationCode,
    PartnerRole,
    Question,
    QuestionKind,
    QuestionText,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    SessionSpeaker,
    Speaker,
    SpeakerRole,
    Visibility,
    choice_lines,
)
from haven.inserts import (
    InsertStatement,
    insert_rows,
    insert_statement,
    mark_inserted,
    parameter_cursor,
)
from haven.letters.actions import check_language
from haven.letters.content import clean_hashtags, free_slug
from haven.ordering import move_within, set_order
from haven.organisations.languages import is_language_code, validate_language_codes
from haven.organisations.models import Organisation
from haven.privacy import audit

EVENT_FIELDS = (
    "kind",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "timezone",
    "in_person",
    "online",
    "venue_name",
    "venue_address",
    "room",
    "city",
    "country",
    "languages",
    "interpretation",
    "visibility",
    "registration_open",
    "registration_closes_at",
    "capacity",
    "waiting_list",
    "offer_hours",
    "group_size",
    "id_check",
    "recording_url",
    "report_url",
    "hashtags",
    "anonymise_after_days",
)
_TEXT_LIMITS = {
    "title": 300,
    "description": 20_000,
    "venue_name": 200,
    "venue_address": 300,
    "room": 100,
    "city": 100,
    "recording_url": 500,
    "report_url": 500,
}
_FLAGS = ("in_person", "online", "registration_open", "waiting_list", "id_check")
# Changes registrants must hear about: when and where.
NOTIFIED_FIELDS = frozenset(
    {"starts_at", "ends_at", "timezone", "in_person", "online", "venue_name", "venue_address"}
    | {"room", "city", "country"}
)
LARGEST_CAPACITY = 1_000_000
LARGEST_GROUP = 50
LONGEST_OFFER_HOURS = 24 * 14
LONGEST_RETENTION_DAYS = 3650
# Invitation codes: read aloud or typed from paper, so in capitals, without the letters
# and digits taken for each other (I and 1, O and 0); 12 of 32 signs are 60 bits.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
# The event's own times, read in its time zone when they come without one.
EVENT_TIMES = ("starts_at", "ends_at", "registration_closes_at")
# An event this many years ahead is a slip (9999-12-31); one at the calendar's edge cannot
# even be shown in its own time zone.
LATEST_YEARS_AHEAD = 10
MOVES: dict[str, tuple[str, ...]] = {
    "publish": (EventStatus.DRAFT,),
    "cancel": (EventStatus.DRAFT, EventStatus.PUBLISHED),
    # A draft was never public: there is nothing to take down.
    "withdraw": (EventStatus.PUBLISHED, EventStatus.CANCELLED),
}


def _bounded_int(name: str, value: Any, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError({name: message})
    return int(value)


def _clean_url(name: str, value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text:
        try:
            URLValidator(schemes=["https", "http"])(text)
        except ValidationError as error:
            raise ValidationError(
                {name: _("Give a web address starting with https://.")}
            ) from error
    return text


def latest_event_day() -> datetime:
    """The last day an event may take place (or close its registration) on."""
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=366 * LATEST_YEARS_AHEAD
    )


def date_range_message() -> str:
    """The refusal of a date outside the range events may take place in."""
    return _("Give a date and time from %(earliest)s to %(latest)s.") % {
        "earliest": date_format(EARLIEST_DATE),
        "latest": date_format(latest_event_day()),
    }


def _in_range(moment: datetime) -> bool:
    earliest = datetime.combine(EARLIEST_DATE, time.min, tzinfo=UTC)
    return earliest <= moment <= latest_event_day() + timedelta(days=1)


def in_zone(moment: datetime, zone: str) -> datetime:
    """A wall-clock time in ``zone`` as an aware UTC moment."""
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)


def _event_moment(name: str, moment: datetime, zone: str) -> datetime:
    # A time without a zone (the API may be sent one) is the event's wall-clock time, as
    # its forms read it and its pages show it.
    if timezone.is_naive(moment):
        try:
            moment = in_zone(moment, zone)
        except (ValueError, OverflowError):
            # A date at the calendar's edge (year 1, 9999) moved into UTC.
            raise ValidationError({name: date_range_message()}) from None
    if not _in_range(moment):
        raise ValidationError({name: date_range_message()})
    return moment


def _clean_event_values(values: Mapping[str, Any], zone: str) -> dict[str, Any]:
    """The values checked one by one; times without a zone are read in the event's
    (``zone``, unless the values change it)."""
    unknown = sorted(set(values) - set(EVENT_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name in ("recording_url", "report_url"):
            cleaned[name] = _clean_url(name, value)
        elif name in _TEXT_LIMITS:
            text = "" if value is None else str(value).strip()
            if len(text) > _TEXT_LIMITS[name]:
                raise ValidationError(
                    {
                        name: _("At most %(limit)d characters, please.")
                        % {"limit": _TEXT_LIMITS[name]}
                    }
                )
            cleaned[name] = text
        elif name in _FLAGS:
            cleaned[name] = bool(value)
        elif name == "kind":
            if value not in EventKind.values:
                raise ValidationError({"kind": _("Choose one of the types of event.")})
            cleaned[name] = value
        elif name == "visibility":
            if value not in Visibility.values:
                raise ValidationError({"visibility": _("Choose public or invitation only.")})
            cleaned[name] = value
        elif name == "timezone":
            zone = str(value or "").strip()
            if zone not in zoneinfo.available_timezones():
                raise ValidationError({"timezone": _("Choose a time zone such as Europe/Paris.")})
            cleaned[name] = zone
        elif name == "country":
            code = str(value or "").strip().upper()
            if code and code not in dict(countries):
                raise ValidationError({"country": _("Choose a country from the list.")})
            cleaned[name] = code
        elif name in ("languages", "interpretation"):
            codes = [str(code).strip().lower() for code in (value or []) if str(code).strip()]
            try:
                validate_language_codes(codes)
            except ValidationError as error:
                raise ValidationError({name: error.messages}) from error
            cleaned[name] = list(dict.fromkeys(codes))
        elif name in EVENT_TIMES:
            if value is not None and not isinstance(value, datetime):
                raise ValidationError({name: _("Give a date and time.")})
            if value is None and name != "registration_closes_at":
                raise ValidationError({name: _("Give a date and time.")})
            cleaned[name] = value
        elif name == "capacity":
            cleaned[name] = (
                None
                if value is None
                else _bounded_int(
                    name, value, 1, LARGEST_CAPACITY, _("Give a capacity of at least 1, or none.")
                )
            )
        elif name == "group_size":
            cleaned[name] = _bounded_int(
                name, value, 1, LARGEST_GROUP, _("Give a number from 1 to 50.")
            )
        elif name == "offer_hours":
            cleaned[name] = _bounded_int(
                name, value, 1, LONGEST_OFFER_HOURS, _("Give a number of hours from 1 to 336.")
            )
        elif name == "anonymise_after_days":
            cleaned[name] = _bounded_int(
                name, value, 1, LONGEST_RETENTION_DAYS, _("Give a number of days from 1 to 3650.")
            )
        elif name == "hashtags":
            cleaned[name] = clean_hashtags(str(value or ""))
    if "title" in cleaned and not cleaned["title"]:
        raise ValidationError({"title": _("Give the event a title.")})
    # Once the zone is known, wherever it came in the values.
    zone = cleaned.get("timezone", zone)
    for name in EVENT_TIMES:
        if cleaned.get(name) is not None:
            cleaned[name] = _event_moment(name, cleaned[name], zone)
    return cleaned


def _check_event(event: Event) -> None:
    """The rules that span fields, on the event as it would be saved."""
    if event.ends_at < event.starts_at:
        raise ValidationError({"ends_at": _("The event ends before it starts.")})
    if event.ends_at - event.starts_at > timedelta(days=60):
        raise ValidationError({"ends_at": _("An event lasts at most 60 days.")})
    if not event.in_person and not event.online:
        raise ValidationError({"online": _("An event takes place in person, online, or both.")})
    if event.registration_closes_at is not None and event.registration_closes_at > event.ends_at:
        raise ValidationError(
            {"registration_closes_at": _("Registration cannot close after the event ends.")}
        )
    if event.capacity is not None and event.capacity < event.places_taken:
        raise ValidationError(
            {
                "capacity": _("%(taken)d places are already taken: the capacity cannot be lower.")
                % {"taken": event.places_taken}
            }
        )


def create_event(
    *,
    actor: User,
    owner: Organisation,
    title: str,
    language: str,
    starts_at: datetime,
    ends_at: datetime,
    values: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> Event:
    """Start a draft event (in its organisation's time zone unless ``values`` name one)."""
    language = check_language(language)
    values = {**(values or {}), "title": title, "starts_at": starts_at, "ends_at": ends_at}
    values.setdefault("timezone", timezones.zone_of_slug(owner.slug) or "UTC")
    cleaned = _clean_event_values(values, values["timezone"])
    event = Event(owner=owner, language=language, created_by=actor, **cleaned)
    if not event.languages:
        event.languages = [language]
    _check_event(event)
    for _attempt in range(3):
        event.slug = free_slug(Event, owner, cleaned["title"])
        try:
            with transaction.atomic():
                event.save()
                EventSecret.objects.create(event=event, organisation=owner)
                audit.record(
                    "event.created",
                    actor=actor,
                    organisation=owner,
                    target=event,
                    details={"kind": event.kind},
                    request=request,
                )
        except IntegrityError:
            event.pk = None
            continue
        return event
    raise ValidationError(_("Could not give this event an address; try again."))


def update_event(
    *,
    actor: User,
    event: Event,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Event:
    """Change the event; registrants hear of a change of time or place, and places freed
    by a larger capacity go to the waiting list."""
    values = _clean_event_values(changes, event.timezone)
    with transaction.atomic():
        # Compared with the row as it stands, not the caller's copy: places move meanwhile.
        current = Event.objects.select_for_update().get(pk=event.pk)
        changed = sorted(name for name, value in values.items() if getattr(current, name) != value)
        if not changed:
            current.owner = event.owner
            return current
        if current.status == EventStatus.CANCELLED:
            raise ValidationError(_("A cancelled event can no longer change."))
        if current.status == EventStatus.WITHDRAWN:
            raise ValidationError(_("A withdrawn event can no longer change."))
        candidate = copy.copy(current)
        for name in changed:
            setattr(candidate, name, values[name])
        _check_event(candidate)
        # The whole event moved (postponed, or its times read in another zone): its
        # programme moves with it, else every session keeps the old times. A change of
        # the start or the end alone leaves the sessions where they are, so it must not
        # leave any outside the event.
        shift = candidate.starts_at - current.starts_at
        if not shift or candidate.ends_at - current.ends_at != shift:
            shift = timedelta(0)
        if {"starts_at", "ends_at"} & set(changed):
            _check_programme(candidate, shift)
        saved = [*changed, "updated_at"]
        from haven.events.tasks import REMINDER_AHEAD

        if (
            "starts_at" in changed
            and candidate.reminders_sent_at is not None
            and candidate.starts_at > timezone.now() + REMINDER_AHEAD
        ):
            # Reminded of a start since moved further off: the day before the new one,
            # registrants are reminded again.
            candidate.reminders_sent_at = None
            saved.append("reminders_sent_at")
        if "ends_at" in changed and candidate.anonymised_at is not None:
            # Held again (an old event reused, say): its new registrants are anonymised
            # on the schedule of its new end, as the first ones were.
            candidate.anonymised_at = None
            saved.append("anonymised_at")
        candidate.save(update_fields=saved)
        candidate.owner = event.owner
        access.forget_event(candidate, current.slug)
        programme_moved = (
            Session.objects.filter(event=candidate).update(
                starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift
            )
            if shift
            else 0
        )
        audit.record(
            "event.updated",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={
                "fields": changed,
                **({"sessions_moved": programme_moved} if programme_moved else {}),
            },
            request=request,
        )
        if "capacity" in changed or "waiting_list" in changed:
            _offer_free_places(candidate)
        notify = sorted(NOTIFIED_FIELDS & set(changed))
        if notify and candidate.status == EventStatus.PUBLISHED:
            from haven.events.tasks import send_event_update

            transaction.on_commit(lambda: send_event_update.enqueue(candidate.pk, notify))
        gained = [name for name in ("in_person", "online") if name in changed and values[name]]
        if gained and candidate.status == EventStatus.PUBLISHED:
            _confirm_again(candidate)
    return candidate


def _confirm_again(event: Event) -> None:
    """E-mail the confirmation again to everyone confirmed (inside a transaction): those
    confirmed before the event took place in person, or online, have no ticket, or no
    joining link, yet."""
    again = Registration.objects.filter(
        event=event, status=RegistrationStatus.CONFIRMED, anonymised_at__isnull=True
    ).update(notified_status="")
    if again:
        from haven.events.tasks import dispatch_notices

        dispatch_notices()


def move_event(
    *,
    actor: User,
    event: Event,
    move: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Event:
    """Publish the event, cancel it, or withdraw it from every public page (everyone
    registered is told, with the reason)."""
    if move not in MOVES:
        raise ValidationError({"move": _("Unknown step.")})
    reason = reason.strip()[:500]
    if move == "cancel" and not reason:
        raise ValidationError({"reason": _("Say why the event is cancelled: registrants read it.")})
    if move == "withdraw" and not reason:
        raise ValidationError({"reason": _("Say why the event is withdrawn: registrants read it.")})
    with transaction.atomic():
        event = Event.objects.select_for_update().select_related("owner").get(pk=event.pk)
        if event.status not in MOVES[move]:
            raise ValidationError(
                _("An event that is “%(status)s” cannot take this step.")
                % {"status": EventStatus(event.status).label}
            )
        now = timezone.now()
        if move == "publish":
            event.status, event.published_at = EventStatus.PUBLISHED, now
            event.save(update_fields=["status", "published_at", "updated_at"])
        elif move == "withdraw":
            was_published = event.status == EventStatus.PUBLISHED
            event.status, event.withdrawn_at, event.withdrawal_reason = (
                EventStatus.WITHDRAWN,
                now,
                reason,
            )
            event.save(update_fields=["status", "withdrawn_at", "withdrawal_reason", "updated_at"])
            _end_offers(event)
            # Registrants of a cancelled event were told it will not take place already.
            if was_published:
                from haven.events.tasks import send_event_withdrawn

                withdrawn_id = event.pk
                transaction.on_commit(lambda: send_event_withdrawn.enqueue(withdrawn_id))
        else:
            was_published = event.status == EventStatus.PUBLISHED
            event.status, event.cancelled_at, event.cancel_reason = (
                EventStatus.CANCELLED,
                now,
                reason,
            )
            event.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
            _end_offers(event)
            if was_published:
                from haven.events.tasks import send_event_cancelled

                event_id = event.pk
                transaction.on_commit(lambda: send_event_cancelled.enqueue(event_id))
        access.forget_event(event)
        audit.record(
            f"event.{move}",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"reason": reason} if reason else {},
            request=request,
        )
    return event


def set_text(
    *,
    actor: User,
    event: Event,
    language: str,
    title: str,
    description: str = "",
    request: HttpRequest | None = None,
) -> EventText | None:
    """Add or replace the title and description in one more language; an empty title
    removes that translation. The original language is edited on the event itself."""
    language = check_language(language)
    if language == event.language:
        raise ValidationError({"language": _("This is the event's original language.")})
    title, description = title.strip(), description.strip()
    if len(title) > 300 or len(description) > 20_000:
        raise ValidationError(_("The title or description is too long."))
    with transaction.atomic():
        if not title:
            EventText.objects.filter(event=event, language=language).delete()
            text = None
        else:
            text, _created = EventText.objects.update_or_create(
                event=event,
                language=language,
                defaults={"title": title, "description": description},
            )
        audit.record(
            "event.text_set",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"language": language, "removed": text is None},
            request=request,
        )
    return text


def set_secret(
    *,
    actor: User,
    event: Event,
    meeting_url: str,
    joining_details: str = "",
    request: HttpRequest | None = None,
) -> EventSecret:
    """Set the shared meeting link and joining details that registrants receive."""
    url = _clean_url("meeting_url", meeting_url)
    if len(url) > 1000 or len(joining_details) > 2000:
        raise ValidationError(_("The link or the details are too long."))
    with transaction.atomic():
        secret, _created = EventSecret.objects.get_or_create(
            event=event, defaults={"organisation": event.owner}
        )
        secret.meeting_url, secret.joining_details = url, joining_details.strip()
        secret.save()
        audit.record(
            "event.meeting_link_set",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"has_link": bool(url)},
            request=request,
        )
    return secret


def secret_of(event: Event) -> EventSecret:
    """The event's meeting link and details (created empty when missing)."""
    secret, _created = EventSecret.objects.get_or_create(
        event=event, defaults={"organisation_id": event.owner_id}
    )
    return secret


# --- partners and the programme -----------------------------------------------------------


def add_partner(
    *,
    actor: User,
    event: Event,
    organisation: Organisation,
    role: str,
    request: HttpRequest | None = None,
) -> EventPartner:
    """Name a directory organisation on the event as co-organiser, co-sponsor, …"""
    if role not in PartnerRole.values:
        raise ValidationError({"role": _("Choose one of the roles.")})
    if organisation.pk == event.owner_id:
        raise ValidationError({"organisation": _("The owner organises the event already.")})
    with transaction.atomic():
        position = EventPartner.objects.filter(event=event).count()
        partner, created = EventPartner.objects.get_or_create(
            event=event, organisation=organisation, role=role, defaults={"position": position}
        )
        if created:
            audit.record(
                "event.partner_added",
                actor=actor,
                organisation=event.owner,
                target=event,
                details={"organisation": organisation.pk, "role": role},
                request=request,
            )
    return partner


def remove_partner(
    *, actor: User, event: Event, partner_id: int, request: HttpRequest | None = None
) -> None:
    """Take an organisation off the event."""
    with transaction.atomic():
        deleted, _rows = EventPartner.objects.filter(event=event, pk=partner_id).delete()
        if not deleted:
            raise ValidationError(_("This organisation is not named on the event."))
        audit.record(
            "event.partner_removed",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"partner": partner_id},
            request=request,
        )


def _arrange(
    *,
    actor: User,
    event: Event,
    what: str,
    siblings: Any,
    item_id: int | None = None,
    direction: str = "",
    ids: Sequence[int] | None = None,
    details: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """Move one row up or down, or put them all in the order of ``ids``; audited."""
    with transaction.atomic():
        if ids is not None:
            set_order(siblings, ids)
            moved = True
        else:
            assert item_id is not None
            moved = move_within(siblings, item_id, direction)
        if moved:
            audit.record(
                f"event.{what}_reordered",
                actor=actor,
                organisation=event.owner,
                target=event,
                details={
                    **(details or {}),
                    **({"order": list(ids)} if ids is not None else {}),
                    **({"moved": item_id, "direction": direction} if ids is None else {}),
                },
                request=request,
            )
    return moved


def move_partner(
    *,
    actor: User,
    event: Event,
    partner_id: int,
    direction: str,
    request: HttpRequest | None = None,
) -> bool:
    """Move a partner a place up or down among the partners in the same role."""
    partner = EventPartner.objects.filter(event=event, pk=partner_id).first()
    if partner is None:
        raise ValidationError(_("This organisation is not named on the event."))
    siblings = EventPartner.objects.filter(event=event, role=partner.role).order_by(
        "position", "pk"
    )
    return _arrange(
        actor=actor,
        event=event,
        what="partners",
        siblings=siblings,
        item_id=partner.pk,
        direction=direction,
        request=request,
    )


def order_partners(
    *, actor: User, event: Event, ids: Sequence[int], request: HttpRequest | None = None
) -> None:
    """Put the event's partners in this order (each role keeps its heading, in this order)."""
    siblings = EventPartner.objects.filter(event=event).order_by("role", "position", "pk")
    _arrange(actor=actor, event=event, what="partners", siblings=siblings, ids=ids, request=request)


def save_speaker(
    *,
    actor: User,
    owner: Organisation,
    name: str,
    title: str = "",
    organisation: Organisation | None = None,
    affiliation: str = "",
    speaker: Speaker | None = None,
    request: HttpRequest | None = None,
) -> Speaker:
    """Add a speaker to the owner's list, or correct one."""
    name, title, affiliation = name.strip(), title.strip(), affiliation.strip()
    if not name:
        raise ValidationError({"name": _("Give the speaker's name.")})
    if len(name) > 200 or len(title) > 300 or len(affiliation) > 200:
        raise ValidationError(_("The name, title or organisation is too long."))
    with transaction.atomic():
        if speaker is None:
            speaker = Speaker(owner=owner)
        speaker.name, speaker.title = name, title
        speaker.organisation = organisation
        speaker.affiliation = "" if organisation is not None else affiliation
        created = speaker.pk is None
        speaker.save()
        audit.record(
            "event.speaker_created" if created else "event.speaker_updated",
            actor=actor,
            organisation=owner,
            target=speaker,
            request=request,
        )
    return speaker


def within_event(event: Event, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether a session from ``starts_at`` to ``ends_at`` lies within the event's times."""
    return event.starts_at <= starts_at and ends_at <= event.ends_at


def _check_programme(event: Event, shift: timedelta) -> None:
    """Refuse new times of the event that would leave sessions of its programme outside
    them (each session moved by ``shift``, as a postponement moves the whole programme)."""
    outside = sum(
        1
        for starts_at, ends_at in Session.objects.filter(event=event).values_list(
            "starts_at", "ends_at"
        )
        if not within_event(event, starts_at + shift, ends_at + shift)
    )
    if outside:
        raise ValidationError(
            ngettext(
                "%(count)d session of the programme would fall outside the event's new "
                "times: move it first.",
                "%(count)d sessions of the programme would fall outside the event's new "
                "times: move them first.",
                outside,
            )
            % {"count": outside}
        )


def _clean_session(event: Event, values: Mapping[str, Any]) -> dict[str, Any]:
    kind = values.get("kind", SessionKind.PANEL)
    if kind not in SessionKind.values:
        raise ValidationError({"kind": _("Choose one of the types of session.")})
    title = str(values.get("title") or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the session a title.")})
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if not isinstance(starts_at, datetime) or not isinstance(ends_at, datetime):
        raise ValidationError({"starts_at": _("Give when the session starts and ends.")})
    starts_at = _event_moment("starts_at", starts_at, event.timezone)
    ends_at = _event_moment("ends_at", ends_at, event.timezone)
    if ends_at < starts_at:
        raise ValidationError({"ends_at": _("The session ends before it starts.")})
    if not within_event(event, starts_at, ends_at):
        raise ValidationError({"starts_at": _("The session must lie within the event's times.")})
    description = str(values.get("description") or "").strip()
    room = str(values.get("room") or "").strip()
    if len(title) > 300 or len(description) > 5000 or len(room) > 100:
        raise ValidationError(_("The title, description or room is too long."))
    return {
        "kind": kind,
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "room": room,
    }


def save_session(
    *,
    actor: User,
    event: Event,
    values: Mapping[str, Any],
    session: Session | None = None,
    request: HttpRequest | None = None,
) -> Session:
    """Add a session to the programme, or change one."""
    cleaned = _clean_session(event, values)
    with transaction.atomic():
        if session is None:
            session = Session(event=event)
        for name, value in cleaned.items():
            setattr(session, name, value)
        created = session.pk is None
        session.save()
        audit.record(
            "event.session_added" if created else "event.session_updated",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"session": session.pk},
            request=request,
        )
    return session


def remove_session(
    *, actor: User, event: Event, session: Session, request: HttpRequest | None = None
) -> None:
    """Take a session out of the programme."""
    with transaction.atomic():
        session_id = session.pk
        session.delete()
        audit.record(
            "event.session_removed",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"session": session_id},
            request=request,
        )


def add_session_speaker(
    *,
    actor: User,
    session: Session,
    speaker: Speaker,
    role: str = SpeakerRole.SPEAKER,
    talk_title: str = "",
    request: HttpRequest | None = None,
) -> SessionSpeaker:
    """Put one of the owner's speakers in a session, in a role, with a talk title."""
    event = session.event
    if speaker.owner_id != event.owner_id:
        raise ValidationError({"speaker": _("Choose one of your organisation's speakers.")})
    if role not in SpeakerRole.values:
        raise ValidationError({"role": _("Choose one of the roles.")})
    talk_title = talk_title.strip()
    if len(talk_title) > 300:
        raise ValidationError({"talk_title": _("At most 300 characters, please.")})
    with transaction.atomic():
        position = SessionSpeaker.objects.filter(session=session).count()
        try:
            with transaction.atomic():
                placed = SessionSpeaker.objects.create(
                    session=session,
                    speaker=speaker,
                    role=role,
                    talk_title=talk_title,
                    position=position,
                )
        except IntegrityError as error:
            raise ValidationError(
                {"speaker": _("This speaker already has this role in the session.")}
            ) from error
        audit.record(
            "event.session_speaker_added",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"session": session.pk, "speaker": speaker.pk, "role": role},
            request=request,
        )
    return placed


def remove_session_speaker(
    *, actor: User, session: Session, placement_id: int, request: HttpRequest | None = None
) -> None:
    """Take a speaker out of a session."""
    with transaction.atomic():
        deleted, _rows = SessionSpeaker.objects.filter(session=session, pk=placement_id).delete()
        if not deleted:
            raise ValidationError(_("This speaker is not in the session."))
        audit.record(
            "event.session_speaker_removed",
            actor=actor,
            organisation=session.event.owner,
            target=session.event,
            details={"session": session.pk, "placement": placement_id},
            request=request,
        )


def move_session_speaker(
    *,
    actor: User,
    session: Session,
    placement_id: int,
    direction: str,
    request: HttpRequest | None = None,
) -> bool:
    """Move a speaker a place up or down in the session's list."""
    if not SessionSpeaker.objects.filter(session=session, pk=placement_id).exists():
        raise ValidationError(_("This speaker is not in the session."))
    return _arrange(
        actor=actor,
        event=session.event,
        what="session_speakers",
        siblings=SessionSpeaker.objects.filter(session=session).order_by("position", "pk"),
        item_id=placement_id,
        direction=direction,
        details={"session": session.pk},
        request=request,
    )


def order_session_speakers(
    *, actor: User, session: Session, ids: Sequence[int], request: HttpRequest | None = None
) -> None:
    """Put the session's speakers in this order (ids of their placements)."""
    _arrange(
        actor=actor,
        event=session.event,
        what="session_speakers",
        siblings=SessionSpeaker.objects.filter(session=session).order_by("position", "pk"),
        ids=ids,
        details={"session": session.pk},
        request=request,
    )


# --- registration questions and invitation codes ------------------------------------------


def save_question(
    *,
    actor: User,
    event: Event,
    label: str,
    kind: str = QuestionKind.TEXT,
    required: bool = False,
    help_text: str = "",
    choices: str = "",
    show_at_door: bool = False,
    question: Question | None = None,
    request: HttpRequest | None = None,
) -> Question:
    """Add a question to the registration form, or change one."""
    label, help_text = label.strip(), help_text.strip()
    if not label:
        raise ValidationError({"label": _("Write the question.")})
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Choose one of the types of answer.")})
    if len(label) > 200 or len(help_text) > 300 or len(choices) > 5000:
        raise ValidationError(_("The question, its help or its choices are too long."))
    lines = choice_lines(choices)
    if kind == QuestionKind.CHOICE and len(lines) < 2:
        raise ValidationError({"choices": _("Give at least two choices, one per line.")})
    if kind == QuestionKind.LANGUAGE and not event.interpretation:
        raise ValidationError(
            {"kind": _("Say first which languages are interpreted, on the event itself.")}
        )
    if question is not None:
        _check_question_change(event, question, kind, lines)
    with transaction.atomic():
        if question is None:
            question = Question(event=event, position=Question.objects.filter(event=event).count())
        question.label, question.kind, question.required = label, kind, bool(required)
        # Translated choices match the original line for line: a changed list unmatches them.
        rewritten = question.pk is not None and question.choice_list() != lines
        question.help_text, question.choices = help_text, "\n".join(lines)
        question.show_at_door = bool(show_at_door)
        created = question.pk is None
        question.save()
        if rewritten:
            QuestionText.objects.filter(question=question).update(choices="")
        access.forget_event(event)
        audit.record(
            "event.question_added" if created else "event.question_updated",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"question": question.pk},
            request=request,
        )
    return question


def set_question_text(
    *,
    actor: User,
    event: Event,
    question: Question,
    language: str,
    label: str,
    help_text: str = "",
    choices: str = "",
    request: HttpRequest | None = None,
) -> QuestionText | None:
    """Add or replace a question's wording, help and choices in one of the event's
    languages; an empty wording removes that translation."""
    language = check_language(language)
    if language not in access.translation_languages(event):
        raise ValidationError(
            {
                "language": _(
                    "Translate the question into a language of the event or of its "
                    "translations, other than its original language."
                )
            }
        )
    label, help_text = label.strip(), help_text.strip()
    if len(label) > 200 or len(help_text) > 300 or len(choices) > 5000:
        raise ValidationError(_("The question, its help or its choices are too long."))
    lines = choice_lines(choices)
    originals = question.choice_list()
    if lines and question.kind != QuestionKind.CHOICE:
        raise ValidationError({"choices": _("Only a question with a list of choices has them.")})
    if lines and len(lines) != len(originals):
        raise ValidationError(
            {
                "choices": ngettext(
                    "Give %(count)d choice, one per line, in the order of the original.",
                    "Give %(count)d choices, one per line, in the order of the original.",
                    len(originals),
                )
                % {"count": len(originals)}
            }
        )
    with transaction.atomic():
        if not label:
            QuestionText.objects.filter(question=question, language=language).delete()
            text = None
        else:
            text, _created = QuestionText.objects.update_or_create(
                question=question,
                language=language,
                defaults={"label": label, "help_text": help_text, "choices": "\n".join(lines)},
            )
        access.forget_event(event)
        audit.record(
            "event.question_text_set",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"question": question.pk, "language": language, "removed": text is None},
            request=request,
        )
    return text


def _check_question_change(event: Event, question: Question, kind: str, lines: list[str]) -> None:
    """Keep the answers already given meaningful: once someone has answered, the type of
    answer stays, and a choice someone picked stays on the list (the wording of the
    question, its help, whether it is required and shown at the door may change)."""
    dropped = [choice for choice in question.choice_list() if choice not in lines]
    if kind == question.kind and not (kind == QuestionKind.CHOICE and dropped):
        return
    given = access.answers_to(event, question)
    if kind != question.kind and given:
        raise ValidationError(
            {
                "kind": _(
                    "Registrants have answered this question (%(count)d so far), so its type "
                    "of answer cannot change. Add a new question instead."
                )
                % {"count": sum(given.values())}
            }
        )
    chosen = [choice for choice in dropped if given.get(choice)]
    if chosen:
        raise ValidationError(
            {
                "choices": _(
                    "Registrants chose %(choices)s: keep these choices. You may add choices, "
                    "change their order, or reword the question."
                )
                % {"choices": ", ".join(f"“{choice}”" for choice in chosen)}
            }
        )


def move_question(
    *,
    actor: User,
    event: Event,
    question_id: int,
    direction: str,
    request: HttpRequest | None = None,
) -> bool:
    """Move a question a place up or down on the registration form."""
    if not Question.objects.filter(event=event, pk=question_id).exists():
        raise ValidationError(_("This question is not on the form."))
    return _arrange(
        actor=actor,
        event=event,
        what="questions",
        siblings=Question.objects.filter(event=event).order_by("position", "pk"),
        item_id=question_id,
        direction=direction,
        request=request,
    )


def order_questions(
    *, actor: User, event: Event, ids: Sequence[int], request: HttpRequest | None = None
) -> None:
    """Put the registration form's questions in this order."""
    _arrange(
        actor=actor,
        event=event,
        what="questions",
        siblings=Question.objects.filter(event=event).order_by("position", "pk"),
        ids=ids,
        request=request,
    )


def remove_question(
    *, actor: User, event: Event, question_id: int, request: HttpRequest | None = None
) -> None:
    """Stop asking a question (answers already given stay with the registrations)."""
    with transaction.atomic():
        deleted, _rows = Question.objects.filter(event=event, pk=question_id).delete()
        if not deleted:
            raise ValidationError(_("This question is not on the form."))
        access.forget_event(event)
        audit.record(
            "event.question_removed",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"question": question_id},
            request=request,
        )


def create_invitation_code(
    *,
    actor: User,
    event: Event,
    label: str = "",
    uses_allowed: int = 1,
    request: HttpRequest | None = None,
) -> InvitationCode:
    """A new code for invitees of an invitation-only event."""
    uses_allowed = _bounded_int(
        "uses_allowed", uses_allowed, 1, 10_000, _("Give a number of uses from 1 to 10,000.")
    )
    for _attempt in range(3):
        try:
            with transaction.atomic():
                code = InvitationCode.objects.create(
                    event=event,
                    code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
                    label=label.strip()[:200],
                    uses_allowed=uses_allowed,
                )
                audit.record(
                    "event.invitation_code_created",
                    actor=actor,
                    organisation=event.owner,
                    target=event,
                    details={"code": code.pk, "uses_allowed": uses_allowed},
                    request=request,
                )
        except IntegrityError:
            # The event has this code already (in any case): draw another.
            continue
        return code
    raise ValidationError(_("Could not make a new code; try again."))


def revoke_invitation_code(
    *, actor: User, event: Event, code_id: int, request: HttpRequest | None = None
) -> None:
    """Stop a code from registering anyone more (registrations made with it stay)."""
    with transaction.atomic():
        updated = InvitationCode.objects.filter(
            event=event, pk=code_id, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not updated:
            raise ValidationError(_("This code is unknown or already revoked."))
        audit.record(
            "event.invitation_code_revoked",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"code": code_id},
            request=request,
        )


# --- public registration -------------------------------------------------------------------


def email_key(event_id: int, address: str) -> str:
    """The keyed digest that makes one address one registration per event."""
    return salted_hmac(
        "haven.events.email", f"{event_id}:{normalise_email(address)}", algorithm="sha256"
    ).hexdigest()


def clean_answers(
    event: Event, answers: Mapping[str, Any], questions: Sequence[Question] | None = None
) -> dict[str, str]:
    """The answers to the event's questions (given, or read now), checked one by one (keys:
    question ids)."""
    if questions is None:
        questions = list(Question.objects.filter(event=event))
    known = {str(question.pk) for question in questions}
    unknown = sorted(set(map(str, answers)) - known)
    if unknown:
        raise ValidationError({"answers": _("Answers to questions this form does not ask.")})
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for question in questions:
        key = str(question.pk)
        raw = answers.get(key, answers.get(question.pk, ""))  # type: ignore[call-overload]
        value = "" if raw is None else str(raw).strip()
        if question.kind == QuestionKind.YES_NO:
            value = {"true": "yes", "1": "yes", "on": "yes", "false": "no", "0": "no"}.get(
                value.lower(), value.lower()
            )
            if value and value not in ("yes", "no"):
                errors[f"question_{key}"] = _("Answer yes or no.")
                continue
        if question.required and not value:
            errors[f"question_{key}"] = _("Please answer this question.")
            continue
        limit = 2000 if question.kind == QuestionKind.LONG_TEXT else 300
        if len(value) > limit:
            errors[f"question_{key}"] = _("At most %(limit)d characters, please.") % {
                "limit": limit
            }
            continue
        if value and question.kind == QuestionKind.CHOICE and value not in question.choice_list():
            errors[f"question_{key}"] = _("Choose one of the answers offered.")
            continue
        if value and question.kind == QuestionKind.LANGUAGE and value not in event.interpretation:
            errors[f"question_{key}"] = _("Choose one of the languages interpreted.")
            continue
        if value:
            cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


@dataclass(frozen=True)
class Registered:
    """What a registration did: the rows made, or nothing for an address already registered."""

    registrations: list[Registration]
    status: str

    @property
    def booker(self) -> Registration | None:
        return self.registrations[0] if self.registrations else None


@cache
def _places_update(alias: str) -> str:
    """The conditional UPDATE that takes places (parameters: count, event id, count)."""
    # Written out, once per database: it runs on every registration, and building it
    # through the ORM cost a quarter of the registration's time (bench/registration_rush.py).
    quote = connections[alias].ops.quote_name
    table, taken, capacity, pk = (
        quote(name)
        for name in (
            Event._meta.db_table,
            Event._meta.get_field("places_taken").column,
            Event._meta.get_field("capacity").column,
            Event._meta.pk.column,
        )
    )
    return (
        f"UPDATE {table} SET {taken} = {taken} + %s "  # noqa: S608
        f"WHERE {pk} = %s AND ({capacity} IS NULL OR {capacity} >= {taken} + %s)"
    )


def _take_places(event: Event, count: int) -> bool:
    """Take ``count`` places if they are free; one conditional UPDATE, exact under races."""
    with connection.cursor() as cursor:
        cursor.execute(_places_update(connection.alias), [count, event.pk, count])
        return bool(cursor.rowcount == 1)


def _in_one_statement(event: Event) -> bool:
    """Whether the rows and their places go in as one statement (PostgreSQL, no code, and a
    registration that can always go in: no capacity, or a waiting list)."""
    return (
        connection.vendor == "postgresql"
        and event.visibility != Visibility.INVITATION
        and (event.capacity is None or event.waiting_list)
    )


# Each row's status and confirmation time come from whether the statement's UPDATE took
# the places (a row in ``taken``): confirmed then, waiting otherwise.
_STATUS_FROM_PLACES = (
    ("status", "COALESCE((SELECT %s FROM taken), %s)"),
    ("confirmed_at", "(SELECT CAST(%s AS timestamp with time zone) FROM taken)"),
)


@cache
def _registration_statement(alias: str, count: int) -> tuple[InsertStatement, str]:
    """The INSERT of ``count`` registrations taking their places, and its SQL, built once."""
    statement = insert_statement(Registration, count, alias, computed=_STATUS_FROM_PLACES)
    database = connections[alias]
    status_column = database.ops.quote_name(Registration._meta.get_field("status").column)
    places = _places_update(alias)
    sql = f"WITH taken AS ({places} RETURNING 1) {statement.sql} RETURNING {status_column}"
    return statement, sql


def _insert_taking_places(event: Event, rows: list[Registration], now: datetime) -> str:
    """Insert the rows and take their places in one statement; the status they got.

    PostgreSQL runs a statement with a data-modifying WITH as one transaction: the places
    are taken and the rows written together or not at all (a repeated address fails on
    its unique index and takes nothing), the event's row is locked only inside the
    server, and a registration costs one round trip instead of four (BEGIN, UPDATE,
    INSERT, COMMIT).
    """
    # The wrapper itself rather than the ``connection`` proxy, which looks it up again on
    # every attribute read: each value's preparation reads a few.
    database = connections[DEFAULT_DB_ALIAS]
    count = len(rows)
    statement, sql = _registration_statement(database.alias, count)
    params: list[Any] = [count, event.pk, count]
    for row in rows:
        params += statement.values(row, database)
        params += [RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITING.value, now]
    # Inside a caller's transaction (a test, an import) a savepoint keeps a refused INSERT
    # from aborting it.
    with (
        transaction.atomic() if database.in_atomic_block else nullcontext(),
        parameter_cursor(database) as cursor,
    ):
        cursor.execute(sql, params)
        status = str(cursor.fetchone()[0])
    mark_inserted(rows, database.alias)
    for row in rows:
        row.status = status
        row.confirmed_at = now if status == RegistrationStatus.CONFIRMED else None
    return status


def _use_invitation(event: Event, code: str, count: int) -> InvitationCode:
    code = access.clean_invitation_code(code)
    if not code:
        raise ValidationError({"code": _("This event is by invitation: give your code.")})
    # Matched in any case, through the unique index on the event and the code in capitals.
    invitation = (
        InvitationCode.objects.alias(normalised=Upper("code"))
        .filter(event=event, normalised=code, revoked_at__isnull=True)
        .first()
    )
    if invitation is None or not InvitationCode.objects.filter(
        pk=invitation.pk, uses__lte=F("uses_allowed") - count
    ).update(uses=F("uses") + count):
        raise ValidationError({"code": _("This code is not valid, or has been used up.")})
    return invitation


def _new_registration(event: Event, language: str, group: Any, booker: bool) -> Registration:
    registration = Registration(
        event=event,
        organisation_id=event.owner_id,
        group=group,
        booker=booker,
        language=language,
        link_nonce=secrets.token_hex(8),
    )
    registration.ticket_digest = access.ticket_digest(access.ticket_code(registration))
    return registration


def _insert_in_transaction(event: Event, rows: list[Registration], code: str) -> str:
    """Use the invitation code, insert the rows and take their places in one transaction;
    the status they got."""
    count = len(rows)
    looks_full = event.capacity is not None and event.places_taken + count > event.capacity
    with transaction.atomic():
        invitation = (
            _use_invitation(event, code, count)
            if event.visibility == Visibility.INVITATION
            else None
        )
        now = timezone.now()
        for row in rows:
            row.invitation = invitation
        if looks_full and event.waiting_list:
            # Once an event is full nearly every registration waits: asking for the
            # places first is then usually refused at once, without taking the event's
            # row lock, and the rows go in once, with their status (one statement less).
            # The event may be stale (held for registering): a place freed meanwhile is
            # still taken here, only with the row locked a little longer.
            status = (
                RegistrationStatus.CONFIRMED
                if _take_places(event, count)
                else RegistrationStatus.WAITING
            )
            for row in rows:
                row.status = status
                row.confirmed_at = now if status == RegistrationStatus.CONFIRMED else None
            insert_rows(rows)
        else:
            # The rows go in as confirmed first, and the event's row is locked last, by
            # the conditional UPDATE: registrations for one event then wait on each other
            # only for that UPDATE and the COMMIT, and a repeated address fails before it
            # waits.
            for row in rows:
                row.status, row.confirmed_at = RegistrationStatus.CONFIRMED, now
            insert_rows(rows)
            if _take_places(event, count):
                status = RegistrationStatus.CONFIRMED
            elif event.waiting_list:
                status = RegistrationStatus.WAITING
                Registration.objects.filter(pk__in=[row.pk for row in rows]).update(
                    status=status, confirmed_at=None
                )
                for row in rows:
                    row.status, row.confirmed_at = status, None
            else:
                raise ValidationError(_full_message(event))
    return status


def _full_message(event: Event) -> str:
    """Why a registration without a waiting list found no places: the event is full, or
    the group is larger than the places left (which registering fewer people would take)."""
    left = access.places_left(event) or 0
    if not left:
        return _("The event is full.")
    return ngettext(
        "Only %(count)d place is left: register fewer people.",
        "Only %(count)d places are left: register fewer people.",
        left,
    ) % {"count": left}


def register(
    *,
    event: Event,
    name: str,
    email: str,
    answers: Mapping[str, Any] | None = None,
    companions: Sequence[str] = (),
    code: str = "",
    language: str = "en",
    questions: Sequence[Question] | None = None,
) -> Registered:
    """Register someone, and the people they bring, confirmed or on the waiting list.

    An address already registered for the event gets its own registration e-mailed again
    and nothing is added; the caller answers the same either way, so nobody learns who
    registered. ``questions`` are the event's, when the caller holds them already.
    """
    if not access.accepts_registrations(event):
        raise ValidationError(_("Registration for this event is closed."))
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError({"name": _("Give your name (at most 200 characters).")})
    names = [companion.strip() for companion in companions if companion.strip()]
    if len(names) + 1 > event.group_size:
        raise ValidationError(
            {
                "companions": _("One registration brings at most %(size)d people.")
                % {"size": event.group_size}
            }
        )
    if any(len(companion) > 200 for companion in names):
        raise ValidationError({"companions": _("A name has at most 200 characters.")})
    # The e-mails go out in it (in English when Haven has no translation into it); the API
    # passes whatever it was sent.
    if not is_language_code(language):
        raise ValidationError({"language": _("Unknown language.")})
    cleaned = clean_answers(event, answers or {}, questions)
    group = Registration._meta.get_field("group").get_default()
    key = email_key(event.pk, email)
    from haven.events.tasks import dispatch_notices, send_existing_registration

    rows = []
    for position, person in enumerate([name, *names]):
        row = _new_registration(event, language, group, booker=position == 0)
        row.email_key = key if position == 0 else ""
        row.set_personal(
            name=person,
            email=email if position == 0 else "",
            answers=cleaned if position == 0 else {},
        )
        rows.append(row)
    try:
        if _in_one_statement(event):
            status = _insert_taking_places(event, rows, timezone.now())
        else:
            status = _insert_in_transaction(event, rows, code)
    except IntegrityError:
        transaction.on_commit(lambda: send_existing_registration.enqueue(event.pk, key))
        return Registered([], "")
    # A group larger than the places left waits, and the places it could not fill go to
    # the waiting list at once, person by person and oldest first (this group's people
    # among them): else someone registering alone later took them ahead of everyone
    # waiting.
    if status == RegistrationStatus.WAITING and len(rows) > 1 and _offer_places_left(event):
        for row in rows:
            row.refresh_from_db(fields=["status", "offer_expires_at"])
    dispatch_notices()
    return Registered(rows, status)


def _offer_free_places(event: Event) -> int:
    """Offer the free places to the waiting list, oldest first (inside a transaction); none
    once the event is over, and no offer outlives the event."""
    offered = 0
    now = timezone.now()
    if event.ends_at <= now:
        return 0
    expires = min(now + timedelta(hours=event.offer_hours), event.ends_at)
    while True:
        waiting = (
            Registration.objects.select_for_update()
            .filter(event=event, status=RegistrationStatus.WAITING)
            .order_by("created_at", "pk")
            .first()
        )
        if waiting is None or not _take_places(event, 1):
            break
        Registration.objects.filter(pk=waiting.pk).update(
            status=RegistrationStatus.OFFERED,
            offer_expires_at=expires,
            notified_status="",
        )
        offered += 1
    if offered:
        from haven.events.tasks import dispatch_notices

        dispatch_notices()
    return offered


def _offer_places_left(event: Event) -> int:
    """Offer the event's free places to its waiting list, if it has one and is on; how many."""
    with transaction.atomic():
        current = Event.objects.select_for_update().get(pk=event.pk)
        if current.waiting_list and current.status == EventStatus.PUBLISHED:
            return _offer_free_places(current)
    return 0


def _release(event: Event, registrations: Iterable[Registration], status: str) -> int:
    """Move registrations to a final status, give back the places they held, offer them."""
    chosen = [row.pk for row in registrations]
    now = timezone.now()
    # An offer expires only if still an offer: not one accepted since the caller read it.
    statuses = (
        (RegistrationStatus.OFFERED,) if status == RegistrationStatus.EXPIRED else access.ACTIVE
    )
    with transaction.atomic():
        rows = list(
            Registration.objects.select_for_update()
            # Not one the door admitted since the caller read it.
            .filter(pk__in=chosen, status__in=statuses, checked_in_at__isnull=True)
            .order_by("pk")
        )
        holding = sum(1 for row in rows if row.status in HOLDS_PLACE)
        Registration.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=status, cancelled_at=now, notified_status=""
        )
        # Each row registered with a code took one of its uses; only an active row gives it
        # back (these rows leave the active statuses here, once), so an invitee who
        # cancelled by mistake can register again with their code. Relative updates, as
        # registering with the code takes its uses: exact under concurrency.
        uses = Counter(row.invitation_id for row in rows if row.invitation_id is not None)
        for code_id, given_back in uses.items():
            InvitationCode.objects.filter(pk=code_id, uses__gte=given_back).update(
                uses=F("uses") - given_back
            )
        if holding:
            Event.objects.filter(pk=event.pk).update(places_taken=F("places_taken") - holding)
        if holding or rows:
            _offer_places_left(event)
    if rows:
        from haven.events.tasks import dispatch_notices

        dispatch_notices()
    return len(rows)


def cancel_registrations(
    *,
    event: Event,
    registrations: Sequence[Registration],
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Cancel registrations (the registrant through their link, or the owner); the freed
    places are offered to the waiting list at once. How many were cancelled."""
    if any(row.event_id != event.pk for row in registrations):
        raise ValidationError(_("These registrations are not all for this event."))
    # Whoever came in used their place and keeps it: cancelling a group whose booker is
    # inside cancels the others who did not come.
    remaining = [row for row in registrations if row.checked_in_at is None]
    if registrations and not remaining:
        raise ValidationError(_("Someone who came in cannot cancel any more."))
    count = _release(event, remaining, RegistrationStatus.CANCELLED)
    if actor is not None and count:
        audit.record(
            "event.registrations_cancelled",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"count": count},
            request=request,
        )
    return count


def _end_offers(event: Event) -> int:
    """Put the people offered a place of an event called off (cancelled or withdrawn) back
    on its waiting list and give the places back (inside that transaction); how many.

    Everyone else's registration stays as it was, and every active booker, these included,
    hears of the cancellation in the one e-mail that says why: no e-mail of its own (the
    row counts as told), as no confirmed registrant gets one either.
    """
    ended = Registration.objects.filter(event=event, status=RegistrationStatus.OFFERED).update(
        status=RegistrationStatus.WAITING,
        offer_expires_at=None,
        notified_status=RegistrationStatus.WAITING,
    )
    if ended:
        Event.objects.filter(pk=event.pk).update(places_taken=F("places_taken") - ended)
        event.places_taken -= ended
    return ended


def accept_offer(*, registration: Registration) -> bool:
    """The registrant takes the place offered from the waiting list before it expires,
    while the event is on."""
    now = timezone.now()
    # The event's status in the same UPDATE: an offer cannot be taken once the event is
    # called off, however the two race (calling it off ends the offers too: _end_offers).
    updated = Registration.objects.filter(
        pk=registration.pk,
        status=RegistrationStatus.OFFERED,
        offer_expires_at__gt=now,
        event__status=EventStatus.PUBLISHED,
    ).update(status=RegistrationStatus.CONFIRMED, confirmed_at=now, notified_status="")
    if not updated:
        status = Event.objects.filter(pk=registration.event_id).values_list("status", flat=True)
        if status.first() != EventStatus.PUBLISHED:
            raise ValidationError(
                _("This event will not take place: the place can no longer be taken.")
            )
        raise ValidationError(_("This offer is no longer open."))
    from haven.events.tasks import dispatch_notices

    dispatch_notices()
    return True


def expire_offers(now: datetime | None = None) -> int:
    """Give the places of unanswered offers to the next people waiting; how many expired."""
    moment = now or timezone.now()
    expired = 0
    overdue = (
        Registration.objects.filter(status=RegistrationStatus.OFFERED, offer_expires_at__lte=moment)
        .select_related("event")
        .order_by("offer_expires_at")
    )
    by_event: dict[int, list[Registration]] = {}
    for row in overdue:
        by_event.setdefault(row.event_id, []).append(row)
    for rows in by_event.values():
        expired += _release(rows[0].event, rows, RegistrationStatus.EXPIRED)
    return expired


def revoke_link(
    *,
    actor: User,
    registration: Registration,
    request: HttpRequest | None = None,
) -> Registration:
    """Revoke the registrant's personal link and ticket (forwarded, say) and, while the event
    is on, send new ones."""
    with transaction.atomic():
        # Locked as calling the event off locks it: the two never cross.
        status = (
            Event.objects.select_for_update()
            .filter(pk=registration.event_id)
            .values_list("status", flat=True)
            .get()
        )
        # A cancelled or withdrawn event: the old link stops working, but nobody is sent a
        # new ticket or link for an event that will not take place.
        send = status == EventStatus.PUBLISHED
        registration.link_nonce = secrets.token_hex(8)
        registration.ticket_digest = access.ticket_digest(access.ticket_code(registration))
        registration.link_revoked_at = timezone.now()
        saved = ["link_nonce", "ticket_digest", "link_revoked_at"]
        if send:
            registration.notified_status = ""
            saved.append("notified_status")
        registration.save(update_fields=saved)
        audit.record(
            "event.registration_link_revoked",
            actor=actor,
            organisation=registration.event.owner,
            target=registration.event,
            details={"registration": str(registration.pk), "sent": send},
            request=request,
        )
    if send:
        from haven.events.tasks import dispatch_notices

        dispatch_notices()
    return registration


# --- the door ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    """What the door is told about one scan."""

    result: str
    registration: Registration | None
    checked_in_at: datetime | None = None

    @property
    def admitted(self) -> bool:
        return self.result == CheckInResult.ADMITTED


def _scan_time(event: Event, scanned_at: datetime | None, now: datetime) -> datetime:
    """When the door scanned the ticket, as its phone says, if that can be true; else now.

    A time without a zone is the event's wall-clock time, as the door shows its times. A
    scan cannot come from the future, nor from before the door could open for the event: the
    door lists an event from ``access.DOOR_DAYS_AHEAD`` days before it starts, so an
    earlier time is a phone's wrong clock (or a made-up one, year 1 say, which would not
    even fit the database in UTC), and the moment the server hears of it is closer to the
    truth. Not the registration's creation: a phone clock a few minutes slow would then
    lose the time of every offline scan of people who registered that morning.
    """
    if scanned_at is None:
        return now
    if timezone.is_naive(scanned_at):
        scanned_at = scanned_at.replace(tzinfo=zoneinfo.ZoneInfo(event.timezone))
    earliest = event.starts_at - timedelta(days=access.DOOR_DAYS_AHEAD)
    return scanned_at if earliest <= scanned_at <= now else now


def check_in(
    *,
    actor: User,
    event: Event,
    code: str = "",
    registration: Registration | None = None,
    id_checked: bool = False,
    scanned_at: datetime | None = None,
    offline: bool = False,
    request: HttpRequest | None = None,
) -> CheckIn:
    """Admit the holder of a ticket (scanned, or found by name), or say why not.

    Refuses unknown, cancelled, waiting and already used tickets, and, where the event
    asks for it, a ticket whose holder's ID or press card was not checked.
    """
    moment = _scan_time(event, scanned_at, timezone.now())
    found = registration if registration is not None else access.registration_by_ticket(event, code)
    if found is None or found.event_id != event.pk:
        result = CheckInResult.UNKNOWN
        found = None
    elif found.status in (RegistrationStatus.CANCELLED, RegistrationStatus.EXPIRED):
        result = CheckInResult.CANCELLED
    elif found.status != RegistrationStatus.CONFIRMED:
        result = CheckInResult.NOT_CONFIRMED
    elif found.checked_in_at is not None:
        result = CheckInResult.ALREADY
    elif event.id_check and not id_checked:
        result = CheckInResult.ID_REQUIRED
    else:
        result = CheckInResult.ADMITTED
    with transaction.atomic():
        if result == CheckInResult.ADMITTED and found is not None:
            admitted = Registration.objects.filter(
                pk=found.pk, status=RegistrationStatus.CONFIRMED, checked_in_at__isnull=True
            ).update(checked_in_at=moment, checked_in_by=actor, id_checked=bool(id_checked))
            if admitted:
                found.checked_in_at, found.id_checked = moment, bool(id_checked)
                audit.record(
                    "event.checked_in",
                    actor=actor,
                    organisation=event.owner,
                    target=event,
                    details={"registration": str(found.pk), "offline": offline},
                    request=request,
                )
            else:
                # Another door admitted it between our read and our write.
                result = CheckInResult.ALREADY
                found.refresh_from_db(fields=["checked_in_at", "status"])
        CheckInAttempt.objects.create(
            event=event,
            registration=found,
            result=result,
            by=actor,
            scanned_at=moment,
            offline=offline,
        )
    return CheckIn(result, found, found.checked_in_at if found is not None else None)


# --- after the event ------------------------------------------------------------------------


def note_export(
    *,
    actor: User,
    event: Event,
    rows: int,
    file_format: str,
    request: HttpRequest | None = None,
) -> None:
    """Record that the owner exported the registrants (personal data)."""
    audit.record(
        "event.registrations_exported",
        actor=actor,
        organisation=event.owner,
        target=event,
        details={"rows": rows, "format": file_format},
        request=request,
    )


def anonymisation_due(event: Event) -> datetime | None:
    """When the event's registrants are to be anonymised: the set days after it ends."""
    if event.status == EventStatus.DRAFT:
        return None
    try:
        return event.ends_at + timedelta(days=event.anonymise_after_days)
    except OverflowError:
        # An end at the calendar's edge, saved before such dates were refused: never due.
        return None


def anonymise_event(*, event: Event, actor: User | None = None) -> int:
    """Blank every registrant's name, address and answers, and whom each invitation code
    was for (a registration keeps its code); counts and attendance stay."""
    now = timezone.now()
    with transaction.atomic():
        count = Registration.objects.filter(event=event, anonymised_at__isnull=True).update(
            personal="", email_key="", anonymised_at=now
        )
        InvitationCode.objects.filter(event=event).exclude(label="").update(label="")
        Event.objects.filter(pk=event.pk).update(anonymised_at=now)
        audit.record(
            "event.registrations_anonymised",
            actor=actor,
            organisation=event.owner,
            target=event,
            details={"count": count},
        )
    return count
