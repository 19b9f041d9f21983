"""Helpline calls, logged during the call; anonymous callers need no person record."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from haven.casework.models import Person
from haven.organisations.models import Organisation
from haven.privacy.fields import EncryptedTextField


class CallChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    MESSAGING = "messaging", _("Messaging app")
    CHAT = "chat", _("Web chat")
    EMAIL = "email", _("E-mail")


class CallerType(models.TextChoices):
    PERSON_CONCERNED = "person_concerned", _("Person concerned")
    RELATIVE = "relative", _("Relative or friend")
    PROFESSIONAL = "professional", _("Professional")
    PUBLIC = "public", _("Member of the public")
    BUSINESS = "business", _("Business")


class CallTopic(models.TextChoices):
    TRAFFICKING = "trafficking", _("Trafficking or exploitation")
    VIOLENCE = "violence", _("Violence")
    HOUSING = "housing", _("Housing or shelter")
    FOOD = "food", _("Food or basic needs")
    MONEY = "money", _("Money or rent")
    HEALTH = "health", _("Health")
    MENTAL_HEALTH = "mental_health", _("Emotional support")
    LEGAL = "legal", _("Legal or residence")
    EXITING = "exiting", _("Leaving prostitution / sex work")
    INFORMATION = "information", _("Information")
    OTHER = "other", _("Other")


class CallOutcome(models.TextChoices):
    INFORMATION_GIVEN = "information_given", _("Information given")
    SUPPORT_GIVEN = "support_given", _("Support given on the call")
    REFERRED_INTERNAL = "referred_internal", _("Referred within the organisation")
    REFERRED_EXTERNAL = "referred_external", _("Referred to another organisation")
    EMERGENCY = "emergency", _("Emergency services called")
    CALL_DROPPED = "call_dropped", _("Call dropped")
    OTHER = "other", _("Other")


class HelplineCall(models.Model):
    """One contact with the helpline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started at"))
    # Null: not known (a call logged afterwards without its length); never guessed.
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=CallChannel.choices, default=CallChannel.PHONE
    )
    language = models.CharField(_("language"), max_length=3, blank=True)
    caller_type = models.CharField(_("caller"), max_length=20, choices=CallerType.choices)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=30, choices=CallOutcome.choices)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    follow_up_done = models.BooleanField(_("follow-up done"), default=False)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    notes = EncryptedTextField(_("notes"), max_length=5_000, blank=True)
    # Set when the call is unlinked from a person (erasure, retention) who had not consented
    # to coalition statistics: what their refusal left out stays left out (decision 43).
    left_out_of_statistics = models.BooleanField(default=False, editable=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager[HelplineCall]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-started_at"]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "-started_at"]),
            models.Index(fields=["organisation", "follow_up_done", "follow_up_on"]),
        ]

    def __str__(self) -> str:
        return f"call at {self.started_at:%Y-%m-%d %H:%M}"
