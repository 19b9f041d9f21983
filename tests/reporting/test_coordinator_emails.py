"""Coordinators hear of each sending: one e-mail each, in their language, with the member's
name and how many members have sent; never a figure, and never to the member itself."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.organisations.models import Membership
from haven.reporting import actions, tasks
from haven.reporting.models import Revision
from tests.conftest import make_organisation, make_user
from tests.reporting.helpers import (
    open_period,
    quarters_back,
    sample_figures,
    send_figures,
    submission_of,
)

pytestmark = pytest.mark.django_db


def sent_to(address: str) -> list[Any]:
    return [message for message in mail.outbox if address in message.to]


def test_a_sending_tells_the_coordinators_in_their_language(
    plain_period, cora, north, alice, django_capture_on_commit_callbacks
):
    cora.preferred_language = "fr"
    cora.save(update_fields=["preferred_language"])
    north.name = "Nord & Sud"
    north.save(update_fields=["name"])
    with django_capture_on_commit_callbacks(execute=True):
        send_figures(alice, north, plain_period, sample_figures(persons=4321))

    # The member is not told of its own sending; the coordinator is, once.
    assert {address for message in mail.outbox for address in message.to} == {"cora@example.org"}
    [message] = mail.outbox
    # The name as written, in the subject and the text; escaped only in the HTML.
    with translation.override("fr"):
        label = plain_period.label
    assert message.subject == f"Nord & Sud a envoyé ses chiffres pour {label}"
    assert "Nord & Sud a envoyé ses chiffres" in message.body
    link = reverse("period_review", kwargs={"org": "coalition", "period_id": plain_period.pk})
    assert link in message.body
    [(html, _kind)] = cast(EmailMultiAlternatives, message).alternatives
    assert "Nord &amp; Sud" in str(html)
    assert link in str(html)
    # Only that it came: no figure leaves in an e-mail.
    assert "4321" not in message.body
    assert "4321" not in str(html)


def test_a_correction_is_told_as_a_correction(
    plain_period, cora, north, alice, django_capture_on_commit_callbacks
):
    send_figures(alice, north, plain_period, sample_figures())
    submission = submission_of(north, plain_period)
    actions.start_correction(actor=alice, submission=submission)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_submission(actor=alice, submission=submission, reason="A typo")
    [message] = mail.outbox
    assert message.subject == f"North Shelter corrected its figures for {plain_period.label}"
    assert "sent a correction of its figures" in message.body
    assert "A typo" not in message.body


def test_nothing_is_sent_when_the_sending_is_refused(
    plain_period, cora, north, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        # Nothing prepared yet: refused, and nobody is told of anything.
        actions.send_submission(actor=alice, submission=submission_of(north, plain_period))
    assert mail.outbox == []


def test_a_telling_that_failed_is_retried_by_the_hourly_run_and_never_told_twice(
    plain_period, cora, north, alice, django_capture_on_commit_callbacks, monkeypatch
):
    def mail_server_away(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("mail server away")

    with monkeypatch.context() as away:
        away.setattr(tasks, "send_templated", mail_server_away)
        with django_capture_on_commit_callbacks(execute=True):
            send_figures(alice, north, plain_period, sample_figures())
    with scopes_disabled():
        revision = Revision.objects.get(submission=submission_of(north, plain_period))
    assert revision.coordinators_told_at is None
    assert sent_to("cora@example.org") == []

    assert tasks.run_reporting()["coordinator_emails"] == 1
    assert len(sent_to("cora@example.org")) == 1
    # Told once: neither the next run nor a second worker tells again.
    assert tasks.run_reporting()["coordinator_emails"] == 0
    assert tasks.coordinators_told(revision.pk) == 0
    assert len(sent_to("cora@example.org")) == 1


def test_a_sending_older_than_the_window_is_left_untold(plain_period, cora, north, alice):
    send_figures(alice, north, plain_period, sample_figures())  # its task never ran
    later = timezone.now() + tasks.UNTOLD_WINDOW + datetime.timedelta(hours=1)
    assert tasks.tell_coordinators_left_untold(later) == 0
    assert sent_to("cora@example.org") == []


def test_the_count_of_members_that_sent_agrees_with_the_number_that_sent(
    coalition, cora, north, alice, django_capture_on_commit_callbacks
):
    senders = [(alice, north)]
    for slug in ("east", "west", "middle"):
        member = make_organisation(slug, name=slug.title(), country="FR")
        Membership.objects.create(network=coalition, organisation=member, category="member")
        senders.append((make_user(f"{slug}-admin", member, Role.ORGANISATION_ADMIN), member))
    period = open_period(cora, coalition, quarters_back(1)[0], epsilon=Decimal(0), budget=0)
    for count, (admin, member) in enumerate(senders[:2], start=1):
        with django_capture_on_commit_callbacks(execute=True):
            send_figures(admin, member, period, sample_figures())
        body = sent_to("cora@example.org")[-1].body
        assert (
            "1 of the 4 members asked has sent its figures."
            if count == 1
            else "2 of the 4 members asked have sent their figures."
        ) in body


def test_the_only_member_asked_is_said_to_be_the_only_one(
    plain_period, cora, north, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_figures(alice, north, plain_period, sample_figures())
    assert "The only member asked has sent its figures." in sent_to("cora@example.org")[0].body
