"""Who may change a directory entry, who is told when a network lists an organisation, and
whose audit trail records each change of the directory."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse

from haven.accounts.permissions import Role
from haven.organisations.actions import create_organisation
from haven.organisations.models import Membership, Organisation
from tests.conftest import bearer, client_for, make_user
from tests.organisations.helpers import audit_events, membership_of, snapshot

MEMBERS = "/api/orgs/coalition/network/members"
HIJACK = {"name": "North Shelter (dissolved)", "website": "https://attacker.example.net/"}
VALID_NORTH = {
    "name": "North Shelter (dissolved)",
    "short_name": "",
    "kind": "ngo",
    "country": "FR",
    "city": "Paris",
    "website": "https://attacker.example.net/",
    "languages": "",
}


def send(client: Client, method: str, path: str, user: Any, body: object = None) -> Any:
    return getattr(client, method)(
        path, body if body is not None else {}, content_type="application/json", **bearer(user)
    )


def entry_path(organisation: Organisation) -> str:
    return f"/api/orgs/coalition/network/organisations/{organisation.pk}"


def entry_page(organisation: Organisation) -> str:
    return reverse(
        "network_organisation_edit", kwargs={"org": "coalition", "organisation_id": organisation.pk}
    )


def test_a_coordinator_cannot_rewrite_the_entry_of_a_member_with_staff(
    client, cora, alice, coalition, north
):
    before = snapshot(north)
    response = send(client, "patch", entry_path(north), cora, HIJACK)

    assert response.status_code == 400
    assert "own staff" in response.json()["detail"]["__all__"][0]
    assert snapshot(north) == before
    assert audit_events("directory.organisation_updated") == []


def test_the_coordinators_page_shows_a_staffed_members_entry_without_a_form(
    cora, alice, coalition, north
):
    client = client_for(cora)
    page = client.get(entry_page(north))
    assert page.status_code == 200
    body = page.content.decode()
    assert "own staff" in body
    assert 'name="name"' not in body

    before = snapshot(north)
    refused = client.post(entry_page(north), VALID_NORTH)
    assert refused.status_code == 400
    assert snapshot(north) == before
    assert audit_events("directory.organisation_updated") == []


def test_the_staff_keep_their_entry_themselves(client, alice, cora, coalition, north):
    response = send(client, "patch", "/api/orgs/north/profile", alice, {"city": "Lille"})
    assert response.status_code == 200
    assert snapshot(north)["city"] == "Lille"


def test_a_former_members_entry_is_no_longer_the_coordinators_to_change(
    client, cora, coalition, north
):
    Membership.objects.filter(organisation=north).update(until=date(2020, 1, 1))
    before = snapshot(north)

    response = send(client, "patch", entry_path(north), cora, HIJACK)

    assert response.status_code == 400
    assert "no longer a member" in response.json()["detail"]["__all__"][0]
    assert snapshot(north) == before
    web = client_for(cora).post(entry_page(north), VALID_NORTH)
    assert web.status_code == 400
    assert snapshot(north) == before


def test_a_directory_only_members_entry_change_is_in_both_trails(client, cora, coalition, north):
    response = send(client, "patch", entry_path(north), cora, {"city": "Lille"})

    assert response.status_code == 200, response.content
    events = audit_events("directory.organisation_updated")
    assert {event.organisation for event in events} == {coalition.organisation, north}
    assert all(event.actor == cora and event.details == {"fields": ["city"]} for event in events)


def test_a_member_joining_later_can_have_its_entry_put_right(client, cora, coalition, elsewhere):
    Membership.objects.create(network=coalition, organisation=elsewhere, since=date(2099, 1, 1))
    response = send(client, "patch", entry_path(elsewhere), cora, {"city": "Chisinau"})
    assert response.status_code == 200, response.content


@pytest.fixture
def staffed(elsewhere: Organisation) -> dict[str, Any]:
    """elsewhere, with an admin writing in French and a caseworker."""
    admin = make_user("ella", elsewhere, Role.ORGANISATION_ADMIN)
    admin.preferred_language = "fr"
    admin.save(update_fields=["preferred_language"])
    return {"admin": admin, "caseworker": make_user("carl", elsewhere, Role.CASEWORKER)}


def test_listing_an_organisation_with_staff_tells_its_admins_and_both_trails(
    client, cora, coalition, elsewhere, staffed, django_capture_on_commit_callbacks
):
    headers = bearer(cora)
    mail.outbox.clear()  # the e-mail about the token just made
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            MEMBERS,
            {"organisation_id": elsewhere.pk, "category": "international_network"},
            content_type="application/json",
            **headers,
        )

    assert response.status_code == 201, response.content
    [message] = mail.outbox
    assert message.to == [staffed["admin"].email]
    assert message.reply_to == [cora.email]
    assert message.extra_headers["Content-Language"] == "fr"
    assert "La Strada Moldova" in message.subject
    assert "Coalition" in message.body
    assert "/networks/coalition/" in message.body
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives[0][1] == "text/html"
    events = audit_events("directory.membership_added")
    assert {event.organisation for event in events} == {coalition.organisation, elsewhere}


def test_listing_a_directory_only_organisation_emails_nobody(
    client, cora, coalition, elsewhere, django_capture_on_commit_callbacks
):
    headers = bearer(cora)
    mail.outbox.clear()  # the e-mail about the token just made
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            MEMBERS, {"organisation_id": elsewhere.pk}, content_type="application/json", **headers
        )
    assert response.status_code == 201
    assert mail.outbox == []
    assert len(audit_events("directory.membership_added")) == 2


def test_the_page_that_adds_an_existing_organisation_tells_its_admins_too(
    cora, coalition, elsewhere, staffed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cora).post(
            reverse("network_member_add_existing", kwargs={"org": "coalition"}),
            {"organisation": elsewhere.pk, "category": "member"},
        )
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[staffed["admin"].email]]


def test_a_new_organisation_and_each_membership_change_are_in_both_trails(
    client, cora, coalition, south
):
    created = send(client, "post", MEMBERS, cora, {"name": "Open Gate", "country": "MK"})
    assert created.status_code == 201, created.content
    open_gate = Organisation.objects.get(name="Open Gate")
    [first, second] = audit_events("directory.organisation_created")
    assert {first.organisation, second.organisation} == {coalition.organisation, open_gate}

    membership = membership_of(coalition, south)
    path = f"{MEMBERS}/{membership.pk}"
    assert send(client, "patch", path, cora, {"category": "supporter"}).status_code == 200
    assert send(client, "post", f"{path}/end", cora).status_code == 200
    for action in ("directory.membership_updated", "directory.membership_ended"):
        events = audit_events(action)
        assert {event.organisation for event in events} == {coalition.organisation, south}


def test_an_entry_added_outside_any_network_is_in_both_trails(alice, north):
    added = create_organisation(
        actor=alice,
        acting_organisation=north,
        organisation_values={"name": "Outside Signatory", "country": "IT"},
    )
    events = audit_events("directory.organisation_created")
    assert {event.organisation for event in events} == {north, added}
