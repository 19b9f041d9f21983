"""A list of services narrowed to one person or household is a read of their history."""

from __future__ import annotations

from django.urls import reverse

from haven.accounts.models import User
from haven.casework.models import Household, Person
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for


def _listed() -> list[tuple[str, str, list[str]]]:
    return [
        (event.object_type, event.object_id, event.details["filters"])
        for event in AuditEvent.objects.filter(action="service.listed").order_by("pk")
    ]


def test_the_trail_names_the_person_or_household_a_list_was_narrowed_to(
    carol: User, pia: Person, family: Household
) -> None:
    client = client_for(carol)
    page = reverse("service_list", kwargs={"org": "north"})
    assert client.get(page, {"person": pia.code}).status_code == 200
    assert client.get(page).status_code == 200
    api = "/api/orgs/north/services/deliveries"
    assert client.get(api, {"person_id": str(pia.pk)}, **bearer(carol)).status_code == 200
    assert client.get(api, {"person_code": pia.code}, **bearer(carol)).status_code == 200
    assert client.get(api, {"household_id": str(family.pk)}, **bearer(carol)).status_code == 200
    assert _listed() == [
        ("casework.person", str(pia.pk), ["person_code"]),
        ("", "", []),
        ("casework.person", str(pia.pk), ["person_id"]),
        ("casework.person", str(pia.pk), ["person_code"]),
        ("casework.household", str(family.pk), ["household_id"]),
    ]
    # The DPO's question "who read this person's history?" finds the three.
    reads = AuditEvent.objects.filter(object_type="casework.person", object_id=str(pia.pk))
    assert reads.filter(action="service.listed").count() == 3
