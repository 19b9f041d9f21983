"""A network's coordinator invites the first admin of a member that has no staff on Haven."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts import actions as accounts
from haven.accounts.models import Invitation, RoleAssignment
from haven.accounts.permissions import Role
from haven.organisations.models import Membership, Organisation
from tests.conftest import bearer, client_for
from tests.organisations.helpers import audit_events

PASSWORD = "a long and unusual passphrase 42"


def page(organisation: Organisation) -> str:
    return reverse(
        "network_first_admin", kwargs={"org": "coalition", "organisation_id": organisation.pk}
    )


def api_path(organisation: Organisation) -> str:
    return f"/api/orgs/coalition/network/organisations/{organisation.pk}/first-admin"


def post_api(client: Client, user: Any, organisation: Organisation, body: object) -> Any:
    return client.post(
        api_path(organisation), body, content_type="application/json", **bearer(user)
    )


def invitations(organisation: Organisation) -> list[Invitation]:
    with scopes_disabled():
        return list(Invitation.objects.filter(organisation=organisation))


def test_the_coordinator_invites_the_first_admin_from_the_members_entry(
    cora, coalition, north, django_capture_on_commit_callbacks
):
    client = client_for(cora)
    entry = client.get(
        reverse(
            "network_organisation_edit", kwargs={"org": "coalition", "organisation_id": north.pk}
        )
    ).content.decode()
    assert page(north) in entry
    assert 'name="email"' in client.get(page(north)).content.decode()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page(north), {"email": "director@north.example.org"})

    assert response.status_code == 302
    [invitation] = invitations(north)
    assert (invitation.email, invitation.roles) == (
        "director@north.example.org",
        [Role.ORGANISATION_ADMIN],
    )
    assert invitation.invited_by == cora
    [message] = mail.outbox
    assert message.to == ["director@north.example.org"]
    assert "North Shelter" in message.subject
    [sent] = audit_events("invitation.sent")
    assert (sent.organisation, sent.actor) == (north, cora)
    [noted] = audit_events("directory.first_admin_invited")
    assert noted.organisation == coalition.organisation
    assert noted.details == {"invitation_id": invitation.pk}
    waiting = client.get(page(north)).content.decode()
    assert "director@north.example.org" in waiting


def test_once_the_admin_accepted_the_network_invites_and_edits_no_more(
    client, cora, coalition, north
):
    with scopes_disabled():
        invitation = accounts.invite_user(
            actor=cora, organisation=north, email="first@north.example.org", roles=["viewer"]
        )
    response = post_api(client, cora, north, {"email": "first@north.example.org"})
    assert response.status_code == 400  # already invited (the accounts rule)
    accounts.accept_invitation(invitation=invitation, username="first", password=PASSWORD)
    assert RoleAssignment.objects.filter(organisation=north).exists()

    refused = post_api(client, cora, north, {"email": "second@north.example.org"})
    assert refused.status_code == 400
    assert "already has staff" in refused.json()["detail"]["__all__"][0]
    web = client_for(cora).post(page(north), {"email": "second@north.example.org"})
    assert web.status_code == 400
    assert "already has staff" in web.content.decode()
    assert 'name="email"' not in client_for(cora).get(page(north)).content.decode()
    assert [i.email for i in invitations(north)] == ["first@north.example.org"]
    assert audit_events("directory.first_admin_invited") == []


def test_the_api_invites_the_first_admin(client, cora, coalition, north):
    response = post_api(client, cora, north, {"email": "director@north.example.org"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "director@north.example.org"
    assert body["roles"] == ["organisation_admin"]
    assert [i.pk for i in invitations(north)] == [body["id"]]


def test_a_member_with_staff_is_refused_and_its_own_invitations_stay_hidden(
    client, cora, alice, coalition, north
):
    with scopes_disabled():
        accounts.invite_user(
            actor=alice, organisation=north, email="colleague@north.example.org", roles=["viewer"]
        )
    response = post_api(client, cora, north, {"email": "intruder@example.net"})
    assert response.status_code == 400
    entry = (
        client_for(cora)
        .get(
            reverse(
                "network_organisation_edit",
                kwargs={"org": "coalition", "organisation_id": north.pk},
            )
        )
        .content.decode()
    )
    assert "colleague@north.example.org" not in entry
    assert page(north) not in entry
    assert "colleague@north.example.org" not in client_for(cora).get(page(north)).content.decode()
    assert [i.email for i in invitations(north)] == ["colleague@north.example.org"]


def test_a_former_member_gets_no_invitation_from_the_network(client, cora, coalition, north):
    Membership.objects.filter(organisation=north).update(until=date(2020, 1, 1))
    response = post_api(client, cora, north, {"email": "director@north.example.org"})
    assert response.status_code == 400
    assert "no longer a member" in response.json()["detail"]["__all__"][0]
    assert invitations(north) == []


def test_an_organisation_outside_the_network_is_404(client, cora, coalition, elsewhere):
    response = post_api(client, cora, elsewhere, {"email": "director@example.org"})
    assert response.status_code == 404
    assert client_for(cora).get(page(elsewhere)).status_code == 404
    assert invitations(elsewhere) == []


@pytest.mark.parametrize("email", ["not an address", "", "x" * 300 + "@example.org"])
def test_a_bad_address_is_refused_and_nothing_sent(client, cora, coalition, north, email):
    assert post_api(client, cora, north, {"email": email}).status_code == 400
    assert client_for(cora).post(page(north), {"email": email}).status_code == 400
    assert invitations(north) == []


def revoke(client: Client, organisation: Organisation, invitation_id: object, **extra: Any) -> Any:
    return client.post(page(organisation), {"revoke": invitation_id}, **extra)


def test_the_coordinator_withdraws_an_invitation_sent_to_a_wrong_address(cora, coalition, north):
    client = client_for(cora)
    assert client.post(page(north), {"email": "director@nroth.example.org"}).status_code == 302
    [invitation] = invitations(north)
    shown = client.get(page(north)).content.decode()
    assert f'name="revoke" value="{invitation.pk}"' in shown

    response = revoke(client, north, invitation.pk, follow=True)

    assert "was withdrawn" in response.content.decode()
    [invitation] = invitations(north)
    assert invitation.revoked_at is not None
    [revoked] = audit_events("invitation.revoked")
    assert (revoked.organisation, revoked.actor) == (north, cora)
    [noted] = audit_events("directory.first_admin_invitation_revoked")
    assert noted.organisation == coalition.organisation
    assert noted.details == {"invitation_id": invitation.pk}
    assert "director@nroth.example.org" not in client.get(page(north)).content.decode()
    # Withdrawn once: a second press finds nothing waiting.
    second = revoke(client, north, invitation.pk, follow=True)
    assert "no longer waiting" in second.content.decode()
    for nonsense in ("x", "9" * 40, ""):
        assert revoke(client, north, nonsense).status_code == 302


def test_the_api_lists_and_withdraws_waiting_invitations(client, cora, coalition, north):
    sent = post_api(client, cora, north, {"email": "director@north.example.org"}).json()
    listed = client.get(api_path(north), **bearer(cora))
    assert [row["id"] for row in listed.json()] == [sent["id"]]
    revocations = f"{api_path(north)}/revocations"
    withdrawn = client.post(
        revocations, {"invitation_id": sent["id"]}, content_type="application/json", **bearer(cora)
    )
    assert withdrawn.status_code == 204
    assert client.get(api_path(north), **bearer(cora)).json() == []
    again = client.post(
        revocations, {"invitation_id": sent["id"]}, content_type="application/json", **bearer(cora)
    )
    assert again.status_code == 400
    assert again.json() == {
        "detail": {"invitation_id": ["No invitation of this organisation is waiting with this id."]}
    }


def test_an_invitation_stays_withdrawable_after_the_membership_ended(cora, coalition, north):
    client = client_for(cora)
    client.post(page(north), {"email": "director@north.example.org"})
    Membership.objects.filter(organisation=north).update(until=date(2020, 1, 1))
    [invitation] = invitations(north)
    assert f'value="{invitation.pk}"' in client.get(page(north)).content.decode()
    assert revoke(client, north, invitation.pk).status_code == 302
    assert invitations(north)[0].revoked_at is not None


def test_the_invitations_of_a_member_with_staff_are_not_the_networks_to_withdraw(
    client, cora, alice, coalition, north
):
    with scopes_disabled():
        own = accounts.invite_user(
            actor=alice, organisation=north, email="colleague@north.example.org", roles=["viewer"]
        )
    assert client.get(api_path(north), **bearer(cora)).json() == []
    refused = client.post(
        f"{api_path(north)}/revocations",
        {"invitation_id": own.pk},
        content_type="application/json",
        **bearer(cora),
    )
    assert refused.status_code == 400
    assert revoke(client_for(cora), north, own.pk).status_code == 302
    # Nor is anyone's but the coordinator's to withdraw through the network's pages.
    assert revoke(client_for(alice), north, own.pk).status_code in (403, 404)
    assert invitations(north)[0].revoked_at is None


@pytest.mark.parametrize(
    "address", ["director@localhost", "dïrector@north.example.org", "director@[192.0.2.1]"]
)
def test_the_page_and_the_api_refuse_the_same_addresses(client, cora, coalition, north, address):
    # The page checked with Django's field alone (a bare host passed), the API with Haven's
    # check alone (a name before the @ in other letters passed): now both, in both.
    assert client_for(cora).post(page(north), {"email": address}).status_code == 400
    assert post_api(client, cora, north, {"email": address}).status_code == 400
    assert invitations(north) == []
