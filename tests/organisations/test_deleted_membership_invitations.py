"""Deleting a membership withdraws the first-admin invitations the network sent the member:
the network's first-admin pages answer 404 once it has none, so nobody else could."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from haven.accounts.models import Invitation, User
from haven.accounts.permissions import Role
from haven.organisations import actions
from haven.organisations.models import Membership
from tests.conftest import bearer, make_user
from tests.organisations.helpers import audit_events, membership_of

pytestmark = pytest.mark.django_db


def invite(client: Client, user: User, organisation_id: int, email: str) -> int:
    response = client.post(
        f"/api/orgs/coalition/network/organisations/{organisation_id}/first-admin",
        {"email": email},
        content_type="application/json",
        **bearer(user),
    )
    assert response.status_code == 201
    return int(response.json()["id"])


def revoked(invitation_id: int) -> bool:
    with scopes_disabled():
        return Invitation.objects.get(pk=invitation_id).revoked_at is not None


def test_deleting_the_membership_withdraws_the_networks_waiting_invitations(
    client, cora, coalition, south
):
    sent = invite(client, cora, south.pk, "director@south.example.org")
    membership = membership_of(coalition, south)

    response = client.delete(f"/api/orgs/coalition/network/members/{membership.pk}", **bearer(cora))

    assert response.status_code == 204
    assert revoked(sent)
    [own] = audit_events("invitation.revoked")
    assert (own.organisation, own.actor) == (south, cora)
    [noted] = audit_events("directory.first_admin_invitation_revoked")
    assert noted.organisation == coalition.organisation
    assert noted.details == {"invitation_id": sent}


def test_another_networks_invitation_stays(client, cora, coalition, south, other_network):
    Membership.objects.create(network=other_network, organisation=south, category="member")
    pia = make_user("pia", other_network.organisation, Role.NETWORK_COORDINATOR, mfa=False)
    theirs = actions.invite_first_admin(
        actor=pia, network=other_network, organisation=south, email="head@south.example.org"
    )
    ours = invite(client, cora, south.pk, "director@south.example.org")

    actions.delete_membership(actor=cora, membership=membership_of(coalition, south))

    assert revoked(ours)
    assert not revoked(theirs.pk)


def test_invitations_stay_while_another_membership_of_the_network_is_left(
    client, cora, coalition, north
):
    past = Membership.objects.create(
        network=coalition,
        organisation=north,
        category="member",
        since=date(2019, 1, 1),
        until=date(2019, 12, 31),
    )
    sent = invite(client, cora, north.pk, "director@north.example.org")

    actions.delete_membership(actor=cora, membership=past)

    assert not revoked(sent)
    assert audit_events("invitation.revoked") == []
