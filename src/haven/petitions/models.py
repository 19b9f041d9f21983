"""Public petitions and their individual signatures.

A signature counts once its e-mail link is confirmed. The public count is a COUNT of
confirmed rows over a partial index, never a counter that every signer updates
(docs/decisions/0011). Names, addresses and comments are encrypted with the owner's key
and anonymised a set time after the petition closes.
"""

from __future__ import annotations

import json
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField
from django_scopes import ScopedManager

from haven.organisations.models import Organisation
from haven.privacy.fields import EncryptedTextField


class PetitionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", pgettext_lazy("petition status", "Open")
    CLOSED = "closed", pgettext_lazy("petition status", "Closed")


DEFAULT_ANONYMISE_AFTER_DAYS = 90


class Petition(models.Model):
    """A petition the public signs, owned by the organisation whose staff run it."""

    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    slug = models.SlugField(_("identifier in addresses"), max_length=60)
    title = models.CharField(_("title"), max_length=300)
    addressee = models.CharField(_("addressed to"), max_length=300, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("text"), max_length=50_000, help_text=_("Markdown."))
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=20, choices=PetitionStatus.choices, default=PetitionStatus.DRAFT
    )
    paused = models.BooleanField(_("signing paused"), default=False)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    goal = models.PositiveIntegerField(_("goal"), null=True, blank=True)
    consent_text = models.CharField(
        _("text of the consent to follow-up contact"), max_length=500, blank=True
    )
    blocked_domains = models.TextField(
        _("blocked e-mail domains"),
        max_length=10_000,
        blank=True,
        help_text=_("One domain per line, on top of the installation's list."),
    )
    show_comments = models.BooleanField(_("show comments publicly"), default=False)
    anonymise_after_days = models.PositiveIntegerField(
        _("anonymise signatures this many days after closing"),
        default=DEFAULT_ANONYMISE_AFTER_DAYS,
    )
    hashtags = models.CharField(_("hashtags"), max_length=200, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[models.Manager[Petition]] = ScopedManager(organisation="owner")

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["owner", "slug"], name="petition_slug_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.slug

    def blocked_domain_list(self) -> list[str]:
        return [line.strip().lower() for line in self.blocked_domains.splitlines() if line.strip()]


class SignatureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for e-mail confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    INVALIDATED = "invalidated", _("Invalidated")


class Signature(models.Model):
    """One person's signature; it counts only once confirmed through the e-mail link."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    # The owner, whose key encrypts the personal data.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # Name, e-mail and comment, sealed together as one JSON value: one key lookup and one
    # encryption per signature on the hot path instead of three (``name``, ``email`` and
    # ``comment`` read it). Empty once anonymised.
    personal = EncryptedTextField(_("name, e-mail and comment"), max_length=2000, blank=True)
    # A keyed digest of the normalised address: one signature per person, found without
    # decrypting anything. Cleared when the signature is anonymised.
    email_key = models.CharField(max_length=64, blank=True, default="")
    country = CountryField(_("country"), blank=True)
    show_name = models.BooleanField(_("name may be shown publicly"), default=False)
    contact_consent = models.BooleanField(_("agrees to follow-up contact"), default=False)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(
        max_length=20, choices=SignatureStatus.choices, default=SignatureStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the confirmation e-mail went out; empty while it waits for the dispatcher.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Signature]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            # The public count: an index-only scan of confirmed rows, no counter row.
            models.Index(
                fields=["petition"],
                condition=Q(status="confirmed"),
                name="petition_confirmed_signatures",
            ),
            models.Index(fields=["petition", "-created_at"], name="petition_signatures_recent"),
            # What the confirmation dispatcher still has to send.
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending", confirmation_sent_at__isnull=True),
                name="petition_confirmations_to_send",
            ),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["petition", "email_key"],
                condition=~Q(email_key=""),
                name="one_signature_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"signature {self.pk} of {self.petition_id}"

    def _personal(self) -> dict[str, str]:
        if not self.personal:
            return {}
        values = json.loads(self.personal)
        return values if isinstance(values, dict) else {}

    def set_personal(self, *, name: str, email: str, comment: str = "") -> None:
        self.personal = json.dumps({"name": name, "email": email, "comment": comment})

    @property
    def name(self) -> str:
        return str(self._personal().get("name", ""))

    @property
    def email(self) -> str:
        return str(self._personal().get("email", ""))

    @property
    def comment(self) -> str:
        return str(self._personal().get("comment", ""))
