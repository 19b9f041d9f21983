"""Someone who no longer belongs to any organisation loses their API tokens."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.models import ApiToken, RoleAssignment
from haven.accounts.permissions import Role
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for, make_user, token_for


def me(secret: str) -> int:
    return Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def test_removing_the_last_role_in_the_last_organisation_revokes_the_tokens(
    alice, carol, dana, north
):
    secret = token_for(carol)
    assert me(secret) == 200
    response = client_for(alice).post(
        reverse("staff_remove", kwargs={"org": "north", "user_id": carol.pk})
    )
    assert response.status_code == 302
    assert me(secret) == 401
    assert not ApiToken.objects.filter(user=carol, revoked_at__isnull=True).exists()
    with scopes_disabled():
        event = AuditEvent.objects.get(action="api_token.revoked")
    assert (event.actor, event.organisation, event.details) == (
        alice,
        north,
        {"reason": "no_organisation_left"},
    )
    trail = client_for(dana).get(reverse("audit_trail", kwargs={"org": "north"}))
    assert event.seq in [shown.seq for shown in trail.context["page"]]


def test_taking_every_role_away_through_the_api_revokes_the_tokens_too(alice, carol, client):
    secret = token_for(carol)
    response = client.put(
        f"/api/orgs/north/staff/{carol.pk}/roles",
        {"roles": []},
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 200, response.content
    assert me(secret) == 401


def test_someone_who_still_belongs_elsewhere_keeps_their_tokens(alice, north, south):
    both = make_user("both", north, Role.VIEWER, mfa=False)
    RoleAssignment.objects.create(user=both, organisation=south, role=Role.VIEWER)
    secret = token_for(both)
    client_for(alice).post(reverse("staff_remove", kwargs={"org": "north", "user_id": both.pk}))
    assert not RoleAssignment.objects.filter(user=both, organisation=north).exists()
    assert me(secret) == 200
