"""Every change to shelters and stays.

Capacity is checked with the facility's row locked (``select_for_update``) inside the
action's transaction, so two bookings of the last bed cannot both pass: on PostgreSQL the
second waits for the first to commit and then sees its stay; SQLite runs writers one at a
time (IMMEDIATE transactions, settings.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from haven.accounts.models import User
from haven.casework.actions import lock_person, note_activity, refresh_first_activity
from haven.casework.models import Person
from haven.dates import too_early
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.shelter import access
from haven.shelter.models import Facility, Stay

# Bookings further ahead than this are almost certainly a typing mistake.
LONGEST_NOTICE = timedelta(days=366)
MAX_CAPACITY = 10_000
MAX_ACCOMPANYING = 50
FACILITY_FIELDS = ("name", "city", "beds", "family_rooms", "active")
STAY_FIELDS = ("starts_on", "ends_on", "accompanying", "family_room")


@dataclass(frozen=True)
class Load:
    """Beds and family rooms in use from ``night`` until the next change."""

    night: date
    beds: int
    family_rooms: int


def _loads(
    stays: Iterable[tuple[date, date | None, int, bool]], start: date, end: date | None
) -> list[Load]:
    """The facility's load at every night it changes between ``start`` and ``end``."""
    changes: dict[date, list[int]] = {start: [0, 0]}
    for starts_on, ends_on, accompanying, family_room in stays:
        beds, rooms = (0, 1) if family_room else (1 + accompanying, 0)
        arrival = changes.setdefault(max(starts_on, start), [0, 0])
        arrival[0] += beds
        arrival[1] += rooms
        if ends_on is not None and (end is None or ends_on < end):
            departure = changes.setdefault(ends_on, [0, 0])
            departure[0] -= beds
            departure[1] -= rooms
    loads: list[Load] = []
    beds_now = rooms_now = 0
    for night in sorted(changes):
        beds_now += changes[night][0]
        rooms_now += changes[night][1]
        loads.append(Load(night, beds_now, rooms_now))
    return loads


def _short(day: date) -> str:
    return str(formats.date_format(day, "SHORT_DATE_FORMAT"))


def _check_capacity(
    facility: Facility,
    *,
    starts_on: date,
    ends_on: date | None,
    accompanying: int,
    family_room: bool,
    excluding: Iterable[object] = (),
) -> None:
    """Refuse a stay that would put any of its nights over the facility's capacity."""
    others = access.stays_overlapping(facility, starts_on, ends_on, excluding=excluding)
    new = (starts_on, ends_on, accompanying, family_room)
    for load in _loads([*others, new], starts_on, ends_on):
        if family_room and load.family_rooms > facility.family_rooms:
            raise ValidationError(
                _(
                    "No family room is free in %(facility)s on the night of %(night)s "
                    "(%(rooms)d of %(rooms)d taken)."
                )
                % {
                    "facility": facility.name,
                    "night": _short(load.night),
                    "rooms": facility.family_rooms,
                }
            )
        if not family_room and load.beds > facility.beds:
            free = facility.beds - (load.beds - 1 - accompanying)
            # Counts as labels, not in a sentence: one ngettext cannot agree with two numbers.
            raise ValidationError(
                _(
                    "%(facility)s would be over capacity on the night of %(night)s "
                    "(beds needed: %(needed)d, beds free: %(free)d)."
                )
                % {
                    "facility": facility.name,
                    "night": _short(load.night),
                    "needed": 1 + accompanying,
                    "free": max(free, 0),
                }
            )


def _check_person_free(
    person: Person, starts_on: date, ends_on: date | None, excluding: Iterable[object] = ()
) -> None:
    clash = (
        Stay.objects.filter(organisation_id=person.organisation_id, person=person)
        .filter(access.overlapping(starts_on, ends_on))
        .exclude(pk__in=list(excluding))
        .select_related("facility")
        .order_by("starts_on")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            _(
                "%(code)s already has a stay in %(facility)s from %(start)s "
                "that overlaps these dates."
            )
            % {
                "code": person.code,
                "facility": clash.facility.name,
                "start": _short(clash.starts_on),
            }
        )


def _check_dates(starts_on: date, ends_on: date | None, *, today: date) -> None:
    if ends_on is not None and ends_on <= starts_on:
        raise ValidationError(
            {"ends_on": _("The day of leaving must be after the day of arrival.")}
        )
    if starts_on > today + LONGEST_NOTICE:
        raise ValidationError({"starts_on": _("A stay can be booked at most a year ahead.")})
    problem = too_early(starts_on)
    if problem:
        raise ValidationError({"starts_on": problem})


def _check_party(accompanying: int) -> None:
    if not 0 <= accompanying <= MAX_ACCOMPANYING:
        raise ValidationError(
            {
                "accompanying": _("Give between 0 and %(max)d accompanying household members.")
                % {"max": MAX_ACCOMPANYING}
            }
        )


def _erased() -> str:
    # Erasure keeps the stays a person began, without them, for the shelter's history.
    return _(
        "The person of this stay was erased: it is kept as it was, for the shelter's "
        "history, and cannot be changed."
    )


def _require_consent(person: Person) -> None:
    from haven.casework.access import require_consent

    require_consent(person, "casework")


def _touch(person: Person) -> None:
    now = timezone.now()
    Person.objects.filter(pk=person.pk).update(last_activity_at=now)
    person.last_activity_at = now


def _lock_facility(facility: Facility) -> Facility:
    return Facility.objects.select_for_update().get(
        organisation_id=facility.organisation_id, pk=facility.pk
    )


# --- facilities ---------------------------------------------------------------------------


def _clean_facility_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(FACILITY_FIELDS))
    if unknown:
        raise ValueError(f"not facility fields: {unknown}")
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise ValidationError({"name": _("Give the facility a name.")})
        if len(cleaned["name"]) > 100:
            raise ValidationError({"name": _("Give a name of at most 100 characters.")})
    if "city" in cleaned:
        cleaned["city"] = str(cleaned["city"] or "").strip()
        if len(cleaned["city"]) > 100:
            raise ValidationError({"city": _("Give a city of at most 100 characters.")})
    for field in ("beds", "family_rooms"):
        if field in cleaned and not (
            isinstance(cleaned[field], int) and 0 <= cleaned[field] <= MAX_CAPACITY
        ):
            raise ValidationError(
                {field: _("Give a number from 0 to %(max)d.") % {"max": MAX_CAPACITY}}
            )
    return cleaned


def create_facility(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    beds: int,
    family_rooms: int = 0,
    city: str = "",
    request: HttpRequest | None = None,
) -> Facility:
    """Add a shelter with its number of beds and family rooms."""
    values = _clean_facility_values(
        {"name": name, "city": city, "beds": beds, "family_rooms": family_rooms}
    )
    if values["beds"] + values["family_rooms"] == 0:
        raise ValidationError({"beds": _("A facility needs at least one bed or family room.")})
    with transaction.atomic():
        facility = Facility.objects.create(organisation=organisation, **values)
        audit.record(
            "facility.created",
            actor=actor,
            organisation=organisation,
            target=facility,
            details={"fields": sorted(field for field, value in values.items() if value)},
            request=request,
        )
    return facility


def update_facility(
    *,
    actor: User,
    facility: Facility,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Facility:
    """Change a facility; its capacity cannot drop below what is booked from today on."""
    values = _clean_facility_values(changes)
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_facility(facility)
        changed = sorted(
            field for field, value in values.items() if getattr(locked, field) != value
        )
        if not changed:
            return locked
        for field in changed:
            setattr(locked, field, values[field])
        if locked.beds + locked.family_rooms == 0:
            raise ValidationError({"beds": _("A facility needs at least one bed or family room.")})
        loads = _loads(access.stays_overlapping(locked, today, None), today, None)
        if (
            "active" in changed
            and not locked.active
            and any(load.beds or load.family_rooms for load in loads)
        ):
            raise ValidationError(
                _(
                    "Someone is staying in or booked into %(facility)s from today on: "
                    "end or cancel those stays before taking it out of use."
                )
                % {"facility": locked.name}
            )
        for load in loads:
            if load.beds > locked.beds:
                raise ValidationError(
                    {
                        "beds": ngettext(
                            "%(count)d bed is booked on the night of %(night)s: "
                            "the facility cannot have fewer.",
                            "%(count)d beds are booked on the night of %(night)s: "
                            "the facility cannot have fewer.",
                            load.beds,
                        )
                        % {"count": load.beds, "night": _short(load.night)}
                    }
                )
            if load.family_rooms > locked.family_rooms:
                raise ValidationError(
                    {
                        "family_rooms": ngettext(
                            "%(count)d family room is booked on the night of %(night)s: "
                            "the facility cannot have fewer.",
                            "%(count)d family rooms are booked on the night of %(night)s: "
                            "the facility cannot have fewer.",
                            load.family_rooms,
                        )
                        % {"count": load.family_rooms, "night": _short(load.night)}
                    }
                )
        locked.save(update_fields=changed)
        deactivated = changed == ["active"] and not locked.active
        audit.record(
            "facility.deactivated" if deactivated else "facility.updated",
            actor=actor,
            organisation=locked.organisation,
            target=locked,
            details={"fields": changed},
            request=request,
        )
    return locked


def deactivate_facility(
    *, actor: User, facility: Facility, request: HttpRequest | None = None
) -> Facility:
    """Take a facility out of use; refused while anyone stays or is booked there."""
    return update_facility(
        actor=actor, facility=facility, changes={"active": False}, request=request
    )


# --- stays --------------------------------------------------------------------------------


def book_stay(
    *,
    actor: User,
    facility: Facility,
    person: Person,
    starts_on: date,
    ends_on: date | None = None,
    accompanying: int = 0,
    family_room: bool = False,
    request: HttpRequest | None = None,
) -> Stay:
    """Book a person (and the household members with them) into a facility."""
    if person.organisation_id != facility.organisation_id:
        raise ValidationError(_("This person is not recorded by this organisation."))
    _check_dates(starts_on, ends_on, today=timezone.localdate())
    _check_party(accompanying)
    with transaction.atomic():
        locked_person = lock_person(person)
        # Checked on the locked row, as a change of stay does, so that a withdrawal
        # recorded meanwhile is seen.
        _require_consent(locked_person)
        locked = _lock_facility(facility)
        if not locked.active:
            raise ValidationError(
                {"facility": _("%(facility)s is not in use.") % {"facility": locked.name}}
            )
        _check_person_free(locked_person, starts_on, ends_on)
        _check_capacity(
            locked,
            starts_on=starts_on,
            ends_on=ends_on,
            accompanying=accompanying,
            family_room=family_room,
        )
        stay = Stay.objects.create(
            organisation_id=locked.organisation_id,
            facility=locked,
            person=locked_person,
            starts_on=starts_on,
            ends_on=ends_on,
            accompanying=accompanying,
            family_room=family_room,
        )
        _touch(locked_person)
        note_activity(locked.organisation_id, Q(pk=locked_person.pk), starts_on)
        audit.record(
            "stay.created",
            actor=actor,
            organisation=locked.organisation,
            target=stay,
            details={"facility": locked.pk, "open_ended": ends_on is None},
            request=request,
        )
    return stay


def change_stay(
    *,
    actor: User,
    stay: Stay,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Stay:
    """Change a stay's dates or party; every night is checked against capacity again."""
    unknown = sorted(set(changes) - set(STAY_FIELDS))
    if unknown:
        raise ValueError(f"not stay fields: {unknown}")
    return _change(actor=actor, stay=stay, changes=changes, event="stay.updated", request=request)


def end_stay(*, actor: User, stay: Stay, ends_on: date, request: HttpRequest | None = None) -> Stay:
    """Record the day a person leaves (the morning after their last night)."""
    return _change(
        actor=actor, stay=stay, changes={"ends_on": ends_on}, event="stay.ended", request=request
    )


def _change(
    *,
    actor: User,
    stay: Stay,
    changes: Mapping[str, Any],
    event: str,
    request: HttpRequest | None,
) -> Stay:
    if stay.person is None:
        raise ValidationError(_erased())
    today = timezone.localdate()
    with transaction.atomic():
        locked_person = lock_person(stay.person)
        facility = _lock_facility(stay.facility)
        locked = Stay.objects.select_for_update().get(
            organisation_id=stay.organisation_id, pk=stay.pk
        )
        current = {field: getattr(locked, field) for field in STAY_FIELDS}
        wanted = {**current, **changes}
        changed = sorted(field for field in STAY_FIELDS if wanted[field] != current[field])
        starts_on, ends_on = wanted["starts_on"], wanted["ends_on"]
        if changed:
            _check_dates(starts_on, ends_on, today=today)
            _check_party(wanted["accompanying"])
        # Shortening a stay only frees nights; anything else uses the person's data anew.
        shortening = (
            changed == ["ends_on"]
            and ends_on is not None
            and (current["ends_on"] is None or ends_on < current["ends_on"])
        )
        if changed and not shortening:
            _require_consent(locked_person)
            _check_person_free(locked_person, starts_on, ends_on, excluding=[locked.pk])
            _check_capacity(
                facility,
                starts_on=starts_on,
                ends_on=ends_on,
                accompanying=wanted["accompanying"],
                family_room=wanted["family_room"],
                excluding=[locked.pk],
            )
        if changed:
            for field in changed:
                setattr(locked, field, wanted[field])
            locked.save(update_fields=changed)
            _touch(locked_person)
            if "starts_on" in changed:
                refresh_first_activity(locked.organisation_id, Q(pk=locked_person.pk))
            audit.record(
                event,
                actor=actor,
                organisation=facility.organisation,
                target=locked,
                details={"fields": changed},
                request=request,
            )
    for field in STAY_FIELDS:
        setattr(stay, field, getattr(locked, field))
    locked.facility, locked.person = facility, locked_person
    return locked


def cancel_refusal(stay: Stay, *, today: date) -> str:
    """Why a stay cannot be cancelled (deleted), or "" if it can."""
    if stay.person_id is None:
        return _erased()
    if not stay.has_begun(today):
        return ""
    # Its nights count in occupancy and reports: deleting them would rewrite the past.
    return _(
        "This stay began on %(start)s: its nights are part of the shelter's history, "
        "so it cannot be cancelled. Record the day of leaving instead, or correct its dates."
    ) % {"start": _short(stay.starts_on)}


def cancel_stay(*, actor: User, stay: Stay, request: HttpRequest | None = None) -> None:
    """Delete a stay booked by mistake or that will not happen; one already begun is refused."""
    with transaction.atomic():
        locked = Stay.objects.select_for_update().get(
            organisation_id=stay.organisation_id, pk=stay.pk
        )
        refusal = cancel_refusal(locked, today=timezone.localdate())
        if refusal:
            raise ValidationError(refusal)
        audit.record(
            "stay.cancelled",
            actor=actor,
            organisation=stay.facility.organisation,
            target=locked,
            details={"facility": locked.facility_id},
            request=request,
        )
        locked.delete()
        refresh_first_activity(locked.organisation_id, Q(pk=locked.person_id))
