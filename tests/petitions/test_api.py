"""Petitions through the API: the owner's operations and the public's signature."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from haven.petitions.models import Petition, Signature
from haven.privacy.models import AuditEvent
from tests.conftest import bearer
from tests.letters.conftest import token_of


def _post(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_the_owner_runs_a_petition_and_the_public_signs_it_through_the_api(
    adam, north, django_capture_on_commit_callbacks
):
    client = Client()
    owner: dict[str, Any] = bearer(adam)
    created = _post(
        client,
        "/api/orgs/north/petitions",
        {"language": "en", "title": "Fund shelters", "body": "Now.", "goal": 10},
        **owner,
    )
    assert created.status_code == 201, created.content
    petition = json.loads(created.content)
    base = f"/api/orgs/north/petitions/{petition['id']}"
    public = f"/api/petitions/north/{petition['slug']}"
    assert client.get(public).status_code == 404
    assert (
        json.loads(_post(client, f"{base}/status", {"move": "open"}, **owner).content)["status"]
        == "open"
    )
    for number in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            signed = _post(
                client,
                f"{public}/signatures",
                {
                    "name": f"Person {number}",
                    "email": f"person.{number}@example.org",
                    "country": "fr",
                },
            )
        assert signed.status_code == 202, signed.content
        token = token_of(mail.outbox[-1])
        assert _post(client, f"{public}/confirmations", {"token": token}).status_code == 200
    repeat = _post(client, f"{public}/signatures", {"name": "P", "email": "person.0@example.org"})
    assert repeat.status_code == 202
    assert Signature.objects.count() == 3
    assert json.loads(client.get(public).content)["count"] == 3
    listed = json.loads(client.get(f"{base}/signatures?status=confirmed", **owner).content)
    assert listed["count"] == 3
    assert {item["email"] for item in listed["items"]} >= {"person.1@example.org"}
    gone = _post(
        client, f"{base}/invalidations", {"signature_ids": [listed["items"][0]["id"]]}, **owner
    )
    assert json.loads(gone.content) == {"invalidated": 1}
    assert json.loads(client.get(base, **owner).content)["confirmed"] == 2
    paused = _post(client, f"{base}/status", {"move": "pause"}, **owner)
    assert json.loads(paused.content)["paused"] is True
    refused = _post(client, f"{public}/signatures", {"name": "Late", "email": "late@example.org"})
    assert refused.status_code == 400
    assert AuditEvent.objects.filter(action="petition.signatures_invalidated").count() == 1


def test_a_public_signature_with_a_bad_token_or_address_is_refused(petition):
    client = Client()
    public = f"/api/petitions/north/{petition.slug}"
    assert _post(client, f"{public}/confirmations", {"token": "nope"}).status_code == 400
    assert (
        _post(
            client, f"{public}/signatures", {"name": "X", "email": "x@mailinator.com"}
        ).status_code
        == 400
    )
    assert (
        _post(client, f"{public}/signatures", {"name": "X", "email": "not-an-address"}).status_code
        == 400
    )
    # What the web form refuses, the API refuses too.
    for odd in ({"country": "ZZ"}, {"name": "   "}, {"language": "zz-top"}):
        body = {"name": "X", "email": "odd@example.org", **odd}
        refused = _post(client, f"{public}/signatures", body)
        assert refused.status_code == 400, odd
        assert next(iter(odd)) in refused.json()["detail"]
    assert not Signature.objects.exists()


def test_the_public_signature_is_rate_limited_with_a_429(petition, settings):
    settings.HAVEN_RATE_PER_ADDRESS = "1/h"
    client = Client()
    public = f"/api/petitions/north/{petition.slug}/signatures"
    assert _post(client, public, {"name": "X", "email": "x.y@gmail.com"}).status_code == 202
    limited = _post(client, public, {"name": "X", "email": "X.Y+again@gmail.com"})
    assert limited.status_code == 429
    assert limited["Retry-After"]


def test_an_invalidation_window_with_and_without_offsets_is_read_not_crashed(petition, adam):
    response = _post(
        Client(),
        f"/api/orgs/north/petitions/{petition.pk}/invalidations",
        {"created_from": "2030-01-01T00:00:00Z", "created_to": "2020-01-01T00:00:00"},
        **bearer(adam),
    )
    # Once a 500 (naive against aware); now the window is simply backwards.
    assert response.status_code == 400, response.content


# Pydantic's lax mode read true as 1, "30" as 30 and 30.0 as 30: a slip in a client's
# code would set a goal of one signature, or anonymise the day after closing.
@pytest.mark.parametrize("field", ["goal", "anonymise_after_days"])
@pytest.mark.parametrize("value", [True, False, "30", 30.5])
def test_a_number_must_be_a_json_integer_not_a_boolean_a_string_or_a_fraction(
    petition, adam, north, field, value
):
    owner = bearer(adam)
    client = Client()
    start = {"language": "en", "title": "Another", "body": "Now.", field: value}
    refused = _post(client, "/api/orgs/north/petitions", start, **owner)
    assert refused.status_code == 400, refused.content
    assert refused.json()["detail"] == {field: ["Input should be a valid integer"]}
    assert Petition.objects.filter(owner=north).count() == 1
    path = f"/api/orgs/north/petitions/{petition.pk}"
    changed = client.patch(path, json.dumps({field: value}), "application/json", **owner)
    assert changed.status_code == 400, changed.content
    petition.refresh_from_db()
    assert (petition.goal, petition.anonymise_after_days) == (1000, 90)
    assert not AuditEvent.objects.filter(action="petition.updated").exists()
