"""What organisations give: a catalogue of services and every delivery of one.

A delivery is to a person, to a household, or to no one in particular (a bulk
distribution or a group session), in which case it counts the people or households
reached instead of naming them.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from haven.casework.models import Household, Person
from haven.organisations.models import Organisation


class ServiceCategory(models.TextChoices):
    BASIC_NEEDS = "basic_needs", _("Food and basic needs")
    FINANCIAL = "financial", _("Financial support")
    SHELTER = "shelter", _("Shelter and housing")
    HEALTH = "health", _("Health")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    LEGAL = "legal", _("Legal support")
    SOCIAL = "social", _("Social support and accompaniment")
    OUTREACH = "outreach", _("Outreach and information")
    EDUCATION = "education", _("Education and training")
    COMMUNICATION = "communication", _("Communication")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    ONLINE = "online", _("Online")
    OUTREACH = "outreach", _("Outreach")


class ServiceType(models.Model):
    """A kind of service. Defaults (no organisation) are shared by the whole installation;
    an organisation adds its own and hides defaults it does not offer."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    unit = models.CharField(_("unit"), max_length=30)
    counts_money = models.BooleanField(_("records an amount of money"), default=False)

    class Meta:
        ordering: ClassVar = ["category", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="service_code_unique_per_organisation"
            ),
            models.UniqueConstraint(
                fields=["code"], condition=Q(organisation__isnull=True), name="default_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class HiddenServiceType(models.Model):
    """A default service an organisation does not offer, hidden from its forms."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")

    objects: ClassVar[models.Manager[HiddenServiceType]] = ScopedManager(
        organisation="organisation"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "service_type"], name="hide_a_service_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_type_id} hidden for {self.organisation_id}"


class ServiceDelivery(models.Model):
    """One service given: to a person, a household, or counted without names."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    delivered_on = models.DateField(_("date"))
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="services"
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, null=True, blank=True, related_name="services"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=1)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    # For deliveries to no one in particular: how many were reached.
    people_reached = models.PositiveIntegerField(_("people reached"), null=True, blank=True)
    households_reached = models.PositiveIntegerField(_("households reached"), null=True, blank=True)
    # Set when the row is unlinked from a person (erasure, retention) who had not consented
    # to coalition statistics: what their refusal left out stays left out (decision 43).
    left_out_of_statistics = models.BooleanField(default=False, editable=False)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.IN_PERSON
    )
    language = models.CharField(_("language"), max_length=3, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager[ServiceDelivery]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-delivered_on", "-created_at"]
        indexes: ClassVar = [
            # Lists by day read it backwards; coalition statistics read a period of many
            # members from the index alone (PostgreSQL; SQLite ignores the included columns).
            models.Index(
                fields=["organisation", "delivered_on"],
                include=[
                    "service_type",
                    "person",
                    "household",
                    "quantity",
                    "amount",
                    "currency",
                    "people_reached",
                    "households_reached",
                    "left_out_of_statistics",
                ],
                name="delivery_by_day_covering",
            ),
            # Coalition statistics read a period's money, and the households served, from
            # these alone rather than from every delivery of the period (decision 34).
            models.Index(
                fields=["organisation", "delivered_on"],
                include=[
                    "service_type",
                    "person",
                    "household",
                    "amount",
                    "currency",
                    "left_out_of_statistics",
                ],
                condition=Q(amount__isnull=False),
                name="delivery_money_by_day",
            ),
            models.Index(
                fields=["organisation", "delivered_on"],
                include=["household"],
                condition=Q(household__isnull=False),
                name="delivery_household_by_day",
            ),
            models.Index(fields=["organisation", "service_type", "-delivered_on"]),
            models.Index(fields=["person", "-delivered_on"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quantity_is_positive"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | ~Q(currency=""),
                name="amount_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_type_id} on {self.delivered_on}"
