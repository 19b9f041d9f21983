"""Joint letters and statements, their translations and versions, and who signs them.

A letter belongs to the organisation whose advocacy staff manage it (its owner). It is
signed by organisations: members of Haven in one step, organisations outside Haven by a
public request confirmed by e-mail and approved by the owner. Signatories are grouped in
categories defined per letter.
"""

from __future__ import annotations

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


class LetterKind(models.TextChoices):
    LETTER = "letter", _("Open letter")
    STATEMENT = "statement", _("Joint statement")


class LetterStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for signatures")
    CLOSED = "closed", pgettext_lazy("letter status", "Closed")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SignatoryOrder(models.TextChoices):
    ALPHABETICAL = "alphabetical", _("Alphabetical")
    CHOSEN = "chosen", _("As the owner arranges them")


class Letter(models.Model):
    """A letter or statement; its text lives in one ``LetterText`` per language."""

    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    slug = models.SlugField(_("identifier in addresses"), max_length=60)
    kind = models.CharField(
        _("type"), max_length=20, choices=LetterKind.choices, default=LetterKind.LETTER
    )
    status = models.CharField(
        _("status"), max_length=20, choices=LetterStatus.choices, default=LetterStatus.DRAFT
    )
    original_language = models.CharField(_("original language"), max_length=8)
    addressees = models.TextField(_("addressees"), max_length=2000, blank=True)
    letter_date = models.DateField(_("date of the letter"), null=True, blank=True)
    signature_deadline = models.DateTimeField(_("signature deadline"), null=True, blank=True)
    publish_at = models.DateTimeField(
        _("publication date"),
        null=True,
        blank=True,
        help_text=_("Embargo: the public page appears from this moment."),
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_role = models.CharField(_("contact person's role"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), max_length=254, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    hashtags = models.CharField(_("hashtags"), max_length=200, blank=True)
    signatory_order = models.CharField(
        _("order of signatories"),
        max_length=20,
        choices=SignatoryOrder.choices,
        default=SignatoryOrder.ALPHABETICAL,
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), max_length=2000, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[models.Manager[Letter]] = ScopedManager(organisation="owner")

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["owner", "slug"], name="letter_slug_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.slug


class LetterText(models.Model):
    """The full text of a letter in one language; one of them is the original."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), max_length=100_000, help_text=_("Markdown."))
    annex = models.TextField(_("annex"), max_length=200_000, blank=True)
    evidence = models.TextField(
        _("evidence references"),
        max_length=20_000,
        blank=True,
        help_text=_("One source per line: a reference, a link, or both."),
    )
    footnote = models.TextField(_("footnote"), max_length=5000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["language"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "language"], name="one_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} ({self.language})"


class LetterVersion(models.Model):
    """The texts as they stood in one version, so a signatory sees what they signed."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # {language: {"title", "body", "annex", "evidence", "footnote"}}
    texts = models.JSONField(default=dict)
    # Signatories signed a letter to these addressees.
    addressees = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} v{self.number}"


class SignatoryCategory(models.Model):
    """A group of signatories on one letter ("The network and its members", ...)."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=120)
    # The same name in the letter's other languages: {language: name}.
    translations = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Members of the owner's network in this membership category land here by default.
    membership_category = models.CharField(max_length=30, blank=True)
    open_to_requests = models.BooleanField(
        _("organisations outside Haven may choose it"), default=True
    )

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "name"], name="category_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        translated = self.translations.get(language) if isinstance(self.translations, dict) else ""
        return str(translated or self.name)


class SignatureStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for e-mail confirmation")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class OrganisationSignature(models.Model):
    """One organisation's signature of a letter, or its request to sign."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="signatures")
    # The owner, for the encryption of the signer's contact details.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # The directory entry that signs: set for members, for matched or approved requests.
    signatory = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="letter_signatures",
    )
    # As the signatory gave them (outside organisations) or as the directory had them.
    name = models.CharField(_("organisation name"), max_length=200)
    country = CountryField(_("country"), blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    category = models.ForeignKey(
        SignatoryCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    signer_name = EncryptedTextField(_("signer's name"), max_length=200)
    signer_role = models.CharField(_("signer's role"), max_length=200, blank=True)
    signer_email = EncryptedTextField(_("signer's e-mail"), max_length=254)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=20, choices=SignatureStatus.choices)
    version = models.PositiveIntegerField(_("version signed"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    # When the signer's name, role and e-mail of a request rejected or never confirmed, or
    # of a withdrawn signature, were blanked: the owner's record keeps the organisation,
    # status and dates.
    forgotten_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[OrganisationSignature]] = ScopedManager(
        organisation="organisation"
    )

    class Meta:
        ordering: ClassVar = ["position", "name"]
        indexes: ClassVar = [models.Index(fields=["letter", "status"])]
        constraints: ClassVar = [
            # An organisation signs a letter once; old rejected or withdrawn rows stay.
            models.UniqueConstraint(
                fields=["letter", "signatory"],
                condition=Q(status__in=["pending", "approved"]),
                name="an_organisation_signs_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.letter_id}"

    @property
    def counts(self) -> bool:
        return self.status == SignatureStatus.APPROVED

    @property
    def signed_in_haven(self) -> bool:
        """Signed by the organisation's own staff in Haven, not asked for from outside."""
        return self.signed_by_id is not None
