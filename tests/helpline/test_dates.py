"""A call's follow-up comes on or after the day of the call."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.helpline import actions
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from tests.conftest import token_for
from tests.helpline.conftest import audit_events, make_call

FOLLOW_UP = "A follow-up cannot come before the call."


def test_a_follow_up_before_the_call_is_refused(north: Organisation, carol: User) -> None:
    started = timezone.make_aware(datetime.datetime(2025, 3, 10, 9, 30))
    for follow_up_on in (datetime.date(1900, 1, 1), datetime.date(2025, 3, 9)):
        with pytest.raises(ValidationError) as error:
            actions.log_call(
                actor=carol,
                organisation=north,
                caller_type="public",
                outcome="information_given",
                started_at=started,
                follow_up_on=follow_up_on,
            )
        assert error.value.message_dict == {"follow_up_on": [FOLLOW_UP]}
    with scopes_disabled():
        assert not HelplineCall.objects.exists()
    call = actions.log_call(
        actor=carol,
        organisation=north,
        caller_type="public",
        outcome="information_given",
        started_at=started,
        follow_up_on=datetime.date(2025, 3, 10),
    )
    assert call.follow_up_on == datetime.date(2025, 3, 10)


def test_a_correction_cannot_put_the_follow_up_before_the_call(
    north: Organisation, carol: User
) -> None:
    started_at = timezone.now() - datetime.timedelta(days=5)
    follow_up_on = timezone.localdate() - datetime.timedelta(days=3)
    call = make_call(north, carol, started_at=started_at, follow_up_on=follow_up_on)
    for changes, field in (
        ({"follow_up_on": datetime.date(1900, 1, 1)}, "follow_up_on"),
        ({"started_at": timezone.now()}, "started_at"),
    ):
        with pytest.raises(ValidationError) as error:
            actions.update_call(actor=carol, call=call, changes=changes)
        assert error.value.message_dict == {field: [FOLLOW_UP]}
    with scopes_disabled():
        call.refresh_from_db()
    assert (call.started_at, call.follow_up_on) == (started_at, follow_up_on)
    assert audit_events("helpline_call.changed") == []


def test_a_follow_up_before_the_call_through_the_api_is_a_400(
    north: Organisation, carol: User
) -> None:
    call = make_call(north, carol)
    response = Client().patch(
        f"/api/orgs/north/helpline/calls/{call.pk}",
        '{"follow_up_on": "1900-01-01"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(carol)}"},
    )
    assert response.status_code == 400, response.content
    assert FOLLOW_UP in response.content.decode()
    with scopes_disabled():
        call.refresh_from_db()
    assert call.follow_up_on is None
    assert audit_events("helpline_call.changed") == []
