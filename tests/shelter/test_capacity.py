"""The booking rules: capacity on every night, family rooms, one stay at a time, consent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.utils import formats
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Consent
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.shelter import actions
from haven.shelter.models import Facility, Stay
from tests.shelter.conftest import make_facility, make_person, night


@pytest.fixture(autouse=True)
def _unscoped(db: None) -> Iterator[None]:
    with scopes_disabled():
        yield


def short(offset: int) -> str:
    return str(formats.date_format(night(offset), "SHORT_DATE_FORMAT"))


def book(
    actor: User, facility: Facility, code: str, start: int, end: int | None, **kw: object
) -> Stay:
    person = make_person(facility.organisation, code)
    return actions.book_stay(
        actor=actor,
        facility=facility,
        person=person,
        starts_on=night(start),
        ends_on=night(end) if end is not None else None,
        **kw,  # type: ignore[arg-type]
    )


def test_a_facility_fills_to_exactly_its_beds_and_one_more_bed_is_refused(
    carol: User, facility: Facility
) -> None:
    book(carol, facility, "P-1", 0, 7, accompanying=2)
    book(carol, facility, "P-2", 3, 5)
    with pytest.raises(ValidationError) as refused:
        book(carol, facility, "P-3", 1, 9)
    message = " ".join(refused.value.messages)
    assert "Harbour house would be over capacity on the night of " + short(3) in message
    assert "(beds needed: 1, beds free: 0)." in message
    assert Stay.objects.count() == 2


def test_a_party_bigger_than_the_free_beds_is_refused_but_one_that_fits_is_booked(
    carol: User, facility: Facility
) -> None:
    book(carol, facility, "P-1", 0, 3, accompanying=1)
    with pytest.raises(ValidationError, match=r"\(beds needed: 3, beds free: 2\)"):
        book(carol, facility, "P-2", 2, 4, accompanying=2)
    book(carol, facility, "P-3", 2, 4, accompanying=1)
    assert Stay.objects.count() == 2


def test_family_rooms_are_counted_apart_from_beds(carol: User, facility: Facility) -> None:
    book(carol, facility, "P-1", 0, 5, accompanying=3)
    family = book(carol, facility, "P-2", 0, 5, accompanying=4, family_room=True)
    assert family.beds_used == 0
    with pytest.raises(ValidationError, match="No family room is free in Harbour house"):
        book(carol, facility, "P-3", 4, 8, family_room=True)
    with pytest.raises(ValidationError, match="over capacity"):
        book(carol, facility, "P-4", 4, 8)
    book(carol, facility, "P-5", 5, 8, family_room=True)
    assert Stay.objects.count() == 3


def test_an_open_ended_stay_blocks_every_night_from_its_start(
    carol: User, north: Organisation
) -> None:
    single = make_facility(north, "Single room", beds=1, family_rooms=0)
    book(carol, single, "P-1", 10, None)
    book(carol, single, "P-2", 0, 10)
    with pytest.raises(ValidationError, match=f"on the night of {short(10)}"):
        book(carol, single, "P-3", 10, 11)
    with pytest.raises(ValidationError, match=f"on the night of {short(300)}"):
        book(carol, single, "P-4", 300, 301)
    assert Stay.objects.count() == 2


def test_an_open_ended_booking_is_refused_where_a_later_stay_is_already_booked(
    carol: User, north: Organisation
) -> None:
    single = make_facility(north, "Single room", beds=1, family_rooms=0)
    book(carol, single, "P-1", 30, 40)
    with pytest.raises(ValidationError, match=f"on the night of {short(30)}"):
        book(carol, single, "P-2", 0, None)
    book(carol, single, "P-3", 0, 30)


def test_the_morning_someone_leaves_their_bed_is_free_for_that_night(
    carol: User, north: Organisation
) -> None:
    single = make_facility(north, "Single room", beds=1, family_rooms=0)
    book(carol, single, "P-1", 0, 5)
    book(carol, single, "P-2", 5, 9)
    book(carol, single, "P-3", 9, None)
    assert Stay.objects.filter(facility=single).count() == 3


def test_a_person_cannot_have_two_overlapping_stays_even_in_different_facilities(
    carol: User, north: Organisation, facility: Facility
) -> None:
    other = make_facility(north, "Second house")
    person = make_person(north, "P-1")
    actions.book_stay(
        actor=carol, facility=facility, person=person, starts_on=night(0), ends_on=night(5)
    )
    with pytest.raises(ValidationError, match="P-1 already has a stay in Harbour house"):
        actions.book_stay(
            actor=carol, facility=other, person=person, starts_on=night(4), ends_on=night(6)
        )
    actions.book_stay(actor=carol, facility=other, person=person, starts_on=night(5))
    with pytest.raises(ValidationError, match="already has a stay in Second house"):
        actions.book_stay(actor=carol, facility=facility, person=person, starts_on=night(90))
    assert Stay.objects.filter(person=person).count() == 2


@pytest.mark.parametrize("end", [0, -1])
def test_leaving_on_or_before_the_day_of_arrival_is_refused(
    carol: User, facility: Facility, end: int
) -> None:
    with pytest.raises(ValidationError) as refused:
        book(carol, facility, "P-1", 0, end)
    assert refused.value.message_dict == {
        "ends_on": ["The day of leaving must be after the day of arrival."]
    }
    assert not Stay.objects.exists()


def test_bookings_more_than_a_year_ahead_and_negative_parties_are_refused(
    carol: User, facility: Facility
) -> None:
    with pytest.raises(ValidationError, match="at most a year ahead"):
        book(carol, facility, "P-1", 400, 410)
    with pytest.raises(ValidationError, match="between 0 and 50"):
        book(carol, facility, "P-2", 0, 2, accompanying=-1)
    assert not Stay.objects.exists()


def test_no_stay_is_booked_without_casework_consent(
    carol: User, north: Organisation, facility: Facility
) -> None:
    never_asked = make_person(north, "P-1", consent=False)
    with pytest.raises(ValidationError, match="P-1 has no casework consent"):
        actions.book_stay(actor=carol, facility=facility, person=never_asked, starts_on=night(0))
    withdrawn = make_person(north, "P-2")
    Consent.objects.filter(person=withdrawn).update(withdrawn_on=night(-1))
    with pytest.raises(ValidationError, match="P-2 has no casework consent"):
        actions.book_stay(actor=carol, facility=facility, person=withdrawn, starts_on=night(0))
    assert not Stay.objects.exists()


def test_a_facility_out_of_use_takes_no_booking(carol: User, facility: Facility) -> None:
    Facility.objects.filter(pk=facility.pk).update(active=False)
    facility.refresh_from_db()
    with pytest.raises(ValidationError, match="not in use"):
        book(carol, facility, "P-1", 0, 2)


def test_booking_records_an_event_without_values_and_touches_the_person(
    carol: User, north: Organisation, facility: Facility
) -> None:
    person = make_person(north, "P-1", given_name="Canary-Given")
    before = person.last_activity_at
    stay = actions.book_stay(actor=carol, facility=facility, person=person, starts_on=night(0))
    event = AuditEvent.unscoped.get(action="stay.created")
    assert (event.actor_id, event.organisation_id, event.object_id) == (
        carol.pk,
        north.pk,
        str(stay.pk),
    )
    assert event.details == {"facility": facility.pk, "open_ended": True}
    person.refresh_from_db()
    assert person.last_activity_at > before


# --- changing stays ------------------------------------------------------------------------


def test_changing_dates_is_checked_against_capacity_again(carol: User, north: Organisation) -> None:
    single = make_facility(north, "Single room", beds=1, family_rooms=0)
    first = book(carol, single, "P-1", 0, 5)
    book(carol, single, "P-2", 8, 12)
    actions.change_stay(actor=carol, stay=first, changes={"ends_on": night(8)})
    with pytest.raises(ValidationError, match=f"on the night of {short(8)}"):
        actions.change_stay(actor=carol, stay=first, changes={"ends_on": night(9)})
    with pytest.raises(ValidationError, match=f"on the night of {short(8)}"):
        actions.change_stay(actor=carol, stay=first, changes={"ends_on": None})
    first.refresh_from_db()
    assert first.ends_on == night(8)
    actions.change_stay(actor=carol, stay=first, changes={"starts_on": night(-3)})
    first.refresh_from_db()
    assert (first.starts_on, first.ends_on) == (night(-3), night(8))
    assert AuditEvent.unscoped.filter(action="stay.updated").count() == 2


def test_a_party_growing_past_the_free_beds_is_refused(carol: User, facility: Facility) -> None:
    stay = book(carol, facility, "P-1", 0, 5, accompanying=1)
    book(carol, facility, "P-2", 0, 5, accompanying=1)
    with pytest.raises(ValidationError, match="over capacity"):
        actions.change_stay(actor=carol, stay=stay, changes={"accompanying": 2})
    actions.change_stay(actor=carol, stay=stay, changes={"family_room": True, "accompanying": 6})
    stay.refresh_from_db()
    assert (stay.family_room, stay.accompanying) == (True, 6)


def test_ending_a_stay_needs_a_day_after_arrival_and_is_audited(
    carol: User, facility: Facility
) -> None:
    stay = book(carol, facility, "P-1", -3, None)
    with pytest.raises(ValidationError, match="after the day of arrival"):
        actions.end_stay(actor=carol, stay=stay, ends_on=night(-3))
    actions.end_stay(actor=carol, stay=stay, ends_on=night(1))
    stay.refresh_from_db()
    assert stay.ends_on == night(1)
    event = AuditEvent.unscoped.get(action="stay.ended")
    assert event.details == {"fields": ["ends_on"]}


def test_a_stay_can_be_ended_after_consent_is_withdrawn_but_not_extended(
    carol: User, facility: Facility
) -> None:
    stay = book(carol, facility, "P-1", -3, None)
    Consent.objects.filter(person=stay.person).update(withdrawn_on=night(0))
    actions.end_stay(actor=carol, stay=stay, ends_on=night(1))
    with pytest.raises(ValidationError, match="no casework consent"):
        actions.change_stay(actor=carol, stay=stay, changes={"ends_on": night(9)})


def test_cancelling_deletes_the_stay_and_frees_its_nights(carol: User, north: Organisation) -> None:
    single = make_facility(north, "Single room", beds=1, family_rooms=0)
    stay = book(carol, single, "P-1", 0, None)
    actions.cancel_stay(actor=carol, stay=stay)
    assert not Stay.objects.exists()
    event = AuditEvent.unscoped.get(action="stay.cancelled")
    assert event.object_id == str(stay.pk)
    book(carol, single, "P-2", 0, None)


# --- facilities --------------------------------------------------------------------------


def test_capacity_cannot_drop_below_what_is_booked_from_today_on(
    alice: User, carol: User, facility: Facility
) -> None:
    book(carol, facility, "P-1", -20, -10, accompanying=3)
    book(carol, facility, "P-2", 5, 9, accompanying=2)
    book(carol, facility, "P-3", 7, 8, family_room=True)
    with pytest.raises(ValidationError) as refused:
        actions.update_facility(actor=alice, facility=facility, changes={"beds": 2})
    assert refused.value.message_dict == {
        "beds": [f"3 beds are booked on the night of {short(5)}: the facility cannot have fewer."]
    }
    with pytest.raises(ValidationError, match="1 family room is booked"):
        actions.update_facility(actor=alice, facility=facility, changes={"family_rooms": 0})
    facility.refresh_from_db()
    assert (facility.beds, facility.family_rooms) == (4, 1)
    actions.update_facility(actor=alice, facility=facility, changes={"beds": 3, "name": "Harbour"})
    facility.refresh_from_db()
    assert (facility.beds, facility.name) == (3, "Harbour")
    event = AuditEvent.unscoped.get(action="facility.updated")
    assert event.details == {"fields": ["beds", "name"]}


def test_a_facility_is_taken_out_of_use_only_when_nobody_is_booked(
    alice: User, carol: User, facility: Facility
) -> None:
    stay = book(carol, facility, "P-1", 3, None)
    with pytest.raises(ValidationError, match="end or cancel those stays"):
        actions.deactivate_facility(actor=alice, facility=facility)
    actions.end_stay(actor=carol, stay=stay, ends_on=night(4))
    Stay.objects.filter(pk=stay.pk).update(starts_on=night(-5), ends_on=night(0))
    actions.deactivate_facility(actor=alice, facility=facility)
    facility.refresh_from_db()
    assert not facility.active
    assert AuditEvent.unscoped.filter(action="facility.deactivated").count() == 1


def test_a_facility_needs_a_name_and_some_capacity(alice: User, north: Organisation) -> None:
    with pytest.raises(ValidationError, match="at least one bed or family room"):
        actions.create_facility(actor=alice, organisation=north, name="Empty", beds=0)
    with pytest.raises(ValidationError, match="Give the facility a name"):
        actions.create_facility(actor=alice, organisation=north, name="  ", beds=3)
    with pytest.raises(ValidationError, match="a name of at most 100"):
        actions.create_facility(actor=alice, organisation=north, name="x" * 101, beds=3)
    with pytest.raises(ValidationError, match="from 0 to 10000"):
        actions.create_facility(actor=alice, organisation=north, name="Huge", beds=-1)
    assert not Facility.objects.exists()
    created = actions.create_facility(
        actor=alice, organisation=north, name="New", beds=0, family_rooms=2
    )
    event = AuditEvent.unscoped.get(action="facility.created")
    assert (event.object_id, event.details) == (
        str(created.pk),
        {"fields": ["family_rooms", "name"]},
    )
