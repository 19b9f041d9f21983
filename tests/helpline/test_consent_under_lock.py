"""A call linked to a person decides their casework consent on their locked row, in the
transaction that logs or corrects it: a withdrawal committed while it waits for that lock
(tests.casework.consent_race) is seen, with the form's other problems reported alongside."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Person
from haven.helpline import actions
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from tests.casework.consent_race import withdraw_on_lock
from tests.helpline.conftest import make_call

pytestmark = pytest.mark.django_db


def test_logging_a_call_sees_a_withdrawal_made_while_it_waited_for_the_lock(
    north: Organisation, olga: User, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = withdraw_on_lock(monkeypatch, person)
    with pytest.raises(ValidationError) as refused:
        actions.log_call(
            actor=olga,
            organisation=north,
            caller_type="person_concerned",
            outcome="nope",
            person=person,
        )
    problems = refused.value.message_dict
    assert "no casework consent" in problems["person"][0]
    assert "outcome" in problems  # reported with the refusal, as before
    assert locked == ["person"]
    with scopes_disabled():
        assert not HelplineCall.objects.exists()


def test_linking_a_call_sees_a_withdrawal_made_while_it_waited_for_the_lock(
    north: Organisation, olga: User, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = make_call(north, olga)
    withdraw_on_lock(monkeypatch, person)
    with pytest.raises(ValidationError) as refused:
        actions.update_call(
            actor=olga,
            call=call,
            changes={"person": person},
        )
    assert "no casework consent" in refused.value.message_dict["person"][0]
    with scopes_disabled():
        call.refresh_from_db()
    assert call.person_id is None


def test_correcting_a_call_already_linked_needs_no_lock_nor_consent(
    north: Organisation, olga: User, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = make_call(north, olga, person=person)
    locked = withdraw_on_lock(monkeypatch, person)
    actions.update_call(
        actor=olga,
        call=call,
        changes={"person": person, "notes": "Called back."},
    )
    assert locked == []
