"""Events of staff accounts that belong to no organisation, in the DPO's trail."""

from __future__ import annotations

from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts import actions
from haven.privacy.models import AuditEvent
from tests.conftest import client_for, make_user


def trail_of(dpo, org: str) -> list[int]:
    response = client_for(dpo).get(reverse("audit_trail", kwargs={"org": org}))
    assert response.status_code == 200
    return [event.seq for event in response.context["page"]]


def token_events(user) -> list[int]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(actor=user, action__startswith="api_token.").values_list(
                "seq", flat=True
            )
        )


def test_the_dpo_sees_the_api_tokens_their_staff_make_and_revoke(dana, carol, north, client):
    token, _secret = actions.create_api_token(actor=carol, name="reporting script")
    actions.revoke_api_token(actor=carol, token=token)
    made, revoked = sorted(token_events(carol))
    seqs = trail_of(dana, "north")
    assert made in seqs
    assert revoked in seqs
    response = client.get(
        "/api/orgs/north/audit",
        {"action": "api_token."},
        HTTP_AUTHORIZATION=f"Bearer {actions.create_api_token(actor=dana, name='dpo')[1]}",
    )
    assert {event["seq"] for event in response.json()} >= {made, revoked}


def test_a_dpo_never_sees_the_tokens_of_another_organisations_staff(dana, north, south, bob):
    south_dpo = make_user("sandra", south, "data_protection_officer")
    actions.create_api_token(actor=bob, name="south script")
    (bob_token,) = token_events(bob)
    assert bob_token not in trail_of(dana, "north")
    assert bob_token in trail_of(south_dpo, "south")
