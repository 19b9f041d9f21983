from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from haven.accounts import actions
from haven.accounts.access import invitation_link_token
from haven.accounts.models import Invitation, RoleAssignment
from haven.accounts.tasks import send_invitation_email
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for, make_user


def invite(actor, organisation, email: str, roles: list[str]) -> Invitation:
    with scope(organisation=organisation):
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


def invitations_sent() -> int:
    with scopes_disabled():
        return (
            Invitation.objects.count() + AuditEvent.objects.filter(action="invitation.sent").count()
        )


@pytest.mark.parametrize("email", ["carol@example.org", "Carol@EXAMPLE.org "])
def test_inviting_a_current_member_is_refused_on_the_page_and_in_the_api(
    alice, carol, north, client, email
):
    before = invitations_sent()
    response = client_for(alice).post(
        reverse("staff_invite", kwargs={"org": "north"}), {"email": email, "roles": ["viewer"]}
    )
    assert response.status_code == 400
    assert "already works here: change their roles instead" in response.content.decode()
    response = client.post(
        "/api/orgs/north/invitations",
        {"email": email.strip(), "roles": ["viewer"]},
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 400
    assert "already works here" in response.json()["detail"]["email"][0]
    assert invitations_sent() == before


def test_inviting_an_address_with_a_pending_invitation_is_refused_on_the_page_and_in_the_api(
    alice, north, client
):
    invite(alice, north, "new@example.org", ["viewer"])
    before = invitations_sent()
    response = client_for(alice).post(
        reverse("staff_invite", kwargs={"org": "north"}),
        {"email": "NEW@example.org", "roles": ["caseworker"]},
    )
    assert response.status_code == 400
    assert "still waiting to be used" in response.content.decode()
    response = client.post(
        "/api/orgs/north/invitations",
        {"email": "new@example.org", "roles": ["viewer"]},
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 400
    assert "still waiting to be used" in response.json()["detail"]["email"][0]
    assert invitations_sent() == before


def test_the_same_address_may_be_invited_by_another_organisation_or_once_revoked(
    alice, bob, north, south
):
    first = invite(alice, north, "new@example.org", ["viewer"])
    invite(bob, south, "new@example.org", ["viewer"])
    with scope(organisation=north):
        actions.revoke_invitation(actor=alice, invitation=first)
    invite(alice, north, "new@example.org", ["viewer"])


def revocations() -> int:
    with scopes_disabled():
        return AuditEvent.objects.filter(action="invitation.revoked").count()


def accepted_invitation(alice, north, south) -> Invitation:
    invitation = invite(alice, north, "newcomer@example.org", ["viewer"])
    actions.accept_invitation(
        invitation=invitation, user=make_user("newcomer", south, "viewer", mfa=False)
    )
    return invitation


def test_revoking_an_accepted_invitation_is_refused_on_the_page_and_not_audited(
    alice, north, south
):
    invitation = accepted_invitation(alice, north, south)
    client = client_for(alice)
    path = reverse("invitation_revoke", kwargs={"org": "north", "invitation_id": invitation.pk})
    response = client.post(path, follow=True)
    assert "already accepted, so there is nothing to revoke" in response.content.decode()
    assert "The invitation link no longer works." not in response.content.decode()
    with scopes_disabled():
        invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert revocations() == 0


def test_revoking_an_accepted_or_revoked_invitation_through_the_api_is_a_400(
    alice, north, south, client
):
    accepted = accepted_invitation(alice, north, south)
    revoked = invite(alice, north, "other@example.org", ["viewer"])
    headers = bearer(alice)
    assert client.delete(f"/api/orgs/north/invitations/{revoked.pk}", **headers).status_code == 204
    for invitation, reason in [(accepted, "already accepted"), (revoked, "already revoked")]:
        response = client.delete(f"/api/orgs/north/invitations/{invitation.pk}", **headers)
        assert response.status_code == 400
        assert reason in response.json()["detail"]["__all__"][0]
    assert revocations() == 1


def test_revoking_an_expired_invitation_is_refused(alice, north, client):
    invitation = invite(alice, north, "late@example.org", ["viewer"])
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = client.delete(f"/api/orgs/north/invitations/{invitation.pk}", **bearer(alice))
    assert response.status_code == 400
    assert "has expired" in response.json()["detail"]["__all__"][0]
    assert revocations() == 0


def test_a_full_width_username_is_taken_like_the_one_it_folds_to(alice, north):
    from django.core.exceptions import ValidationError

    from haven.accounts.models import User

    invitation = invite(alice, north, "lookalike@example.org", ["viewer"])
    with pytest.raises(ValidationError, match="taken"):
        actions.accept_invitation(
            invitation=invitation, username="ａｌｉｃｅ", password="a long enough passphrase"
        )
    assert not User.objects.filter(email="lookalike@example.org").exists()


def test_the_e_mail_of_an_invitation_whose_sender_was_deleted_names_no_one(alice, north):
    invitation = invite(alice, north, "orphan@example.org", ["viewer"])
    alice.delete()
    send_invitation_email.call(invitation.pk, "en")
    (message,) = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    for body in (str(message.body), str(message.alternatives[0][0])):
        assert "You are invited to join North Shelter on Haven." in body
        assert " invites you to join" not in body


def test_the_e_mail_of_an_invitation_names_its_sender(
    alice, north, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(alice, north, "named@example.org", ["viewer"])
    (message,) = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    for body in (str(message.body), str(message.alternatives[0][0])):
        assert "alice invites you to join North Shelter on Haven." in body


def test_an_invitation_to_an_address_invited_while_it_waited_for_the_lock_is_refused(
    alice, north, monkeypatch
):
    real = actions.lock_role_changes

    def another_admin_was_first(organisation):
        # Another admin's invitation to the same address went in while this one waited.
        monkeypatch.setattr(actions, "lock_role_changes", real)
        invite(alice, north, "new@example.org", ["viewer"])
        return real(organisation)

    monkeypatch.setattr(actions, "lock_role_changes", another_admin_was_first)
    with pytest.raises(ValidationError, match="still waiting to be used"):
        invite(alice, north, "new@example.org", ["caseworker"])
