"""The services API: the catalogue, deliveries and bulk distributions."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.casework.models import Consent, Household, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.services.models import HiddenServiceType, ServiceDelivery, ServiceType
from tests.conftest import bearer
from tests.services.conftest import LONG_AGO, default_type

DELIVERIES = "/api/orgs/north/services/deliveries"
TYPES = "/api/orgs/north/services/types"


def send(user: User, method: str, path: str, body: Any = None) -> Any:
    extra: dict[str, Any] = bearer(user)
    if body is not None:
        extra.update(data=json.dumps(body), content_type="application/json")
    return getattr(Client(), method)(path, **extra)


def delivery_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_type_id": default_type("food_parcel").pk,
        "delivered_on": "2026-01-05",
        "quantity": "2",
        "channel": "in_person",
        "city": "Paris",
    }
    body.update(changes)
    return body


def test_caseworker_records_reads_corrects_and_deletes_a_delivery(carol: User, pia: Person) -> None:
    created = send(carol, "post", DELIVERIES, delivery_body(person_id=str(pia.pk)))
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["person_code"] == "P-0001"
    assert data["service"] == "Food parcel"
    assert data["staff_id"] == carol.pk
    assert Decimal(data["quantity"]) == Decimal(2)
    pia.refresh_from_db()
    assert pia.last_activity_at > LONG_AGO

    one = f"{DELIVERIES}/{data['id']}"
    assert send(carol, "get", one).json()["id"] == data["id"]
    patched = send(carol, "patch", one, {"quantity": "3.5", "language": "FR"})
    assert patched.status_code == 200, patched.json()
    assert patched.json()["language"] == "fr"
    delivery = ServiceDelivery.objects.get()
    assert delivery.quantity == Decimal("3.5")
    assert AuditEvent.objects.get(action="service.updated").details == {
        "fields": ["language", "quantity"]
    }

    assert send(carol, "delete", one).status_code == 204
    assert not ServiceDelivery.objects.exists()
    assert AuditEvent.objects.filter(action="service.deleted").count() == 1
    assert send(carol, "get", one).status_code == 404


def test_a_bulk_distribution_goes_to_the_same_endpoint_with_counts(carol: User) -> None:
    body = delivery_body(
        service_type_id=default_type("cooked_meals").pk,
        quantity=2500,
        households_reached=2500,
        city="Kolkata",
        delivered_on="2026-05-03",
    )
    response = send(carol, "post", DELIVERIES, body)
    assert response.status_code == 201, response.json()
    assert response.json()["households_reached"] == 2500
    assert response.json()["person_id"] is None


def test_counts_belong_to_distributions_not_to_a_person(carol: User, pia: Person) -> None:
    body = delivery_body(person_id=str(pia.pk), people_reached=12)
    response = send(carol, "post", DELIVERIES, body)
    assert response.status_code == 400
    assert "people_reached" in response.json()["detail"]
    assert not ServiceDelivery.objects.exists()


def test_a_delivery_to_no_one_without_a_count_is_refused(carol: User, pia: Person) -> None:
    body = {"service_type_id": default_type("food_parcel").pk, "delivered_on": "2026-12-05"}
    response = send(carol, "post", DELIVERIES, body)
    assert response.status_code == 400
    assert "the number of people or households reached" in response.json()["detail"]["__all__"][0]
    assert not ServiceDelivery.objects.exists()
    assert not AuditEvent.objects.filter(action="service.recorded").exists()

    created = send(carol, "post", DELIVERIES, delivery_body(person_id=str(pia.pk)))
    one = f"{DELIVERIES}/{created.json()['id']}"
    emptied = send(carol, "patch", one, {"person_id": None})
    assert emptied.status_code == 400
    assert "__all__" in emptied.json()["detail"]
    assert ServiceDelivery.objects.get().person == pia
    counted = send(carol, "patch", one, {"person_id": None, "people_reached": 3})
    assert counted.status_code == 200, counted.json()


def test_helpline_operator_records_through_the_api(hana: User, pia: Person) -> None:
    body = delivery_body(
        person_id=str(pia.pk),
        service_type_id=default_type("legal_support").pk,
        channel="phone",
        language="ar",
    )
    assert send(hana, "post", DELIVERIES, body).status_code == 201


def test_viewer_gets_403_and_outsider_404(victor: User, bob: User, north: Organisation) -> None:
    delivery = ServiceDelivery.objects.create(
        organisation=north, service_type=default_type("food_parcel"), delivered_on=date(2026, 1, 1)
    )
    for user, status in ((victor, 403), (bob, 404)):
        assert send(user, "get", DELIVERIES).status_code == status
        assert send(user, "post", DELIVERIES, delivery_body()).status_code == status
        assert send(user, "get", f"{DELIVERIES}/{delivery.pk}").status_code == status
        assert send(user, "delete", f"{DELIVERIES}/{delivery.pk}").status_code == status
        assert send(user, "get", TYPES).status_code == status
    assert ServiceDelivery.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"service_type_id": "voucher", "amount": "10", "currency": "XXY"}, "currency"),
        ({"service_type_id": "voucher", "amount": "10"}, "currency"),
        ({"service_type_id": "voucher", "currency": "EUR"}, "amount"),
        ({"service_type_id": "voucher", "amount": "-1", "currency": "EUR"}, "amount"),
        ({"amount": "10", "currency": "EUR"}, "amount"),
        ({"delivered_on": "future"}, "delivered_on"),
        ({"delivered_on": "1999-01-01"}, "delivered_on"),
        ({"city": "x" * 101}, "city"),
        ({"language": "zz"}, "language"),
        ({"people_reached": 0}, "people_reached"),
        ({"staff_id": 10**6}, "staff_id"),
        ({"service_type_id": 10**6}, "service_type_id"),
    ],
)
def test_bad_deliveries_are_refused_with_400_and_nothing_changes(
    carol: User, pia: Person, changes: dict[str, Any], field: str
) -> None:
    if changes.get("service_type_id") == "voucher":
        changes = {**changes, "service_type_id": default_type("voucher").pk}
    if changes.get("delivered_on") == "future":
        changes = {**changes, "delivered_on": str(timezone.localdate() + timedelta(2))}
    response = send(carol, "post", DELIVERIES, delivery_body(person_id=str(pia.pk), **changes))
    assert response.status_code == 400
    assert field in response.json()["detail"], response.json()
    assert not ServiceDelivery.objects.exists()
    pia.refresh_from_db()
    assert pia.last_activity_at == LONG_AGO


def test_a_person_of_another_organisation_reads_as_unknown(carol: User, stranger: Person) -> None:
    response = send(carol, "post", DELIVERIES, delivery_body(person_id=str(stranger.pk)))
    assert response.status_code == 400
    assert response.json()["detail"] == {
        "person_id": ["No person with this id in your organisation."]
    }
    assert "P-0001" not in response.content.decode()
    assert not ServiceDelivery.objects.exists()


def test_withdrawn_consent_refuses_new_services_and_corrections(
    carol: User, north: Organisation, pia: Person
) -> None:
    delivery = ServiceDelivery.objects.create(
        organisation=north,
        service_type=default_type("food_parcel"),
        delivered_on=date(2026, 1, 1),
        person=pia,
    )
    Consent.objects.filter(person=pia).update(withdrawn_on=date(2026, 1, 2))
    response = send(carol, "post", DELIVERIES, delivery_body(person_id=str(pia.pk)))
    assert response.status_code == 400
    assert "consent" in json.dumps(response.json())
    assert send(carol, "patch", f"{DELIVERIES}/{delivery.pk}", {"quantity": 5}).status_code == 400
    delivery.refresh_from_db()
    assert delivery.quantity == Decimal(1)
    assert ServiceDelivery.objects.count() == 1


def test_a_hidden_service_is_refused_but_past_records_keep_it(
    carol: User, north: Organisation, pia: Person
) -> None:
    food = default_type("food_parcel")
    delivery = ServiceDelivery.objects.create(
        organisation=north, service_type=food, delivered_on=date(2026, 1, 1), person=pia
    )
    HiddenServiceType.objects.create(organisation=north, service_type=food)
    response = send(carol, "post", DELIVERIES, delivery_body(person_id=str(pia.pk)))
    assert response.status_code == 400
    assert "service_type_id" in response.json()["detail"]
    one = f"{DELIVERIES}/{delivery.pk}"
    assert send(carol, "patch", one, {"service_type_id": food.pk, "quantity": 2}).status_code == 200
    assert ServiceDelivery.objects.count() == 1


def test_the_list_filters_paginates_and_totals(
    carol: User, north: Organisation, pia: Person, family: Household
) -> None:
    food, voucher = default_type("food_parcel"), default_type("voucher")
    for day in range(1, 6):
        ServiceDelivery.objects.create(
            organisation=north,
            service_type=food,
            delivered_on=date(2026, 1, day),
            person=pia,
            quantity=Decimal(2),
        )
    ServiceDelivery.objects.create(
        organisation=north,
        service_type=voucher,
        delivered_on=date(2026, 2, 1),
        household=family,
        amount=Decimal("30"),
        currency="INR",
        channel="outreach",
    )
    ServiceDelivery.objects.create(
        organisation=north,
        service_type=food,
        delivered_on=date(2026, 2, 2),
        people_reached=40,
        quantity=Decimal(40),
        city="Lyon",
    )
    page = send(carol, "get", f"{DELIVERIES}?limit=2&offset=1").json()
    assert page["count"] == 7
    assert [item["delivered_on"] for item in page["items"]] == ["2026-02-01", "2026-01-05"]
    totals = page["totals"]
    assert totals["people_reached"] == 41
    assert totals["households_reached"] == 1
    assert {row["unit"]: Decimal(row["quantity"]) for row in totals["quantities"]} == {
        "parcel": Decimal(50),
        "voucher": Decimal(1),
    }
    assert [(row["currency"], Decimal(row["amount"])) for row in totals["amounts"]] == [
        ("INR", Decimal(30))
    ]
    by_person = send(carol, "get", f"{DELIVERIES}?person_id={pia.pk}").json()
    assert by_person["count"] == 5
    january = send(carol, "get", f"{DELIVERIES}?date_from=2026-01-02&date_to=2026-01-31").json()
    assert january["count"] == 4
    assert send(carol, "get", f"{DELIVERIES}?channel=outreach").json()["count"] == 1
    assert send(carol, "get", f"{DELIVERIES}?city=LYON").json()["count"] == 1
    assert send(carol, "get", f"{DELIVERIES}?service_type_id={voucher.pk}").json()["count"] == 1
    backwards = send(carol, "get", f"{DELIVERIES}?date_from=2026-02-01&date_to=2026-01-01")
    assert backwards.status_code == 400


# --- catalogue ---------------------------------------------------------------------------


def test_the_catalogue_lists_defaults_and_own_services_with_their_state(
    carol: User, north: Organisation, south: Organisation
) -> None:
    ServiceType.objects.create(
        organisation=north, code="night-bus", name="Night bus", category="outreach", unit="trip"
    )
    ServiceType.objects.create(
        organisation=south, code="south-only", name="South only", category="other", unit="x"
    )
    HiddenServiceType.objects.create(organisation=north, service_type=default_type("clothing"))
    items = send(carol, "get", f"{TYPES}?limit=200").json()["items"]
    codes = {item["code"]: item for item in items}
    assert "night-bus" in codes
    assert "south-only" not in codes
    assert codes["clothing"]["hidden"] is True
    assert codes["food_parcel"]["default"] is True
    offered = send(carol, "get", f"{TYPES}?include_hidden=false&limit=200").json()["items"]
    assert "clothing" not in {item["code"] for item in offered}


def test_admin_adds_edits_and_hides_services_through_the_api(
    alice: User, carol: User, north: Organisation
) -> None:
    created = send(
        alice,
        "post",
        TYPES,
        {"name": "Data top-up", "category": "communication", "unit": "card"},
    )
    assert created.status_code == 201, created.json()
    own = created.json()
    assert own["code"] == "data-top-up"
    assert own["default"] is False
    patched = send(alice, "patch", f"{TYPES}/{own['id']}", {"counts_money": True})
    assert patched.json()["counts_money"] is True

    food = default_type("food_parcel")
    assert send(alice, "patch", f"{TYPES}/{food.pk}", {"hidden": True}).json()["hidden"] is True
    assert HiddenServiceType.objects.filter(organisation=north, service_type=food).exists()
    renamed = send(alice, "patch", f"{TYPES}/{food.pk}", {"name": "Food"})
    assert renamed.status_code == 400
    food.refresh_from_db()
    assert food.name == "Food parcel"
    assert send(alice, "patch", f"{TYPES}/{food.pk}", {"hidden": False}).json()["hidden"] is False
    assert [
        event.action
        for event in AuditEvent.objects.filter(action__startswith="service_type").order_by("seq")
    ] == [
        "service_type.created",
        "service_type.updated",
        "service_type.hidden",
        "service_type.shown",
    ]
    # A caseworker reads the catalogue but cannot change it.
    assert send(carol, "get", f"{TYPES}/{own['id']}").status_code == 200
    assert send(carol, "patch", f"{TYPES}/{own['id']}", {"name": "x"}).status_code == 403


def test_services_of_another_organisation_are_out_of_reach(
    alice: User, south: Organisation
) -> None:
    theirs = ServiceType.objects.create(
        organisation=south, code="theirs", name="Theirs", category="other", unit="x"
    )
    assert send(alice, "get", f"{TYPES}/{theirs.pk}").status_code == 404
    assert send(alice, "patch", f"{TYPES}/{theirs.pk}", {"hidden": True}).status_code == 404
    assert not HiddenServiceType.objects.exists()


def test_a_new_service_gets_a_free_code_and_a_unique_name(alice: User) -> None:
    first = send(alice, "post", TYPES, {"name": "Night bus", "unit": "trip"})
    assert first.status_code == 201
    assert first.json()["code"] == "night-bus"
    second = send(alice, "post", TYPES, {"name": "night  BUS", "unit": "trip"})
    assert second.status_code == 400
    arabic = send(alice, "post", TYPES, {"name": "طرد غذائي", "unit": "parcel"})
    assert arabic.json()["code"] == "service"
    assert send(alice, "post", TYPES, {"name": "   ", "unit": "parcel"}).status_code == 400


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Food parcel", "Your catalogue already has “Food parcel”: record under that service"),
        ("  food   PARCEL ", "Your catalogue already has “Food parcel”"),
        ("Colis alimentaire", "“Colis alimentaire” is the French name of “Food parcel”"),
        ("colis alimentaíre", "is the French name of “Food parcel”"),
        ("Kit d'hygiene", "is the French name of “Hygiene pack”"),
        ("Lote de alimentos", "is the Spanish name of “Food parcel”"),
    ],
)
def test_a_new_service_may_not_take_the_name_of_a_default_in_any_language(
    alice: User, name: str, message: str
) -> None:
    response = send(alice, "post", TYPES, {"name": name, "unit": "parcel"})
    assert response.status_code == 400
    assert message in response.json()["detail"]["name"][0]
    assert not ServiceType.objects.filter(organisation__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="service_type.created").exists()


def test_a_hidden_default_is_offered_again_rather_than_added_twice(
    alice: User, north: Organisation
) -> None:
    HiddenServiceType.objects.create(organisation=north, service_type=default_type("clothing"))
    response = send(alice, "post", TYPES, {"name": "Clothing", "unit": "item"})
    assert response.status_code == 400
    assert "“Clothing”, hidden: offer it again" in response.json()["detail"]["name"][0]


def test_an_own_service_may_not_be_renamed_to_another_services_name(alice: User) -> None:
    own = send(alice, "post", TYPES, {"name": "Night bus", "unit": "trip"}).json()
    send(alice, "post", TYPES, {"name": "Day bus", "unit": "trip"})
    for name in ("Food parcel", "Day bus", "Repas chauds"):
        renamed = send(alice, "patch", f"{TYPES}/{own['id']}", {"name": name})
        assert renamed.status_code == 400, name
    assert ServiceType.objects.get(pk=own["id"]).name == "Night bus"
    kept = send(alice, "patch", f"{TYPES}/{own['id']}", {"name": "NIGHT bus"})
    assert kept.status_code == 200
