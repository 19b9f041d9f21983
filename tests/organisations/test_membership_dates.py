"""A membership's dates stay within the project's bounds: from 2000 on, at most ten years
ahead."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.organisations.models import Membership, Organisation
from tests.conftest import bearer, client_for
from tests.organisations.helpers import audit_events, membership_of

MEMBERS = "/api/orgs/coalition/network/members"
SLIPS = ["0001-01-01", "1999-12-31", "9999-12-31"]


def send(client: Client, method: str, path: str, user: Any, body: object) -> Any:
    return getattr(client, method)(path, body, content_type="application/json", **bearer(user))


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("day", SLIPS)
def test_a_membership_date_out_of_bounds_is_refused_by_the_api(
    client, cora, coalition, south, field, day
):
    membership = membership_of(coalition, south)
    response = send(client, "patch", f"{MEMBERS}/{membership.pk}", cora, {field: day})

    assert response.status_code == 400, response.content
    assert field in response.json()["detail"]
    membership.refresh_from_db()
    assert (membership.since, membership.until) == (None, None)
    assert audit_events("directory.membership_updated") == []


def test_a_date_ten_years_ahead_is_accepted_and_one_beyond_refused(client, cora, coalition, south):
    membership = membership_of(coalition, south)
    path = f"{MEMBERS}/{membership.pk}"
    later = timezone.localdate() + timedelta(days=365 * 10)
    assert send(client, "patch", path, cora, {"until": later.isoformat()}).status_code == 200
    beyond = timezone.localdate() + timedelta(days=366 * 10 + 1)
    assert send(client, "patch", path, cora, {"until": beyond.isoformat()}).status_code == 400
    membership.refresh_from_db()
    assert membership.until == later


@pytest.mark.parametrize("day", SLIPS)
def test_a_new_member_starting_out_of_bounds_is_refused_and_nothing_created(
    client, cora, coalition, day
):
    organisations = Organisation.objects.count()
    response = send(client, "post", MEMBERS, cora, {"name": "Open Gate", "since": day})
    assert response.status_code == 400, response.content
    assert "since" in response.json()["detail"]
    assert Organisation.objects.count() == organisations


def test_an_existing_organisation_joining_out_of_bounds_is_refused(
    client, cora, coalition, elsewhere
):
    response = send(
        client, "post", MEMBERS, cora, {"organisation_id": elsewhere.pk, "since": "0001-01-01"}
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(organisation=elsewhere).exists()


def test_ending_on_a_date_out_of_bounds_is_refused(client, cora, coalition, south):
    membership = membership_of(coalition, south)
    response = send(client, "post", f"{MEMBERS}/{membership.pk}/end", cora, {"until": "9999-12-31"})
    assert response.status_code == 400
    assert "until" in response.json()["detail"]
    membership.refresh_from_db()
    assert membership.until is None


@pytest.mark.parametrize("day", SLIPS)
def test_the_membership_page_refuses_a_date_out_of_bounds(cora, coalition, south, day):
    membership = membership_of(coalition, south)
    response = client_for(cora).post(
        reverse(
            "network_membership_edit", kwargs={"org": "coalition", "membership_id": membership.pk}
        ),
        {"category": "partner", "since": day, "until": ""},
    )
    assert response.status_code == 400
    assert "Give a date" in response.content.decode()
    membership.refresh_from_db()
    assert membership.since is None


def test_a_membership_kept_from_before_2000_can_still_be_ended(client, cora, coalition, south):
    # Only the dates being set are checked: an old record is not locked by the bounds.
    membership = membership_of(coalition, south)
    Membership.objects.filter(pk=membership.pk).update(since=date(1998, 5, 1))
    response = send(client, "post", f"{MEMBERS}/{membership.pk}/end", cora, {})
    assert response.status_code == 200, response.content
