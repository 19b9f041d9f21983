"""A filter of the audit trail that can match no event is refused, through the API and on the
page, with a message naming the filter, instead of answering an empty trail."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from django.test import Client
from django.urls import reverse

from haven.privacy import audit
from haven.privacy.api import Outcome
from haven.privacy.models import OUTCOME_LABELS, AuditChainHead
from tests.conftest import bearer, client_for

API = "/api/orgs/north/audit"
TRAIL = reverse("audit_trail", kwargs={"org": "north"})


def last_seq() -> int:
    return AuditChainHead.objects.get(pk=1).last_seq


@pytest.fixture
def trail(north, carol) -> None:
    audit.record("auth.login", actor=carol, target=carol)
    audit.record("access.refused", actor=carol, organisation=north, outcome="forbidden")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"outcome": "zzz"}, "outcome", "'ok', 'refused', 'forbidden' or 'not_found'"),
        ({"outcome": "Forbidden"}, "outcome", "'ok', 'refused', 'forbidden' or 'not_found'"),
        ({"action": "Auth."}, "action", "lower-case letters"),
        ({"action": "auth login"}, "action", "lower-case letters"),
        ({"object_type": "Casework.Person"}, "object_type", "app.model in lower case"),
        ({"object_type": "person"}, "object_type", "app.model in lower case"),
        ({"since": "2025-02-30"}, "since", "date"),
    ],
)
def test_the_api_refuses_a_filter_value_it_does_not_know_and_records_nothing(
    dana, trail, query: dict[str, str], field: str, message: str
) -> None:
    headers = bearer(dana)
    before = last_seq()
    response = Client().get(API, query, **headers)
    assert response.status_code == 400, response.content
    detail: dict[str, Any] = response.json()["detail"]
    assert list(detail) == [field]
    assert message in detail[field][0]
    assert last_seq() == before


@pytest.mark.parametrize(
    "query",
    [
        {"outcome": "forbidden"},
        {"outcome": "not_found"},
        {"action": "auth."},
        {"action": "auth.login_failed"},
        {"object_type": "accounts.user"},
        {"since": "2025-03-01", "until": "2025-03-01"},
    ],
)
def test_the_api_takes_every_known_value(dana, trail, query: dict[str, str]) -> None:
    assert Client().get(API, query, **bearer(dana)).status_code == 200


def test_the_api_knows_exactly_the_outcomes_the_trail_names() -> None:
    assert set(get_args(Outcome)) == set(OUTCOME_LABELS)


def test_the_api_documents_the_outcomes_it_takes(db) -> None:
    schema = Client().get("/api/openapi.json").json()
    parameters = schema["paths"]["/api/orgs/{org}/audit"]["get"]["parameters"]
    (outcome,) = [parameter for parameter in parameters if parameter["name"] == "outcome"]
    kinds = outcome["schema"].get("anyOf", [outcome["schema"]])
    assert [set(kind["enum"]) for kind in kinds if "enum" in kind] == [set(OUTCOME_LABELS)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"action": "Auth."}, "lower-case letters"),
        ({"object_type": "Casework.Person"}, "app.model in lower case"),
    ],
)
def test_the_page_refuses_the_same_filters_with_the_same_words(
    dana, trail, query: dict[str, str], message: str
) -> None:
    client = client_for(dana)
    before = last_seq()
    response = client.get(TRAIL, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["page"] is None
    assert last_seq() == before
