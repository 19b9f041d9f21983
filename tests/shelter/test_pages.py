"""The shelter pages: board, occupancy over time, facilities and stays, for each persona."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.shelter.models import Facility, Stay
from tests.conftest import client_for, make_user
from tests.shelter.conftest import make_facility, make_person, night


def board_url() -> str:
    return reverse("shelter_board", kwargs={"org": "north"})


def new_stay_url() -> str:
    return reverse("shelter_stay_new", kwargs={"org": "north"})


def make_stay(facility: Facility, code: str, start: int, end: int | None, **fields: object) -> Stay:
    person = make_person(
        facility.organisation, code, given_name="Canary-Given", family_name="Canary-Family"
    )
    with scopes_disabled():
        return Stay.objects.create(
            organisation=facility.organisation,
            facility=facility,
            person=person,
            starts_on=night(start),
            ends_on=night(end) if end is not None else None,
            **fields,
        )


@pytest.fixture
def staying(facility: Facility) -> list[Stay]:
    return [
        make_stay(facility, "P-STAY", -3, 2, accompanying=2),
        make_stay(facility, "P-NEW", 0, None),
        make_stay(facility, "P-GONE", -5, 0),
    ]


def test_the_board_shows_tonight_arrivals_departures_and_a_fortnight(
    carol: User, staying: list[Stay]
) -> None:
    response = client_for(carol).get(board_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Beds used tonight: 4 of 4" in page
    assert "Family rooms used tonight: 0 of 1" in page
    assert "1 arrival" in page
    assert "1 departure" in page
    assert "P-STAY" in page
    assert "P-NEW" in page
    assert "P-GONE" in page
    assert "Canary" not in page
    assert "Occupancy of Harbour house, next 14 nights" in page
    assert page.count('<th scope="col"><time datetime=') == 14
    # A full night says so in words, not in colour alone.
    assert (
        '<th scope="row">Beds used (of 4)</th><td class="error">4<br><small>full</small></td>'
        in (page)
    )
    assert "<td>0</td>" in page
    assert page.count("<small>full</small>") == 2
    event = AuditEvent.unscoped.get(action="person.listed")
    assert event.details == {"count": 3, "page": "board", "identity": False}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("page", ["shelter_board", "shelter_stays", "shelter_stay"])
def test_no_role_sees_a_name_on_the_board_the_stay_list_or_a_stay(
    north: Organisation, staying: list[Stay], role: Role, page: str
) -> None:
    user = make_user(f"user-{role.value}", north, role)
    kwargs: dict[str, object] = {"org": "north"}
    if page == "shelter_stay":
        kwargs["stay_id"] = staying[0].pk
    response = client_for(user).get(reverse(page, kwargs=kwargs))
    assert response.status_code in {200, 403}
    assert "Canary" not in response.content.decode()
    assert not AuditEvent.unscoped.filter(action="person.identity_viewed").exists()


def test_a_helpline_operator_sees_the_board_with_codes_but_no_identity(
    hana: User, staying: list[Stay]
) -> None:
    response = client_for(hana).get(board_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "P-STAY" in page
    assert "Canary" not in page
    assert "Book a stay" not in page
    assert AuditEvent.unscoped.get(action="person.listed").details["identity"] is False


def test_a_viewer_is_refused_the_board_and_an_outsider_does_not_find_it(
    victor: User, bob: User, staying: list[Stay]
) -> None:
    assert client_for(victor).get(board_url()).status_code == 403
    assert client_for(bob).get(board_url()).status_code == 404
    stay = staying[0]
    detail = reverse("shelter_stay", kwargs={"org": "north", "stay_id": stay.pk})
    assert client_for(victor).get(detail).status_code == 403
    assert client_for(bob).get(detail).status_code == 404
    south_detail = reverse("shelter_stay", kwargs={"org": "south", "stay_id": stay.pk})
    assert client_for(bob).get(south_detail).status_code == 404


def test_occupancy_over_time_lists_twelve_months_and_households(
    dana: User, staying: list[Stay]
) -> None:
    response = client_for(dana).get(reverse("shelter_occupancy", kwargs={"org": "north"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<th scope="row"><time datetime=') == 12
    assert "3 households sheltered" in page
    assert "<meter" in page
    assert "style=" not in page


def test_a_caseworker_books_a_stay_by_person_code(
    carol: User, north: Organisation, facility: Facility
) -> None:
    make_person(north, "P-0001")
    page = client_for(carol).get(new_stay_url()).content.decode()
    assert 'name="person_code"' in page
    assert "autofocus" in page
    assert 'type="date"' in page
    response = client_for(carol).post(
        new_stay_url(),
        {
            "person_code": "P-0001",
            "facility": facility.pk,
            "starts_on": night(0).isoformat(),
            "ends_on": "",
            "accompanying": "2",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        stay = Stay.objects.get()
    assert stay.person is not None
    assert (stay.person.code, stay.ends_on, stay.accompanying, stay.family_room) == (
        "P-0001",
        None,
        2,
        False,
    )
    assert AuditEvent.unscoped.filter(action="stay.created", actor_id=carol.pk).count() == 1


def test_an_over_capacity_booking_gets_a_clear_message_and_changes_nothing(
    carol: User, north: Organisation
) -> None:
    single = make_facility(north, "Single room", beds=1, family_rooms=0)
    make_stay(single, "P-IN", 2, None)
    make_person(north, "P-0002")
    response = client_for(carol).post(
        new_stay_url(),
        {
            "person_code": "P-0002",
            "facility": single.pk,
            "starts_on": night(0).isoformat(),
            "ends_on": night(5).isoformat(),
            "accompanying": "0",
        },
    )
    assert response.status_code == 400
    assert "Single room would be over capacity on the night of" in response.content.decode()
    with scopes_disabled():
        assert Stay.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ends_on", "today", "The day of leaving must be after the day of arrival."),
        ("person_code", "P-NOBODY", "No person has this code."),
        ("accompanying", "-1", "Ensure this value is greater than or equal to 0."),
        ("family_room", "maybe", "Tick the box or leave it empty."),
    ],
)
def test_bad_booking_input_is_refused_with_a_message(
    carol: User, north: Organisation, facility: Facility, field: str, value: str, message: str
) -> None:
    make_person(north, "P-0003")
    data = {
        "person_code": "P-0003",
        "facility": str(facility.pk),
        "starts_on": night(0).isoformat(),
        "ends_on": night(2).isoformat(),
        "accompanying": "0",
    }
    data[field] = night(0).isoformat() if value == "today" else value
    response = client_for(carol).post(new_stay_url(), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert not Stay.objects.exists()


def test_a_helpline_operator_cannot_book_a_stay(hana: User, facility: Facility) -> None:
    assert client_for(hana).get(new_stay_url()).status_code == 403


def test_the_stay_page_gives_each_leaving_day_box_its_own_id_and_label(
    carol: User, staying: list[Stay]
) -> None:
    kwargs = {"org": "north", "stay_id": staying[1].pk}
    page = client_for(carol).get(reverse("shelter_stay", kwargs=kwargs)).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for box in ("id_end-ends_on", "id_ends_on"):
        assert f'<label for="{box}">' in page
        assert f'aria-describedby="{box}_helptext"' in page


def test_the_stay_page_is_audited_and_ends_changes_and_cancels_the_stay(
    carol: User, staying: list[Stay]
) -> None:
    stay = staying[1]
    client = client_for(carol)
    kwargs = {"org": "north", "stay_id": stay.pk}
    page = client.get(reverse("shelter_stay", kwargs=kwargs)).content.decode()
    person_url = reverse("person_page", kwargs={"org": "north", "person_id": stay.person_id})
    assert f'<a href="{person_url}"><span class="person-code">P-NEW</span></a>' in page
    assert "Canary" not in page
    assert AuditEvent.unscoped.filter(
        action="person.viewed", object_id=str(stay.person_id)
    ).exists()

    refused = client.post(reverse("shelter_stay_end", kwargs=kwargs), {"end-ends_on": night(0)})
    assert refused.status_code == 400
    assert "after the day of arrival" in refused.content.decode()

    ended = client.post(reverse("shelter_stay_end", kwargs=kwargs), {"end-ends_on": night(3)})
    assert ended.status_code == 302
    changed = client.post(
        reverse("shelter_stay_change", kwargs=kwargs),
        {"starts_on": night(-1), "ends_on": night(4), "accompanying": "0"},
    )
    # The night before, P-STAY's party and P-GONE fill the house.
    assert changed.status_code == 400
    assert "over capacity on the night of" in changed.content.decode()
    changed = client.post(
        reverse("shelter_stay_change", kwargs=kwargs),
        {"starts_on": night(0), "ends_on": night(4), "accompanying": "0"},
    )
    assert changed.status_code == 302
    stay.refresh_from_db()
    assert (stay.starts_on, stay.ends_on) == (night(0), night(4))

    confirm = client.get(reverse("shelter_stay_cancel", kwargs=kwargs))
    assert confirm.status_code == 200
    assert "Cancel the stay of P-NEW in Harbour house?" in confirm.content.decode()
    with scopes_disabled():
        assert Stay.objects.filter(pk=stay.pk).exists()
    assert client.post(reverse("shelter_stay_cancel", kwargs=kwargs)).status_code == 302
    with scopes_disabled():
        assert not Stay.objects.filter(pk=stay.pk).exists()
    actions = list(AuditEvent.unscoped.values_list("action", flat=True))
    assert {"stay.ended", "stay.updated", "stay.cancelled"} <= set(actions)


def test_the_helpline_operator_sees_a_stay_without_identity_or_forms(
    hana: User, staying: list[Stay]
) -> None:
    stay = staying[0]
    page = client_for(hana).get(
        reverse("shelter_stay", kwargs={"org": "north", "stay_id": stay.pk})
    )
    assert page.status_code == 200
    assert "Canary" not in page.content.decode()
    assert '<form method="post" action="/o/north/shelter/stays/' not in page.content.decode()
    assert AuditEvent.unscoped.filter(
        action="person.viewed", object_id=str(stay.person_id)
    ).exists()


def test_the_stay_list_filters_and_refuses_bad_filters(carol: User, staying: list[Stay]) -> None:
    url = reverse("shelter_stays", kwargs={"org": "north"})
    client = client_for(carol)
    current = client.get(url, {"status": "current"}).content.decode()
    assert "P-STAY" in current
    assert "P-NEW" in current
    assert "P-GONE" not in current
    one = client.get(url, {"person_code": "P-GONE"}).content.decode()
    assert "P-GONE" in one
    assert "P-STAY" not in one
    assert client.get(url, {"status": "everything"}).status_code == 400
    assert client.get(url, {"person_code": "x" * 500}).status_code == 400


def test_an_admin_adds_and_edits_facilities_but_not_below_bookings(
    alice: User, carol: User, staying: list[Stay], facility: Facility
) -> None:
    client = client_for(alice)
    url = reverse("shelter_facilities", kwargs={"org": "north"})
    added = client.post(url, {"name": "Annex", "city": "", "beds": "3", "family_rooms": "0"})
    assert added.status_code == 302
    with scopes_disabled():
        assert Facility.objects.filter(name="Annex", beds=3).exists()
    edit = reverse("shelter_facility_edit", kwargs={"org": "north", "facility_id": facility.pk})
    refused = client.post(
        edit,
        {
            "name": "Harbour house",
            "city": "Paris",
            "beds": "3",
            "family_rooms": "1",
            "active": "on",
        },
    )
    assert refused.status_code == 400
    assert "4 beds are booked on the night of" in refused.content.decode()
    deactivate = client.post(
        edit, {"name": "Harbour house", "city": "Paris", "beds": "4", "family_rooms": "1"}
    )
    assert deactivate.status_code == 400
    assert "end or cancel those stays" in deactivate.content.decode()
    facility.refresh_from_db()
    assert (facility.beds, facility.active) == (4, True)
    assert client_for(carol).get(url).status_code == 403


def test_a_stay_already_begun_cannot_be_cancelled_from_its_page(
    carol: User, staying: list[Stay]
) -> None:
    stay = staying[0]
    kwargs = {"org": "north", "stay_id": stay.pk}
    client = client_for(carol)
    page = client.get(reverse("shelter_stay", kwargs=kwargs)).content.decode()
    assert "cannot be cancelled. Record the day of leaving instead" in page
    assert reverse("shelter_stay_cancel", kwargs=kwargs) not in page
    confirm = client.get(reverse("shelter_stay_cancel", kwargs=kwargs)).content.decode()
    assert "cannot be cancelled" in confirm
    assert "<button" not in confirm.split("<main", 1)[1].split("</main>", 1)[0]
    refused = client.post(reverse("shelter_stay_cancel", kwargs=kwargs))
    assert refused.status_code == 400
    assert "cannot be cancelled. Record the day of leaving instead" in refused.content.decode()
    with scopes_disabled():
        assert Stay.objects.filter(pk=stay.pk).exists()
    assert not AuditEvent.unscoped.filter(action="stay.cancelled").exists()


def test_a_family_room_booked_is_counted_in_the_singular(
    alice: User, north: Organisation, facility: Facility
) -> None:
    make_stay(facility, "P-FAMILY", 0, 3, family_room=True)
    edit = reverse("shelter_facility_edit", kwargs={"org": "north", "facility_id": facility.pk})
    data = {"name": "Harbour house", "city": "Paris", "beds": "4", "family_rooms": "0"}
    refused = client_for(alice).post(edit, {**data, "active": "on"})
    assert refused.status_code == 400
    assert "1 family room is booked on the night of" in refused.content.decode()
    facility.refresh_from_db()
    assert facility.family_rooms == 1


@pytest.mark.parametrize("name", ["", "   "])
def test_a_facility_without_a_name_is_asked_for_one(alice: User, name: str) -> None:
    url = reverse("shelter_facilities", kwargs={"org": "north"})
    data = {"name": name, "city": "", "beds": "3", "family_rooms": "0"}
    response = client_for(alice).post(url, data)
    assert response.status_code == 400
    assert "Give the facility a name." in response.content.decode()
    with scopes_disabled():
        assert not Facility.objects.exists()


def test_a_person_code_typed_in_lower_case_books_a_stay_and_filters_the_list(
    carol: User, north: Organisation, facility: Facility, staying: list[Stay]
) -> None:
    # Codes are stored in upper case; services, helpline and search accept any case.
    make_person(north, "P-0001")
    client = client_for(carol)
    response = client.post(
        new_stay_url(),
        {
            "person_code": "p-0001",
            "facility": facility.pk,
            "starts_on": night(5).isoformat(),
            "ends_on": "",
            "accompanying": "0",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Stay.objects.filter(person__code="P-0001").count() == 1
    one = client.get(reverse("shelter_stays", kwargs={"org": "north"}), {"person_code": "p-gone"})
    assert one.status_code == 200
    assert "P-GONE" in one.content.decode()
    assert "P-STAY" not in one.content.decode()


@pytest.mark.parametrize("where", ["web", "api"])
def test_a_stay_list_narrowed_to_a_person_is_audited_as_a_read_of_that_person(
    carol: User, north: Organisation, staying: list[Stay], where: str
) -> None:
    from tests.conftest import bearer

    stay = staying[0]
    nobody_staying = make_person(north, "P-NONE")
    for person in (stay.person, nobody_staying):
        assert person is not None
        if where == "web":
            url = reverse("shelter_stays", kwargs={"org": "north"})
            response = client_for(carol).get(url, {"person_code": person.code.lower()})
        else:
            url = "/api/orgs/north/shelter/stays"
            response = client_for(carol).get(url, {"person_code": person.code}, **bearer(carol))
        assert response.status_code == 200
        # "Who read this person's history?" finds it, even when the list came back empty.
        event = AuditEvent.unscoped.filter(action="person.listed").latest("seq")
        assert (event.object_type, event.object_id) == ("casework.person", str(person.pk))
        assert event.details["count"] == (1 if person == stay.person else 0)


def test_a_stay_page_shown_again_after_a_refusal_is_audited(
    carol: User, staying: list[Stay]
) -> None:
    stay = staying[0]
    kwargs = {"org": "north", "stay_id": stay.pk}
    client = client_for(carol)
    read = AuditEvent.unscoped.filter(action="person.viewed", object_id=str(stay.person_id))
    refusals = [
        ("shelter_stay_end", {"end-ends_on": night(-30)}, "stay"),
        ("shelter_stay_change", {"starts_on": night(2), "ends_on": night(1)}, "stay"),
        # Begun already: cannot be cancelled.
        ("shelter_stay_cancel", {}, "stay.cancel"),
    ]
    for name, data, page in refusals:
        before = read.count()
        refused = client.post(reverse(name, kwargs=kwargs), data)
        assert refused.status_code == 400, name
        assert "P-STAY" in refused.content.decode(), name
        assert read.count() == before + 1, name
        assert read.order_by("-seq").first().details["page"] == page  # type: ignore[union-attr]
