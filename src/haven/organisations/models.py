"""The directory: organisations, the networks they form, and who belongs to which."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from haven.organisations.languages import validate_language_codes


class OrganisationKind(models.TextChoices):
    NGO = "ngo", _("NGO")
    NETWORK = "network", _("Network")
    STATE = "state", _("State")
    INTERGOVERNMENTAL = "intergovernmental", _("Intergovernmental body")
    MUNICIPALITY = "municipality", _("Municipality")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    """An organisation in the directory; the ones with staff in Haven are tenants."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    slug = models.SlugField(_("identifier in addresses"), max_length=60, unique=True)
    kind = models.CharField(
        _("type"), max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.NGO
    )
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    languages = models.JSONField(
        _("languages"), default=list, blank=True, validators=[validate_language_codes]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        if self.short_name and self.short_name != self.name:
            return f"{self.name} ({self.short_name})"
        return self.name


class Network(models.Model):
    """A coalition of organisations, run by the organisation it belongs to."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="network"
    )
    slug = models.SlugField(_("identifier in addresses"), max_length=60, unique=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)

    class Meta:
        ordering: ClassVar = ["organisation__name"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.organisation.name


class MembershipCategory(models.TextChoices):
    MEMBER = "member", _("Member")
    PARTNER = "partner", _("Partner")
    INTERNATIONAL_NETWORK = "international_network", _("International network")
    DOMESTIC_NGO = "domestic_ngo", _("Domestic NGO")
    SUPPORTER = "supporter", _("Supporter")


class Membership(models.Model):
    """An organisation's place in a network, for a period."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    category = models.CharField(
        _("category"),
        max_length=30,
        choices=MembershipCategory.choices,
        default=MembershipCategory.MEMBER,
    )
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["organisation__name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["network", "organisation"],
                condition=Q(until__isnull=True),
                name="one_open_membership_per_network",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True)
                | Q(since__isnull=True)
                | Q(until__gte=models.F("since")),
                name="membership_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.network}"
