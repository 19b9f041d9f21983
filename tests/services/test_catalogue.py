"""The service catalogue pages, and the helpers other apps read services through."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils import translation

from haven.accounts.models import User
from haven.casework.models import Household, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.services import access
from haven.services.models import HiddenServiceType, ServiceDelivery, ServiceType
from tests.conftest import client_for
from tests.services.conftest import default_type


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": "north", **kwargs})


def test_admin_adds_a_service_whose_code_comes_from_its_name(
    alice: User, north: Organisation
) -> None:
    client = client_for(alice)
    assert client.get(url("service_type_create")).status_code == 200
    data = {"name": "Night bus", "category": "outreach", "unit": "trip"}
    assert client.post(url("service_type_create"), data).status_code == 302
    own = ServiceType.objects.get(organisation=north)
    assert (own.code, own.name, own.counts_money) == ("night-bus", "Night bus", False)
    assert AuditEvent.objects.get(action="service_type.created").details == {"code": "night-bus"}
    assert own in access.available_service_types(north)
    page = client.get(url("service_catalogue")).content.decode()
    assert "Night bus" in page
    assert "Food parcel" in page


def test_admin_edits_own_services_but_not_defaults(alice: User, north: Organisation) -> None:
    own = ServiceType.objects.create(
        organisation=north, code="night-bus", name="Night bus", category="outreach", unit="trip"
    )
    client = client_for(alice)
    edit = url("service_type_edit", service_type_id=own.pk)
    data = {"name": "Night bus tour", "category": "outreach", "unit": "tour", "counts_money": "on"}
    assert client.post(edit, data).status_code == 302
    own.refresh_from_db()
    assert (own.name, own.unit, own.counts_money, own.code) == (
        "Night bus tour",
        "tour",
        True,
        "night-bus",
    )
    event = AuditEvent.objects.get(action="service_type.updated")
    assert event.details == {"fields": ["counts_money", "name", "unit"]}
    default_edit = url("service_type_edit", service_type_id=default_type("food_parcel").pk)
    assert client.get(default_edit).status_code == 404
    assert client.post(edit, {**data, "name": "x" * 101}).status_code == 400


def test_admin_hides_a_default_and_offers_it_again(
    alice: User, carol: User, north: Organisation
) -> None:
    food = default_type("food_parcel")
    visibility = url("service_type_visibility", service_type_id=food.pk)
    client = client_for(alice)
    assert client.post(visibility, {"hidden": "1"}).status_code == 302
    assert food not in access.available_service_types(north)
    assert food.pk in access.hidden_ids(north)
    # Hiding twice changes nothing and records nothing more.
    assert client.post(visibility, {"hidden": "1"}).status_code == 302
    assert HiddenServiceType.objects.count() == 1
    assert AuditEvent.objects.filter(action="service_type.hidden").count() == 1
    assert client.post(visibility, {"hidden": "maybe"}).status_code == 400
    assert client.post(visibility, {"hidden": "0"}).status_code == 302
    assert food in access.available_service_types(north)
    assert AuditEvent.objects.filter(action="service_type.shown").count() == 1


def test_hiding_is_per_organisation(alice: User, north: Organisation, south: Organisation) -> None:
    food = default_type("food_parcel")
    client_for(alice).post(url("service_type_visibility", service_type_id=food.pk), {"hidden": "1"})
    assert food not in access.available_service_types(north)
    assert food in access.available_service_types(south)


def test_only_admins_manage_the_catalogue(carol: User, victor: User, bob: User) -> None:
    food = default_type("food_parcel")
    visibility = url("service_type_visibility", service_type_id=food.pk)
    for user, status in ((carol, 403), (victor, 403), (bob, 404)):
        assert client_for(user).get(url("service_catalogue")).status_code == status
        assert client_for(user).post(visibility, {"hidden": "1"}).status_code == status
    assert not HiddenServiceType.objects.exists()


def test_services_of_another_organisation_cannot_be_edited_or_hidden(
    alice: User, south: Organisation
) -> None:
    theirs = ServiceType.objects.create(
        organisation=south, code="theirs", name="Theirs", category="other", unit="x"
    )
    client = client_for(alice)
    assert client.get(url("service_type_edit", service_type_id=theirs.pk)).status_code == 404
    hide = url("service_type_visibility", service_type_id=theirs.pk)
    assert client.post(hide, {"hidden": "1"}).status_code == 404
    assert not HiddenServiceType.objects.exists()


def test_default_names_are_translated_and_own_names_are_not(north: Organisation) -> None:
    own = ServiceType.objects.create(
        organisation=north, code="food_parcel", name="Our parcel", category="other", unit="x"
    )
    with translation.override("fr"):
        assert access.service_label(default_type("food_parcel")) == "Colis alimentaire"
        assert access.service_label(own) == "Our parcel"
        assert access.unit_label("parcel") != "parcel"
        assert access.unit_label("our own unit") == "our own unit"


def test_recent_deliveries_of_a_person_and_a_household_for_other_pages(
    north: Organisation, south: Organisation, pia: Person, family: Household
) -> None:
    food = default_type("food_parcel")
    for day in range(1, 26):
        ServiceDelivery.objects.create(
            organisation=north, service_type=food, delivered_on=date(2026, 1, day), person=pia
        )
    ServiceDelivery.objects.create(
        organisation=north, service_type=food, delivered_on=date(2026, 1, 1), household=family
    )
    recent = access.deliveries_for_person(north, pia)
    assert len(recent) == access.RECENT_DELIVERIES
    assert recent[0].delivered_on == date(2026, 1, 25)
    assert len(access.deliveries_for_person(north, pia, limit=3)) == 3
    assert len(access.deliveries_for_household(north, family)) == 1
    assert access.deliveries_for_person(south, pia) == []


def test_a_quantity_and_its_unit_agree_in_the_readers_language() -> None:
    from decimal import Decimal

    assert access.quantity_label(Decimal("1"), "meal") == "1 meal"
    assert access.quantity_label(Decimal("6"), "meal") == "6 meals"
    assert access.quantity_label(Decimal("1.50"), "hour") == "1.50 hours"
    assert access.quantity_label(Decimal("3"), "our own unit") == "3 our own unit"
    with translation.override("fr"):
        assert access.quantity_label(Decimal("2"), "night") == "2 nuitées"
    with translation.override("es"):
        assert access.quantity_label(Decimal("1"), "voucher") == "1 vale"
        assert access.quantity_label(Decimal("4"), "voucher") == "4 vales"


def test_the_add_form_refuses_the_name_of_a_default_and_says_which(
    alice: User, north: Organisation
) -> None:
    data = {"name": "Food Parcel", "category": "basic_needs", "unit": "parcel"}
    response = client_for(alice).post(url("service_type_create"), data)
    assert response.status_code == 400
    assert "Your catalogue already has “Food parcel”" in response.content.decode()
    assert not ServiceType.objects.filter(organisation=north).exists()


def test_a_name_is_compared_in_every_language_the_catalogue_shows(north: Organisation) -> None:
    with translation.override("fr"):
        clash = access.name_clash(north, "food parcel")
    assert clash is not None
    assert (clash.service_type.code, clash.label, clash.language) == (
        "food_parcel",
        "Colis alimentaire",
        "en",
    )
    assert access.name_clash(north, "Night bus") is None
