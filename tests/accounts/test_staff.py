from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.models import Invitation, RoleAssignment, User
from haven.privacy.models import AuditEvent
from tests.conftest import PASSWORD, bearer, client_for


def test_admin_invites_a_caseworker_who_joins_through_the_emailed_link(
    alice, north, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff_invite", kwargs={"org": "north"}),
            {"email": "new@example.org", "roles": ["caseworker"]},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/invitations/(\S+)/", str(mail.outbox[0].body))
    assert link is not None
    # The pending invitation names its role as the staff list does, in the page's language.
    staff = client.get(reverse("staff_list", kwargs={"org": "north"}))
    assert '<span class="tag">Caseworker</span>' in staff.content.decode()
    assert '<span class="tag">caseworker</span>' not in staff.content.decode()

    newcomer = Client()
    response = newcomer.post(
        f"/invitations/{link.group(1)}/",
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [
        "caseworker"
    ]
    # The link works once.
    assert newcomer.get(f"/invitations/{link.group(1)}/").status_code == 404


def test_a_removed_role_stops_working_on_the_next_request(alice, dana, north):
    client = client_for(dana)
    assert client.get(reverse("audit_trail", kwargs={"org": "north"})).status_code == 200
    client_for(alice).post(
        reverse("staff_roles", kwargs={"org": "north", "user_id": dana.pk}), {"roles": ["viewer"]}
    )
    assert client.get(reverse("audit_trail", kwargs={"org": "north"})).status_code == 403


def test_the_last_admin_cannot_remove_their_own_admin_role(alice, north):
    response = client_for(alice).post(
        reverse("staff_roles", kwargs={"org": "north", "user_id": alice.pk}), {"roles": ["viewer"]}
    )
    assert response.status_code == 400
    assert RoleAssignment.objects.filter(user=alice, role="organisation_admin").exists()


def test_invitation_through_the_api_is_audited(alice, north, client):
    response = client.post(
        "/api/orgs/north/invitations",
        {"email": "api@example.org", "roles": ["viewer"]},
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 201, response.content
    with scopes_disabled():
        assert Invitation.objects.filter(email="api@example.org").exists()
        assert AuditEvent.objects.filter(action="invitation.sent", actor=alice).count() == 1


def test_outsider_gets_404_for_another_organisations_staff(bob, north, client):
    assert client_for(bob).get(reverse("staff_list", kwargs={"org": "north"})).status_code == 404
    assert client.get("/api/orgs/north/staff", **bearer(bob)).status_code == 404


def test_a_member_of_two_organisations_switches_between_their_dashboards(north, south):
    from tests.conftest import make_user

    both = make_user("both", north, "viewer", mfa=False)
    RoleAssignment.objects.create(user=both, organisation=south, role="advocacy_officer")
    client = client_for(both)

    page = client.get(reverse("organisation_dashboard", kwargs={"org": "north"}))
    assert page.status_code == 200
    assert b'id="switch-organisation"' in page.content
    assert b"South Helpline" in page.content

    response = client.get(reverse("switch_organisation"), {"org": "south"})
    assert response.status_code == 302
    assert response["Location"] == reverse("organisation_dashboard", kwargs={"org": "south"})
    assert client.get(response["Location"]).status_code == 200


def test_switching_to_an_organisation_one_does_not_belong_to_is_404(alice, south):
    response = client_for(alice).get(reverse("switch_organisation"), {"org": "south"})
    assert response.status_code == 404
