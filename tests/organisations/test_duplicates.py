"""A new member whose name the directory holds in another country, or with no country given:
perhaps the same organisation entered again, so the coordinator is asked first."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from haven.organisations.models import Membership, Organisation
from tests.conftest import bearer, client_for, make_organisation
from tests.organisations.helpers import audit_events

MEMBERS = "/api/orgs/coalition/network/members"


def send(client: Client, user: Any, body: object) -> Any:
    return client.post(MEMBERS, body, content_type="application/json", **bearer(user))


def harbour_light() -> Organisation:
    return make_organisation("harbour-light", name="Harbour Light Shelter", country="GB")


def test_a_name_held_in_another_country_without_a_country_given_is_409(client, cora, coalition):
    existing = harbour_light()

    response = send(client, cora, {"name": "Harbour Light Shelter"})

    assert response.status_code == 409, response.content
    body = response.json()
    assert [found["id"] for found in body["similar"]] == [existing.pk]
    assert "Harbour Light Shelter (United Kingdom" in body["detail"]["name"][0]
    assert Organisation.objects.filter(name="Harbour Light Shelter").count() == 1
    assert audit_events("directory.organisation_created") == []


def test_a_name_held_in_another_country_is_409_until_confirmed(client, cora, coalition):
    existing = harbour_light()
    body = {"name": "The Harbour-Light shelter", "country": "IE"}
    assert send(client, cora, body).status_code == 409
    assert Organisation.objects.count() == 4

    response = send(client, cora, {**body, "confirm_duplicate": True})

    assert response.status_code == 201, response.content
    created = Organisation.objects.get(pk=response.json()["organisation"]["id"])
    assert created.country.code == "IE"
    event = audit_events("directory.organisation_created", organisation=coalition.organisation)[0]
    assert event.details["same_name_as"] == [existing.pk]


def test_a_new_name_needs_no_confirmation(client, cora, coalition):
    harbour_light()
    assert send(client, cora, {"name": "Open Gate"}).status_code == 201


def test_the_page_asks_whether_it_is_the_same_organisation(cora, coalition):
    existing = harbour_light()
    client = client_for(cora)
    form = {"name": "Harbour Light Shelter", "kind": "ngo", "category": "member"}
    add = reverse("network_member_add", kwargs={"org": "coalition"})

    response = client.post(add, form)

    assert response.status_code == 400
    page = response.content.decode()
    existing_link = (
        reverse("network_member_add_existing", kwargs={"org": "coalition"})
        + f"?organisation={existing.pk}"
    )
    assert existing_link in page
    assert 'name="confirm_duplicate"' in page
    assert Organisation.objects.filter(name="Harbour Light Shelter").count() == 1

    confirmed = client.post(add, {**form, "confirm_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Organisation.objects.filter(name="Harbour Light Shelter").count() == 2
    assert Membership.objects.filter(network=coalition).count() == 3


def test_the_confirmation_box_is_not_offered_before_it_is_needed(cora, coalition):
    page = client_for(cora).get(reverse("network_member_add", kwargs={"org": "coalition"}))
    assert 'name="confirm_duplicate"' not in page.content.decode()
