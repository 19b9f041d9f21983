from __future__ import annotations

from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts import actions
from haven.accounts.access import invitation_link_token
from haven.accounts.models import Invitation, RoleAssignment
from haven.privacy.models import AuditEvent
from tests.conftest import client_for, make_user


def invite(actor, organisation, email: str, roles: list[str]) -> Invitation:
    return actions.invite_user(actor=actor, organisation=organisation, email=email, roles=roles)


def link_of(invitation: Invitation) -> str:
    return reverse("accept_invitation", kwargs={"token": invitation_link_token(invitation)})


def test_a_signed_in_user_cannot_take_an_invitation_sent_to_another_address(alice, north, south):
    invitation = invite(alice, north, "dpo@example.org", ["data_protection_officer"])
    mallory = make_user("mallory", south, "viewer", mfa=False)
    client = client_for(mallory)

    page = client.get(link_of(invitation))
    assert "invitation was sent to another e-mail address" in page.content.decode()
    assert "Accept the invitation" not in page.content.decode()

    response = client.post(link_of(invitation))
    assert response.status_code == 403
    assert "Sign out and open the link again" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=mallory, organisation=north).exists()
    with scopes_disabled():
        invitation.refresh_from_db()
        assert invitation.accepted_at is None
        refusal = AuditEvent.objects.get(action="invitation.accept_refused")
        assert not AuditEvent.objects.filter(action="invitation.accepted").exists()
    assert (refusal.actor, refusal.organisation, refusal.outcome) == (mallory, north, "refused")
    assert refusal.object_id == str(invitation.pk)


def test_a_signed_in_user_accepts_an_invitation_to_their_address_whatever_its_case(
    alice, north, south
):
    newcomer = make_user("newcomer", south, "viewer", mfa=False)
    invitation = invite(alice, north, "NewComer@Example.org", ["viewer"])
    response = client_for(newcomer).post(link_of(invitation))
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=newcomer, organisation=north, role="viewer").exists()


def test_the_accept_page_names_the_organisation_and_the_roles_in_the_readers_language(
    alice, north, client
):
    invitation = invite(alice, north, "new@example.org", ["caseworker", "viewer"])
    page = client.get(link_of(invitation), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "North Shelter" in page
    assert '<span class="tag">Intervenant·e</span>' in page
    assert '<span class="tag">caseworker</span>' not in page
