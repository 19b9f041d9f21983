"""Recording, listing, correcting and deleting services in the browser."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.casework.models import Consent, Household, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.services.models import HiddenServiceType, ServiceDelivery
from tests.conftest import client_for
from tests.services.conftest import LONG_AGO, default_type, make_person

RECORD = "service_record"


def record_url(**query: str) -> str:
    url = reverse(RECORD, kwargs={"org": "north"})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "service_type": str(default_type("food_parcel").pk),
        "delivered_on": timezone.localdate().isoformat(),
        "person": "",
        "household": "",
        "quantity": "1",
        "amount": "",
        "currency": "",
        "channel": "in_person",
        "language": "",
        "city": "Paris",
        "staff": "",
    }
    data.update(changes)
    return data


def test_caseworker_records_a_food_parcel_for_a_person_in_one_form(
    carol: User, pia: Person
) -> None:
    response = client_for(carol).post(record_url(), form_data(person="p-0001", quantity="2"))
    assert response.status_code == 302
    delivery = ServiceDelivery.objects.get()
    assert delivery.person == pia
    assert delivery.quantity == Decimal(2)
    assert delivery.staff == carol
    assert delivery.organisation.slug == "north"
    pia.refresh_from_db()
    assert pia.last_activity_at > LONG_AGO
    event = AuditEvent.objects.get(action="service.recorded")
    assert event.actor == carol
    assert event.object_id == str(delivery.pk)
    assert event.details == {"kind": "person", "service_type": "food_parcel"}


def test_the_record_form_defaults_to_today_and_me_and_prefills_the_person(
    carol: User, pia: Person
) -> None:
    response = client_for(carol).get(record_url(person=str(pia.pk)))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["delivered_on"] == timezone.localdate()
    assert form.initial["staff"] == str(carol.pk)
    assert form.initial["person"] == "P-0001"
    assert 'value="P-0001"' in response.content.decode()


def test_prefilling_a_person_of_another_organisation_is_404(carol: User, stranger: Person) -> None:
    assert client_for(carol).get(record_url(person=str(stranger.pk))).status_code == 404


def test_after_recording_the_form_returns_to_a_page_of_the_organisation_only(
    carol: User, pia: Person
) -> None:
    client = client_for(carol)
    response = client.post(record_url(), form_data(person="P-0001", next="/o/north/services/"))
    assert response["Location"] == "/o/north/services/"
    response = client.post(record_url(), form_data(person="P-0001", next="https://evil.example/"))
    assert response["Location"] == record_url()


def test_a_household_gets_a_service_and_each_member_counts_as_active(
    carol: User, family: Household
) -> None:
    response = client_for(carol).post(record_url(), form_data(household="H-0001"))
    assert response.status_code == 302
    assert ServiceDelivery.objects.get().household == family
    assert all(member.last_activity_at > LONG_AGO for member in family.members.all())


def test_a_household_with_a_member_without_consent_is_refused(
    carol: User, north: Organisation, family: Household
) -> None:
    member = make_person(north, "P-0103", consent=False)
    member.household = family
    member.save()
    response = client_for(carol).post(record_url(), form_data(household="H-0001"))
    assert response.status_code == 400
    assert "P-0103" in response.content.decode()
    assert not ServiceDelivery.objects.exists()


def test_helpline_operator_can_record_a_service(hana: User, pia: Person) -> None:
    data = form_data(person="P-0001", service_type=str(default_type("psychological_support").pk))
    data["channel"] = "phone"
    assert client_for(hana).post(record_url(), data).status_code == 302
    assert ServiceDelivery.objects.get().channel == "phone"


def test_viewer_is_refused_and_outsider_gets_404(victor: User, bob: User, pia: Person) -> None:
    assert client_for(victor).get(record_url()).status_code == 403
    assert client_for(victor).post(record_url(), form_data(person="P-0001")).status_code == 403
    assert client_for(bob).get(record_url()).status_code == 404
    assert client_for(bob).post(record_url(), form_data(person="P-0001")).status_code == 404
    assert not ServiceDelivery.objects.exists()


def test_a_person_whose_consent_was_withdrawn_gets_no_new_service(carol: User, pia: Person) -> None:
    Consent.objects.filter(person=pia).update(withdrawn_on=timezone.localdate() - timedelta(1))
    response = client_for(carol).post(record_url(), form_data(person="P-0001"))
    assert response.status_code == 400
    assert "consent" in response.content.decode()
    assert not ServiceDelivery.objects.exists()
    pia.refresh_from_db()
    assert pia.last_activity_at == LONG_AGO


def test_a_person_who_never_consented_gets_no_service(carol: User, north: Organisation) -> None:
    make_person(north, "P-0009", consent=False)
    response = client_for(carol).post(record_url(), form_data(person="P-0009"))
    assert response.status_code == 400
    assert not ServiceDelivery.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        (
            {
                "service_type": "voucher",
                "amount": "20",
                "currency": "XXY",
            },
            "currency",
        ),
        ({"service_type": "voucher", "amount": "20", "currency": ""}, "currency"),
        ({"service_type": "voucher", "amount": "-5", "currency": "EUR"}, "amount"),
        ({"service_type": "voucher", "amount": "", "currency": "EUR"}, "amount"),
        ({"amount": "5", "currency": "EUR"}, "amount"),
        ({"delivered_on": "future"}, "delivered_on"),
        ({"delivered_on": "1999-12-31"}, "delivered_on"),
        ({"city": "x" * 101}, "city"),
        ({"person": "P-9999"}, "person"),
        ({"language": "xx"}, "language"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_impossible_values_are_refused_with_a_message_and_nothing_saved(
    carol: User, pia: Person, changes: dict[str, str], field: str
) -> None:
    if changes.get("service_type") == "voucher":
        changes = {**changes, "service_type": str(default_type("voucher").pk)}
    if changes.get("delivered_on") == "future":
        changes = {**changes, "delivered_on": (timezone.localdate() + timedelta(2)).isoformat()}
    response = client_for(carol).post(record_url(), form_data(**{"person": "P-0001", **changes}))
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not ServiceDelivery.objects.exists()


def test_tomorrow_is_accepted_for_time_zones_ahead(carol: User, pia: Person) -> None:
    tomorrow = timezone.localdate() + timedelta(1)
    data = form_data(person="P-0001", delivered_on=tomorrow.isoformat())
    assert client_for(carol).post(record_url(), data).status_code == 302


def test_money_is_recorded_with_its_currency(carol: User, pia: Person) -> None:
    data = form_data(
        person="P-0001",
        service_type=str(default_type("emergency_rent").pk),
        amount="450.50",
        currency="eur",
    )
    assert client_for(carol).post(record_url(), data).status_code == 302
    delivery = ServiceDelivery.objects.get()
    assert (delivery.amount, delivery.currency) == (Decimal("450.50"), "EUR")


def test_a_person_code_of_another_organisation_reads_as_unknown(
    carol: User, stranger: Person
) -> None:
    # south has a P-0001 too; north does not: the answer must not hint at south's.
    response = client_for(carol).post(record_url(), form_data(person="P-0001"))
    assert response.status_code == 400
    assert "No one has this code in your organisation." in response.content.decode()
    assert not ServiceDelivery.objects.exists()


def test_a_hidden_service_is_not_offered_and_is_refused(
    carol: User, north: Organisation, pia: Person
) -> None:
    food = default_type("food_parcel")
    HiddenServiceType.objects.create(organisation=north, service_type=food)
    client = client_for(carol)
    groups = client.get(record_url()).context["form"].fields["service_type"].choices[1:]
    offered = {value for _group, options in groups for value, _label in options}
    assert str(default_type("cooked_meals").pk) in offered
    assert str(food.pk) not in offered
    response = client.post(record_url(), form_data(person="P-0001"))
    assert response.status_code == 400
    assert not ServiceDelivery.objects.exists()


def test_a_bulk_distribution_is_counted_without_names(carol: User) -> None:
    url = reverse("service_distribution_record", kwargs={"org": "north"})
    data = {
        "service_type": str(default_type("cooked_meals").pk),
        "delivered_on": "2026-01-03",
        "city": "Kolkata",
        "people_reached": "",
        "households_reached": "2500",
        "quantity": "2500",
        "channel": "outreach",
        "language": "bn",
    }
    response = client_for(carol).post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    delivery = ServiceDelivery.objects.get()
    assert delivery.person is None
    assert delivery.household is None
    assert (delivery.households_reached, delivery.quantity) == (2500, Decimal(2500))
    assert delivery.staff == carol
    assert AuditEvent.objects.get(action="service.recorded").details["kind"] == "distribution"


def test_the_quick_form_refuses_a_service_to_no_one(carol: User) -> None:
    response = client_for(carol).post(record_url(), form_data())
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the person or household who received the service, or, for a distribution" in page
    assert "Record a distribution or group session instead" in page
    assert not ServiceDelivery.objects.exists()


def test_a_distribution_needs_a_positive_count(carol: User) -> None:
    url = reverse("service_distribution_record", kwargs={"org": "north"})
    base = {
        "service_type": str(default_type("support_group").pk),
        "delivered_on": "2026-01-03",
        "quantity": "1",
        "channel": "online",
    }
    client = client_for(carol)
    assert client.post(url, base).status_code == 400
    assert client.post(url, {**base, "people_reached": "0"}).status_code == 400
    assert client.post(url, {**base, "people_reached": "-12"}).status_code == 400
    assert not ServiceDelivery.objects.exists()
    assert client.post(url, {**base, "people_reached": "12"}).status_code == 302
    assert ServiceDelivery.objects.get().people_reached == 12


def make_delivery(
    organisation: Organisation, code: str = "food_parcel", **fields: Any
) -> ServiceDelivery:
    values: dict[str, Any] = {"delivered_on": date(2026, 1, 10), "quantity": Decimal(1)}
    values.update(fields)
    return ServiceDelivery.objects.create(
        organisation=organisation, service_type=default_type(code), **values
    )


def test_the_list_filters_and_totals_the_whole_filtered_set(
    carol: User, north: Organisation, south: Organisation, pia: Person, family: Household
) -> None:
    make_delivery(north, person=pia, quantity=Decimal(2), city="Paris", staff=carol)
    make_delivery(north, person=pia, quantity=Decimal(3), city="Paris")
    make_delivery(north, household=family, quantity=Decimal(1), city="Lyon")
    make_delivery(north, "cooked_meals", quantity=Decimal(2500), households_reached=2500)
    make_delivery(
        north, "voucher", person=pia, amount=Decimal("25.50"), currency="EUR", quantity=Decimal(1)
    )
    make_delivery(
        north, "voucher", person=pia, amount=Decimal("10"), currency="EUR", quantity=Decimal(1)
    )
    make_delivery(north, "support_group", people_reached=12, delivered_on=date(2025, 5, 1))
    make_delivery(south, quantity=Decimal(99))
    client = client_for(carol)
    url = reverse("service_list", kwargs={"org": "north"})

    everything = client.get(url)
    assert everything.status_code == 200
    totals = everything.context["totals"]
    assert totals.count == 7
    assert dict(totals.quantities) == {
        "meal": Decimal(2500),
        "parcel": Decimal(6),
        "session": Decimal(1),
        "voucher": Decimal(2),
    }
    assert dict(totals.amounts) == {"EUR": Decimal("35.50")}
    # pia once, plus 12 counted; the family once, plus 2,500 counted.
    assert totals.people_reached == 13
    assert totals.households_reached == 2501

    parcels = client.get(url, {"service_type": default_type("food_parcel").pk})
    assert parcels.context["totals"].count == 3
    assert client.get(url, {"city": "paris"}).context["totals"].count == 2
    assert client.get(url, {"staff": carol.pk}).context["totals"].count == 1
    assert client.get(url, {"person": "P-0001"}).context["totals"].count == 4
    recent = client.get(url, {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert recent.context["totals"].count == 6
    assert client.get(url, {"channel": "phone"}).context["totals"].count == 0
    assert AuditEvent.objects.filter(action="service.listed").count() == 7


def test_the_list_shows_each_delivery_by_code_counts_money_and_staff(
    carol: User, north: Organisation, pia: Person, family: Household
) -> None:
    carol.first_name, carol.last_name = "Carol", "Nouri"
    carol.save()
    make_delivery(north, person=pia, staff=carol, city="Paris", quantity=Decimal("2.5"))
    make_delivery(north, household=family, delivered_on=date(2026, 1, 9))
    make_delivery(
        north, "voucher", person=pia, amount=Decimal("25.5"), currency="EUR",
        delivered_on=date(2026, 1, 8),
    )  # fmt: skip
    make_delivery(
        north, "cooked_meals", people_reached=12, households_reached=3,
        delivered_on=date(2026, 1, 7),
    )  # fmt: skip
    make_delivery(north, "cooked_meals", delivered_on=date(2026, 1, 6))
    response = client_for(carol).get(reverse("service_list", kwargs={"org": "north"}))
    rows = response.context["rows"]
    assert [row.recipient for row in rows] == [
        pia.code,
        family.code,
        pia.code,
        "12 people, 3 households",
        "",
    ]
    first = rows[0]
    assert (first.delivered_on, first.service, first.quantity) == (
        "10 January 2026",
        "Food parcel",
        "2.50",
    )
    assert (first.city, first.staff, first.channel, first.amount) == (
        "Paris",
        "Carol Nouri",
        "In person",
        "",
    )
    assert rows[2].amount == "25.50 EUR"
    assert rows[1].staff == rows[1].city == ""
    page = response.content.decode()
    assert "12 people, 3 households" in page
    assert '<span class="muted">anonymous</span>' in page
    assert reverse("service_edit", kwargs={"org": "north", "delivery_id": rows[0].id}) in page
    # No identifying field of a person or household is read for a list.
    assert pia.given_name not in page


def test_the_list_reads_the_same_number_of_queries_for_one_row_or_fifty(
    carol: User, north: Organisation, pia: Person
) -> None:
    client = client_for(carol)
    url = reverse("service_list", kwargs={"org": "north"})
    make_delivery(north, person=pia, staff=carol)
    client.get(url)  # the first request of a session renews it
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for day in range(60):
        make_delivery(
            north, person=pia, staff=carol, delivered_on=date(2025, 1, 1) + timedelta(day)
        )
    with CaptureQueriesContext(connection) as fifty:
        client.get(url)
    assert len(fifty) == len(one)


def test_the_list_refuses_bad_filters(carol: User) -> None:
    url = reverse("service_list", kwargs={"org": "north"})
    client = client_for(carol)
    assert client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"}).status_code == 400
    assert client.get(url, {"city": "x" * 101}).status_code == 400
    assert client.get(url, {"service_type": "999999"}).status_code == 400


def test_the_list_shows_fifty_a_page(carol: User, north: Organisation) -> None:
    for day in range(55):
        make_delivery(north, delivered_on=date(2025, 1, 1) + timedelta(day))
    client = client_for(carol)
    url = reverse("service_list", kwargs={"org": "north"})
    first = client.get(url)
    assert len(first.context["rows"]) == 50
    assert first.context["rows"][0].delivered_on == "24 February 2025"
    assert len(client.get(url, {"page": 2}).context["rows"]) == 5
    assert first.context["page"].paginator.num_pages == 2


def test_the_list_counts_the_filtered_deliveries_once_for_totals_and_pages(
    carol: User, north: Organisation
) -> None:
    for day in range(3):
        make_delivery(north, delivered_on=date(2025, 1, 1) + timedelta(day))
    with CaptureQueriesContext(connection) as queries:
        response = client_for(carol).get(reverse("service_list", kwargs={"org": "north"}))
    assert response.context["page"].paginator.count == 3
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "servicedelivery" in q["sql"]]
    assert len(counts) == 1, counts


def test_admin_and_dpo_see_the_list_but_the_viewer_does_not(
    alice: User, dana: User, victor: User, bob: User
) -> None:
    url = reverse("service_list", kwargs={"org": "north"})
    assert client_for(alice).get(url).status_code == 200
    assert client_for(dana).get(url).status_code == 200
    assert client_for(victor).get(url).status_code == 403
    assert client_for(bob).get(url).status_code == 404


def test_a_delivery_is_corrected_and_deleted_with_audit_events(
    carol: User, north: Organisation, pia: Person
) -> None:
    delivery = make_delivery(north, person=pia, staff=carol)
    url = reverse("service_edit", kwargs={"org": "north", "delivery_id": delivery.pk})
    client = client_for(carol)
    page = client.get(url)
    assert page.status_code == 200
    assert AuditEvent.objects.filter(action="service.viewed").count() == 1
    data = {**page.context["form"].initial, "quantity": "4", "delivered_on": "2026-01-11"}
    data = {key: "" if value is None else value for key, value in data.items()}
    assert client.post(url, data).status_code == 302
    delivery.refresh_from_db()
    assert (delivery.quantity, delivery.delivered_on) == (Decimal(4), date(2026, 1, 11))
    event = AuditEvent.objects.get(action="service.updated")
    assert event.details == {"fields": ["delivered_on", "quantity"]}

    assert client.post(url, {**data, "quantity": "-4"}).status_code == 400
    delivery.refresh_from_db()
    assert delivery.quantity == Decimal(4)

    delete = reverse("service_delete", kwargs={"org": "north", "delivery_id": delivery.pk})
    assert client.post(delete).status_code == 302
    assert not ServiceDelivery.objects.exists()
    assert AuditEvent.objects.get(action="service.deleted").object_id == str(delivery.pk)


def test_deliveries_of_another_organisation_are_404(
    carol: User, victor: User, south: Organisation
) -> None:
    delivery = make_delivery(south)
    edit = reverse("service_edit", kwargs={"org": "north", "delivery_id": delivery.pk})
    delete = reverse("service_delete", kwargs={"org": "north", "delivery_id": delivery.pk})
    assert client_for(carol).get(edit).status_code == 404
    assert client_for(carol).post(delete).status_code == 404
    assert ServiceDelivery.objects.filter(pk=delivery.pk).exists()


def test_the_record_form_prefills_a_household(carol: User, family: Household) -> None:
    response = client_for(carol).get(record_url(household=str(family.pk)))
    assert response.status_code == 200
    assert response.context["form"].initial["household"] == "H-0001"


def test_person_and_household_together_are_refused(
    carol: User, pia: Person, family: Household
) -> None:
    response = client_for(carol).post(record_url(), form_data(person="P-0001", household="H-0001"))
    assert response.status_code == 400
    assert response.context["form"].errors["household"]
    assert not ServiceDelivery.objects.exists()


def test_the_list_loads_no_identifying_field_of_the_people_it_shows(
    carol: User, pia: Person
) -> None:
    make_delivery(pia.organisation, person=pia)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(carol).get(reverse("service_list", kwargs={"org": "north"}))
    assert pia.code in response.content.decode()
    page_query = next(
        q["sql"] for q in queries if "casework_person" in q["sql"] and "LIMIT" in q["sql"]
    )
    assert '"casework_person"."code"' in page_query
    assert "given_name" not in page_query
    assert "phone" not in page_query


def test_the_record_pages_suggest_a_short_list_of_languages_and_take_any_typed(
    carol: User, pia: Person
) -> None:
    staff = client_for(carol)
    # Every ISO 639 language made each page weigh 278 KB (7,122 options) on a phone.
    for url in (record_url(), reverse("service_distribution_record", kwargs={"org": "north"})):
        response = staff.get(url)
        assert response.status_code == 200
        assert response.content.count(b"<option") < 400, url
        assert len(response.content) < 60_000, (url, len(response.content))
        page = response.content.decode()
        assert '<option value="uk">Ukrainian</option>' in page
        assert 'value="alu"' not in page  # 'Are'are, first of the 7,000
    typed = staff.post(record_url(), form_data(person="p-0001", language="PCM"))
    assert typed.status_code == 302
    named = staff.post(record_url(), form_data(person="p-0001", language=" nigerian  pidgin "))
    assert named.status_code == 302
    assert [delivery.language for delivery in ServiceDelivery.objects.all()] == ["pcm", "pcm"]
    delivery = ServiceDelivery.objects.first()
    assert delivery is not None
    edit = staff.get(reverse("service_edit", kwargs={"org": "north", "delivery_id": delivery.pk}))
    assert edit.content.count(b"<option") < 400
    assert 'name="language" value="pcm"' in edit.content.decode()
