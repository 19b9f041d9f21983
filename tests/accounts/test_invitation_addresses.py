"""The API invites exactly the addresses the staff page invites, stores them as the page does,
and refuses the others in the page's words."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.models import Invitation
from tests.conftest import bearer, client_for

ADDRESSES = [
    "ü@example.org",  # a non-ASCII name before the @
    "josé.garcía@bücher.de",
    "ａｎｎａ@example.org",  # full-width letters
    "anna@exam\u200bple.org",  # an invisible character in the domain
    "anna@localhost",
    "anna@bücher.de",  # an internationalised domain
    "anna@xn--bcher-kva.de",  # the same, as the DNS writes it
    "Anna@Example.ORG",
]


def invited(slug: str) -> list[str]:
    with scopes_disabled():
        return list(
            Invitation.objects.filter(organisation__slug=slug).values_list("email", flat=True)
        )


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_api_and_the_staff_page_accept_and_refuse_the_same_addresses(
    alice, bob, north, south, address
):
    page = client_for(alice).post(
        reverse("staff_invite", kwargs={"org": "north"}), {"email": address, "roles": ["viewer"]}
    )
    api = Client().post(
        "/api/orgs/south/invitations",
        {"email": address, "roles": ["viewer"]},
        content_type="application/json",
        **bearer(bob),
    )
    assert (page.status_code, api.status_code) in ((302, 201), (400, 400)), api.content
    assert invited("south") == invited("north")
    if api.status_code == 400:
        [message] = api.json()["detail"]["email"]
        assert message in page.content.decode()
        assert invited("south") == []
    else:
        assert api.json()["email"] == invited("north")[0]
