"""A preview ticket imports its file once, however many confirmations race for it."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.organisations.models import Organisation
from haven.records import actions
from haven.records.imports import TicketRefused, claim, release, stash
from haven.redis_cache import RedisCache
from haven.services.models import ServiceDelivery
from tests.casework.consent_race import withdraw_on_lock
from tests.conftest import bearer, client_for
from tests.marks import concurrent_writers
from tests.records.conftest import Casework
from tests.redis_server import redis_cache  # noqa: F401

PAGE = "/o/north/records/import/"
API = "/api/orgs/north/imports"
FILE = (
    b"date,service_code,quantity,people_reached\n"
    b"2026-01-05,food_parcel,1,5\n2026-01-06,food_parcel,2,5\n"
)
ALREADY = "already confirmed"


def deliveries() -> int:
    with scopes_disabled():
        return ServiceDelivery.objects.count()


def api_preview(user: User, content: bytes = FILE) -> Any:
    upload = SimpleUploadedFile("import.csv", content)
    return client_for(user).post(
        f"{API}/preview", {"kind": "services", "file": upload}, **bearer(user)
    )


def api_confirm(user: User, ticket: str) -> Any:
    return client_for(user).post(
        f"{API}/confirm",
        json.dumps({"ticket": ticket}),
        content_type="application/json",
        **bearer(user),
    )


@pytest.mark.django_db
def test_a_confirmation_while_another_holds_the_ticket_writes_nothing(
    north: Organisation, carol: User, casework: Casework
) -> None:
    ticket = api_preview(carol).json()["ticket"]
    before = deliveries()
    # A first confirmation has claimed the ticket and is still writing.
    claim(north, carol, ticket)
    refused = api_confirm(carol, ticket)
    assert refused.status_code == 400
    assert ALREADY in str(refused.json()["detail"])
    page = client_for(carol).post(PAGE, {"ticket": ticket})
    assert page.status_code == 400
    assert ALREADY in page.content.decode()
    assert deliveries() == before
    # The first one failed and gave the ticket back: it can be confirmed once.
    release(carol, ticket)
    assert api_confirm(carol, ticket).status_code == 201
    assert deliveries() == before + 2
    again = api_confirm(carol, ticket)
    assert again.status_code == 400
    assert ALREADY in str(again.json()["detail"])
    assert deliveries() == before + 2


@pytest.mark.django_db
def test_an_expired_or_foreign_ticket_says_so_and_leaves_no_claim(
    north: Organisation, carol: User, alice: User, casework: Casework
) -> None:
    ticket = api_preview(carol).json()["ticket"]
    with pytest.raises(TicketRefused) as refused:
        claim(north, alice, ticket)
    assert not refused.value.already_claimed
    assert "expired" in str(api_confirm(carol, "no-such-ticket").json()["detail"])
    assert api_confirm(carol, ticket).status_code == 201


def _race(organisation: Organisation, actor: User, ticket: str, contenders: int) -> list[str]:
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []

    def confirm() -> None:
        try:
            barrier.wait(timeout=10)
            with scope(organisation=organisation):
                actions.confirm_import(
                    actor=actor,
                    organisation=organisation,
                    ticket=ticket,
                    may_import_identity=False,
                )
            outcomes.append("imported")
        except TicketRefused as refused:
            outcomes.append("claimed" if refused.already_claimed else "expired")
        except ValidationError as error:
            outcomes.append("refused: " + " ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_four_confirmations_at_once_import_the_file_once(
    flushable_audit_trail: None, north: Organisation, carol: User, casework: Casework
) -> None:
    ticket = stash(north, carol, "services", FILE)
    before = deliveries()
    outcomes = _race(north, carol, ticket, 4)
    assert sorted(outcomes) == ["claimed", "claimed", "claimed", "imported"], outcomes
    assert deliveries() == before + 2


@pytest.mark.django_db(transaction=True)
def test_with_redis_four_confirmations_at_once_import_the_file_once(
    flushable_audit_trail: None,
    redis_cache: RedisCache,  # noqa: F811
    north: Organisation,
    carol: User,
    casework: Casework,
) -> None:
    ticket = stash(north, carol, "services", FILE)
    before = deliveries()
    outcomes = _race(north, carol, ticket, 4)
    # SQLite writes one transaction at a time, so the losers may also wait for the lock;
    # what matters is that the cache lets exactly one through.
    assert outcomes.count("imported") == 1, outcomes
    assert deliveries() == before + 2


@pytest.mark.django_db
def test_a_file_imported_before_is_previewed_with_a_warning(
    carol: User, casework: Casework
) -> None:
    first = api_preview(carol).json()
    assert first["already_imported"] is None
    assert first["warnings"] == []
    assert api_confirm(carol, first["ticket"]).status_code == 201
    second = api_preview(carol)
    assert second.status_code == 200, "a warning, not a refusal"
    body = second.json()
    assert body["ticket"]
    assert body["already_imported"]["by"] == "carol"
    assert "already imported on" in body["warnings"][0]
    page = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("again.csv", FILE)}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "This file was already imported on" in html
    assert "by carol" in html
    # Another file gets no warning.
    other = api_preview(carol, FILE + b"2026-01-07,food_parcel,1,5\n").json()
    assert other["already_imported"] is None


@pytest.mark.django_db
def test_an_import_of_another_organisation_is_not_mentioned(
    carol: User, bob: User, casework: Casework
) -> None:
    first = api_preview(carol).json()
    assert api_confirm(carol, first["ticket"]).status_code == 201
    upload = SimpleUploadedFile("import.csv", FILE)
    response = client_for(bob).post(
        "/api/orgs/south/imports/preview", {"kind": "services", "file": upload}, **bearer(bob)
    )
    assert response.json()["already_imported"] is None


@pytest.mark.django_db
def test_a_consent_withdrawn_while_the_import_waits_for_its_persons_writes_nothing(
    north: Organisation, carol: User, casework: Casework, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = b"date,service_code,quantity,person_code\n2026-01-05,food_parcel,1,P-0001\n"
    ticket = api_preview(carol, content).json()["ticket"]
    before = deliveries()
    withdraw_on_lock(monkeypatch, casework.ana)
    response = api_confirm(carol, ticket)
    assert response.status_code == 400, response.content
    assert "withdrawn meanwhile for P-0001" in response.content.decode()
    assert deliveries() == before
