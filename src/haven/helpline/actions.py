"""Every change to helpline calls: logging one, correcting it, closing its follow-up."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from haven.casework.actions import lock_person, note_activity, refresh_first_activity, whose
from haven.casework.models import Person
from haven.dates import follow_up_problem
from haven.helpline.models import CallChannel, CallerType, CallOutcome, CallTopic, HelplineCall
from haven.organisations.languages import validate_language_codes
from haven.privacy import audit

if TYPE_CHECKING:
    from haven.accounts.models import User
    from haven.organisations.models import Organisation

MAX_DURATION_MINUTES = 600
MAX_NOTES = 5_000
# Clocks drift and operators round; an hour ahead is a typo, not a call.
MAX_AHEAD = datetime.timedelta(hours=1)
EARLIEST_START = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)

# A correction may leave these as they are, but not empty them (a duration may become
# unknown).
REQUIRED_FIELDS = ("started_at", "channel", "caller_type", "outcome")
EDITABLE_FIELDS = (
    "started_at",
    "duration_minutes",
    "channel",
    "language",
    "caller_type",
    "topics",
    "outcome",
    "follow_up_on",
    "follow_up_done",
    "person",
    "notes",
)


def minutes_since(started_at: datetime.datetime) -> int | None:
    """Whole minutes from ``started_at`` to now (rounded up), the call's length when the form
    was opened as the call began; None (unknown) beyond 600 minutes rather than a guess."""
    minutes = max(0, math.ceil((timezone.now() - started_at).total_seconds() / 60))
    return minutes if minutes <= MAX_DURATION_MINUTES else None


def _check(
    values: Mapping[str, Any], organisation: Organisation, call: HelplineCall | None = None
) -> dict[str, Any]:
    """The values, cleaned, or a ValidationError naming every field that is wrong, a newly
    linked person without casework consent included.

    ``call`` is the call being corrected, whose start, follow-up and person stand for those
    the values leave as they are.
    """
    errors: dict[str, str] = {
        name: _("This field cannot be empty.")
        for name in REQUIRED_FIELDS
        if name in values and values[name] is None
    }
    values = {name: value for name, value in values.items() if name not in errors}
    cleaned = dict(values)
    if "started_at" in values:
        started_at = values["started_at"]
        if not isinstance(started_at, datetime.datetime):
            errors["started_at"] = _("Give the date and time the call started.")
        else:
            if timezone.is_naive(started_at):
                started_at = timezone.make_aware(started_at)
                cleaned["started_at"] = started_at
            if started_at > timezone.now() + MAX_AHEAD:
                errors["started_at"] = _("A call cannot start more than an hour from now.")
            elif started_at < EARLIEST_START:
                errors["started_at"] = _("Give a start time after the year 2000.")
    if "duration_minutes" in values and values["duration_minutes"] is not None:
        duration = values["duration_minutes"]
        if (
            not isinstance(duration, int)
            or isinstance(duration, bool)
            or not 0 <= duration <= MAX_DURATION_MINUTES
        ):
            errors["duration_minutes"] = _("Give the duration in minutes, from 0 to 600.")
    choices = {
        "channel": (CallChannel.values, _("Choose a channel from the list.")),
        "caller_type": (CallerType.values, _("Choose who called from the list.")),
        "outcome": (CallOutcome.values, _("Choose an outcome from the list.")),
    }
    for name, (known, message) in choices.items():
        if name in values and values[name] not in known:
            errors[name] = message
    if "language" in values:
        language = values["language"]
        if not isinstance(language, str):
            errors["language"] = _("Give the language as an ISO 639 code.")
        elif language:
            try:
                validate_language_codes([language])
            except ValidationError:
                errors["language"] = _("“%(code)s” is not an ISO 639 language code.") % {
                    "code": language[:3]
                }
    if "topics" in values:
        topics = values["topics"]
        if not isinstance(topics, list | tuple) or any(
            topic not in CallTopic.values for topic in topics
        ):
            errors["topics"] = _("Choose topics from the list.")
        else:
            cleaned["topics"] = [topic for topic in CallTopic.values if topic in topics]
    if "follow_up_on" in values and values["follow_up_on"] is not None:
        follow_up_on = values["follow_up_on"]
        if not isinstance(follow_up_on, datetime.date):
            errors["follow_up_on"] = _("Give the follow-up date as a date.")
        elif problem := follow_up_problem(follow_up_on):
            errors["follow_up_on"] = problem
    if not {"started_at", "follow_up_on"} & set(errors) and _follow_up_before_call(cleaned, call):
        # When only the start moved, it is the one to correct.
        field = "follow_up_on" if "follow_up_on" in values else "started_at"
        errors[field] = _("A follow-up cannot come before the call.")
    if "notes" in values:
        notes = values["notes"]
        if not isinstance(notes, str) or len(notes) > MAX_NOTES:
            errors["notes"] = _("Keep notes to %(max)d characters.") % {"max": MAX_NOTES}
    if "follow_up_done" in values and not isinstance(values["follow_up_done"], bool):
        errors["follow_up_done"] = _("Say true or false.")
    if "person" in values and values["person"] is not None:
        person = values["person"]
        if not isinstance(person, Person) or person.organisation_id != organisation.pk:
            errors["person"] = _("No such person in this organisation.")
        elif call is None or call.person_id != person.pk:
            # A call already linked stays correctable after the person withdraws consent.
            from haven.casework.access import require_consent

            try:
                require_consent(person, "casework")
            except ValidationError as refusal:
                errors["person"] = refusal.messages[0]
    if errors:
        raise ValidationError(errors)
    return cleaned


def call_problems(
    organisation: Organisation, values: Mapping[str, Any], call: HelplineCall | None = None
) -> dict[str, list[str]]:
    """What is wrong with these values of a call (``call`` when correcting one), field by
    field; empty when nothing is. Lets a form or the API report every problem at once."""
    try:
        _check(values, organisation, call)
    except ValidationError as error:
        return error.message_dict
    return {}


def _follow_up_before_call(cleaned: Mapping[str, Any], call: HelplineCall | None) -> bool:
    """Whether the values put the follow-up on a day before the call's."""
    if "started_at" not in cleaned and "follow_up_on" not in cleaned:
        return False
    started_at = cleaned.get("started_at", call.started_at if call else None)
    follow_up_on = cleaned.get("follow_up_on", call.follow_up_on if call else None)
    if started_at is None or follow_up_on is None:
        return False
    return bool(follow_up_on < timezone.localtime(started_at).date())


def _lock_linked(person: Any, organisation: Organisation, call: HelplineCall | None = None) -> None:
    """Lock the row of the person whose consent ``_check`` decides (one newly linked), so
    that a withdrawal, which takes the same lock, cannot slip past (call inside the
    transaction that writes)."""
    if (
        isinstance(person, Person)
        and person.organisation_id == organisation.pk
        and (call is None or call.person_id != person.pk)
    ):
        lock_person(person)


def _mark_active(person: Person, organisation: Organisation) -> None:
    """Mark a person active now (their consent was checked with the call's values)."""
    now = timezone.now()
    with scope(organisation=organisation):
        Person.objects.filter(
            organisation=organisation, pk=person.pk, last_activity_at__lt=now
        ).update(last_activity_at=now)


def log_call(
    *,
    actor: User,
    organisation: Organisation,
    caller_type: str,
    outcome: str,
    started_at: datetime.datetime | None = None,
    duration_minutes: int | None = None,
    channel: str = CallChannel.PHONE,
    language: str = "",
    topics: list[str] | None = None,
    follow_up_on: datetime.date | None = None,
    person: Person | None = None,
    notes: str = "",
    timed_from_start: bool = False,
    request: HttpRequest | None = None,
) -> HelplineCall:
    """Record one call; a call linked to a person needs their casework consent.

    Without a duration it stays unknown, unless ``timed_from_start`` says the start time is
    when the operator opened the form as the call began: then the call lasted until now.
    A call logged afterwards is never given the time since it started.
    """
    started_at = started_at or timezone.now()
    if duration_minutes is None and timed_from_start and isinstance(started_at, datetime.datetime):
        duration_minutes = minutes_since(
            timezone.make_aware(started_at) if timezone.is_naive(started_at) else started_at
        )
    with transaction.atomic(), scope(organisation=organisation):
        # Checked inside the transaction, on the person's locked row: the person's consent is
        # the one in force on saving.
        _lock_linked(person, organisation)
        values = _check(
            {
                "started_at": started_at,
                "duration_minutes": duration_minutes,
                "channel": channel,
                "language": language,
                "caller_type": caller_type,
                "topics": list(topics or []),
                "outcome": outcome,
                "follow_up_on": follow_up_on,
                "person": person,
                "notes": notes,
            },
            organisation,
        )
        if person is not None:
            _mark_active(person, organisation)
        call = HelplineCall.objects.create(organisation=organisation, operator=actor, **values)
        if person is not None:
            note_activity(
                organisation.pk, Q(pk=person.pk), timezone.localtime(call.started_at).date()
            )
        audit.record(
            "helpline_call.logged",
            actor=actor,
            organisation=organisation,
            target=call,
            details={
                "anonymous": person is None,
                "follow_up": follow_up_on is not None,
                "notes": bool(notes),
            },
            request=request,
        )
    return call


def update_call(
    *,
    actor: User,
    call: HelplineCall,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> HelplineCall:
    """Correct a call; linking it to another person needs that person's casework consent."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    organisation = call.organisation
    with transaction.atomic(), scope(organisation=organisation):
        _lock_linked(changes.get("person"), organisation, call)
        values = _check(changes, organisation, call)
        changed = sorted(name for name, value in values.items() if getattr(call, name) != value)
        if not changed:
            return call
        person = values.get("person")
        if "person" in changed and person is not None:
            _mark_active(person, organisation)
        linked_before = call.person_id
        for name in changed:
            setattr(call, name, values[name])
        if "follow_up_on" in changed and "follow_up_done" not in changed:
            # A new follow-up date is a new task, not one already done.
            call.follow_up_done = False
            changed.append("follow_up_done")
        call.save(update_fields=changed)
        if {"person", "started_at"} & set(changed):
            refresh_first_activity(organisation.pk, whose(persons=[linked_before, call.person_id]))
        audit.record(
            "helpline_call.changed",
            actor=actor,
            organisation=organisation,
            target=call,
            details={"fields": sorted(changed)},
            request=request,
        )
    return call


def mark_follow_up_done(
    *, actor: User, call: HelplineCall, request: HttpRequest | None = None
) -> HelplineCall:
    """Close the follow-up a call asked for."""
    if call.follow_up_on is None:
        raise ValidationError(_("This call has no follow-up to close."))
    if call.follow_up_done:
        return call
    with transaction.atomic(), scope(organisation=call.organisation):
        call.follow_up_done = True
        call.save(update_fields=["follow_up_done"])
        audit.record(
            "helpline_call.follow_up_done",
            actor=actor,
            organisation=call.organisation,
            target=call,
            request=request,
        )
    return call
