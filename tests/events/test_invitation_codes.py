"""Invitation codes are matched in any case and without the spaces around them, from the
registration page and the API alike; one event never has two codes differing only in case."""

from __future__ import annotations

import json
import secrets

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions
from haven.events.models import Event, InvitationCode, Registration
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


@pytest.fixture
def event(north: Organisation, officer: User) -> Event:
    return published_event(north, officer, visibility="invitation", capacity=10)


def _typed(code: str) -> str:
    """The code as a registrant may type it: in small letters, between spaces."""
    return f"  {code.lower()} "


def test_a_code_is_drawn_in_capitals_without_signs_taken_for_each_other(
    officer: User, event: Event
) -> None:
    codes = {actions.create_invitation_code(actor=officer, event=event).code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == 12
        assert set(code) <= set(actions.CODE_ALPHABET)
    assert not set("IO01") & set(actions.CODE_ALPHABET)


def test_the_registration_page_takes_the_code_in_any_case_and_between_spaces(
    client: Client, officer: User, event: Event
) -> None:
    code = actions.create_invitation_code(actor=officer, event=event)
    path = reverse("event_register", kwargs={"org": "north", "event": event.slug})
    form = {"name": "Ana Example", "email": "ana@example.org", "code": _typed(code.code)}
    assert client.post(path, form).status_code == 302
    [registration] = Registration.objects.all()
    assert registration.invitation_id == code.pk
    code.refresh_from_db()
    assert code.uses == 1


def test_the_api_takes_the_code_in_any_case_and_between_spaces(officer: User, event: Event) -> None:
    code = actions.create_invitation_code(actor=officer, event=event, uses_allowed=2)
    path = f"/api/events/north/{event.slug}/registrations"
    body = {"name": "Léa", "email": "lea@example.org", "code": _typed(code.code)}
    response = Client().post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 202, response.content
    assert Registration.objects.get().invitation_id == code.pk
    code.refresh_from_db()
    assert code.uses == 1


def test_a_wrong_or_revoked_code_is_refused_in_any_case_and_changes_nothing(
    officer: User, event: Event
) -> None:
    code = actions.create_invitation_code(actor=officer, event=event)
    with pytest.raises(ValidationError, match="not valid"):
        actions.register(event=event, name="Ana", email="ana@example.org", code="x" + code.code)
    actions.revoke_invitation_code(actor=officer, event=event, code_id=code.pk)
    with pytest.raises(ValidationError, match="not valid"):
        actions.register(event=event, name="Ana", email="ana@example.org", code=_typed(code.code))
    with pytest.raises(ValidationError, match="give your code"):
        actions.register(event=event, name="Ana", email="ana@example.org", code="   ")
    assert not Registration.objects.exists()
    code.refresh_from_db()
    assert code.uses == 0


def test_a_code_of_another_event_is_refused(
    officer: User, north: Organisation, event: Event
) -> None:
    other = published_event(north, officer, visibility="invitation", title="Other")
    code = actions.create_invitation_code(actor=officer, event=other)
    with pytest.raises(ValidationError, match="not valid"):
        actions.register(event=event, name="Ana", email="ana@example.org", code=code.code)


def test_one_event_never_has_two_codes_differing_only_in_case(
    officer: User, north: Organisation, event: Event
) -> None:
    code = actions.create_invitation_code(actor=officer, event=event)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationCode.objects.create(event=event, code=code.code.lower())
    # Another event may have it.
    other = published_event(north, officer, visibility="invitation", title="Other")
    InvitationCode.objects.create(event=other, code=code.code.lower())


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The codes the next draws give, in order, sign by sign."""
    codes: list[str] = []

    def choice(alphabet: str) -> str:
        sign, codes[0] = codes[0][0], codes[0][1:]
        if not codes[0]:
            codes.pop(0)
        return sign

    monkeypatch.setattr(secrets, "choice", choice)
    return codes


def test_a_code_drawn_twice_for_one_event_is_drawn_again(
    officer: User, event: Event, drawn: list[str]
) -> None:
    drawn += ["ABCDEFGHJKLM", "ABCDEFGHJKLM", "NPQRSTUVWXYZ"]
    first = actions.create_invitation_code(actor=officer, event=event)
    second = actions.create_invitation_code(actor=officer, event=event, label="Press")
    assert (first.code, second.code) == ("ABCDEFGHJKLM", "NPQRSTUVWXYZ")
    assert AuditEvent.objects.filter(action="event.invitation_code_created").count() == 2
    drawn += ["ABCDEFGHJKLM"] * 3
    with pytest.raises(ValidationError, match="try again"):
        actions.create_invitation_code(actor=officer, event=event)
    assert InvitationCode.objects.filter(event=event).count() == 2
    assert AuditEvent.objects.filter(action="event.invitation_code_created").count() == 2


BEFORE = ("events", "0004_event_withdrawal")
IN_CAPITALS = ("events", "0005_invitation_codes_in_any_case")


def _migrate(target: tuple[str, str] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes("events"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_codes_made_before_are_put_in_capitals_and_those_that_would_meet_get_a_suffix(
    officer: User, north: Organisation, event: Event
) -> None:
    other = published_event(north, officer, visibility="invitation", title="Other")
    made = [actions.create_invitation_code(actor=officer, event=event) for _ in range(5)]
    elsewhere = actions.create_invitation_code(actor=officer, event=other)
    _migrate(BEFORE)
    try:
        # As drawn before, in mixed case; the first two differ only in case, as do the
        # next two, the older of which was revoked.
        texts = ["abCD2x", "ABcd2X", "q9Zy", "Q9zY", "Solo7y"]
        for row, text in zip(made, texts, strict=True):
            InvitationCode.objects.filter(pk=row.pk).update(code=text)
        InvitationCode.objects.filter(pk=made[2].pk).update(revoked_at=made[2].created_at)
        InvitationCode.objects.filter(pk=elsewhere.pk).update(code="abcd2X")
        _migrate(IN_CAPITALS)
    finally:
        # Whatever happened, the rest of the suite gets the schema it expects.
        _migrate()
    codes = dict(InvitationCode.objects.values_list("pk", "code"))
    assert [codes[row.pk] for row in made] == ["ABCD2X", "ABCD2X-2", "Q9ZY-2", "Q9ZY", "SOLO7Y"]
    assert codes[elsewhere.pk] == "ABCD2X"
    # Nothing else changed: no code was revoked, and each still registers.
    assert list(
        InvitationCode.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)
    ) == [made[2].pk]
    registered = actions.register(event=event, name="Ana", email="ana@example.org", code="abcd2x")
    assert registered.booker is not None
    assert registered.booker.invitation_id == made[0].pk
    assert access.clean_invitation_code(" q9zy ") == "Q9ZY"
