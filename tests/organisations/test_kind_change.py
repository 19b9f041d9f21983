"""An organisation's type decides which roles it may give (a network coordinator only in a
network): its type cannot change while someone holds, or an open invitation offers, a role
the new type does not allow, nor while it runs a network."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from haven.accounts import actions as accounts
from haven.accounts.models import Invitation, RoleAssignment, User
from haven.accounts.permissions import Role
from haven.organisations import actions
from haven.organisations.models import Network, Organisation
from tests.conftest import bearer, client_for, make_organisation, make_user
from tests.organisations.helpers import audit_events

REFUSAL = (
    "An organisation of type NGO cannot have these roles, which its staff hold or open "
    "invitations offer: Network coordinator. Take them away and revoke those invitations "
    "before changing its type."
)
RUNS_A_NETWORK = (
    "An organisation that runs a network must stay of type Network: only that type can have "
    "the network coordinators who coordinate it."
)
PROFILE = {
    "name": "Forum",
    "short_name": "",
    "kind": "ngo",
    "country": "BE",
    "city": "",
    "website": "",
    "languages": "",
}


@pytest.fixture
def forum(db: None) -> Organisation:
    """An organisation of type network that runs no network (yet)."""
    return make_organisation("forum", name="Forum", kind="network", country="BE")


@pytest.fixture
def nadia(forum: Organisation) -> User:
    """The forum's admin."""
    return make_user("nadia", forum, Role.ORGANISATION_ADMIN)


@pytest.fixture
def fiona(forum: Organisation) -> User:
    """The forum's network coordinator."""
    return make_user("fiona", forum, Role.NETWORK_COORDINATOR)


def kind_of(organisation: Organisation) -> str:
    organisation.refresh_from_db()
    return organisation.kind


def test_the_page_refuses_a_type_whose_roles_are_held_and_names_them(nadia, fiona, forum):
    response = client_for(nadia).post(
        reverse("organisation_profile", kwargs={"org": "forum"}), PROFILE
    )
    assert response.status_code == 400
    assert REFUSAL in response.content.decode()
    assert kind_of(forum) == "network"
    assert audit_events("directory.organisation_updated") == []


def test_the_api_refuses_it_too(client: Client, nadia, fiona, forum):
    response = client.patch(
        "/api/orgs/forum/profile",
        {"kind": "ngo"},
        content_type="application/json",
        **bearer(nadia),
    )
    assert response.status_code == 400
    assert REFUSAL in response.content.decode()
    assert kind_of(forum) == "network"


def test_a_role_offered_by_an_open_invitation_counts_until_it_is_revoked(nadia, forum):
    organisation = forum
    with scope(organisation=organisation):
        invitation = accounts.invite_user(
            actor=nadia,
            organisation=organisation,
            email="new@example.org",
            roles=[Role.NETWORK_COORDINATOR],
        )
    with pytest.raises(ValidationError) as refused:
        update_kind(nadia, organisation, "ngo")
    assert refused.value.message_dict == {"kind": [REFUSAL]}
    accounts.revoke_invitation(actor=nadia, invitation=invitation)
    update_kind(nadia, organisation, "ngo")
    assert kind_of(organisation) == "ngo"


def test_once_the_roles_are_taken_away_the_type_changes(nadia, fiona, forum):
    organisation = forum
    accounts.set_roles(actor=nadia, organisation=organisation, user=fiona, roles=[Role.VIEWER])
    update_kind(nadia, organisation, "ngo")
    assert kind_of(organisation) == "ngo"
    [event] = audit_events("directory.organisation_updated")
    assert event.details == {"fields": ["kind"]}


def test_a_type_that_allows_every_role_held_is_no_problem(alice, carol, north):
    update_kind(alice, north, "network")
    assert kind_of(north) == "network"


def test_a_role_change_asked_for_under_the_old_type_is_refused(nadia, fiona, forum):
    # The page that asked for it still saw a network; the type changed meanwhile.
    seen = Organisation.objects.get(pk=forum.pk)
    accounts.set_roles(actor=nadia, organisation=seen, user=fiona, roles=[Role.VIEWER])
    update_kind(nadia, forum, "ngo")
    with pytest.raises(ValidationError):
        accounts.set_roles(
            actor=nadia, organisation=seen, user=fiona, roles=[Role.NETWORK_COORDINATOR]
        )
    assert not RoleAssignment.objects.filter(role=Role.NETWORK_COORDINATOR).exists()


def test_an_invitation_asked_for_under_the_old_type_is_refused(nadia, forum):
    # The page that asked for it still saw a network; the type changed meanwhile.
    seen = Organisation.objects.get(pk=forum.pk)
    update_kind(nadia, forum, "ngo")
    with scope(organisation=seen), pytest.raises(ValidationError, match="cannot be given here"):
        accounts.invite_user(
            actor=nadia,
            organisation=seen,
            email="late@example.org",
            roles=[Role.NETWORK_COORDINATOR],
        )
    assert not Invitation.unscoped.filter(organisation=forum).exists()


@pytest.fixture
def nora(coalition: Network) -> User:
    """The admin of the organisation that runs the network, which has no coordinator."""
    return make_user("nora", coalition.organisation, Role.ORGANISATION_ADMIN)


def test_an_organisation_that_runs_a_network_keeps_its_type_on_the_page(nora, coalition):
    response = client_for(nora).post(
        reverse("organisation_profile", kwargs={"org": "coalition"}),
        {**PROFILE, "name": "Coalition"},
    )
    assert response.status_code == 400
    assert RUNS_A_NETWORK in response.content.decode()
    assert kind_of(coalition.organisation) == "network"
    assert audit_events("directory.organisation_updated") == []


def test_and_in_the_api(client: Client, nora, coalition):
    response = client.patch(
        "/api/orgs/coalition/profile",
        {"kind": "state"},
        content_type="application/json",
        **bearer(nora),
    )
    assert response.status_code == 400
    assert RUNS_A_NETWORK in response.content.decode()
    assert kind_of(coalition.organisation) == "network"


def test_its_other_details_still_change(nora, coalition):
    actions.update_organisation(
        actor=nora,
        acting_organisation=coalition.organisation,
        organisation=coalition.organisation,
        changes={"city": "Brussels"},
    )
    coalition.organisation.refresh_from_db()
    assert coalition.organisation.city == "Brussels"


def update_kind(actor: User, organisation: Organisation, kind: str) -> None:
    actions.update_organisation(
        actor=actor,
        acting_organisation=organisation,
        organisation=organisation,
        changes={"kind": kind},
    )
