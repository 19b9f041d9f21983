"""Shelters: facilities with their capacity, and who stays in them when."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from haven.casework.models import Person
from haven.organisations.models import Organisation


class Facility(models.Model):
    """A shelter, safe house or apartment with a fixed number of beds and family rooms."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=100, blank=True)
    beds = models.PositiveSmallIntegerField(_("beds"))
    family_rooms = models.PositiveSmallIntegerField(_("family rooms"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    objects: ClassVar[models.Manager[Facility]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name_plural = _("facilities")

    def __str__(self) -> str:
        return self.name


class Stay(models.Model):
    """A person's stay, with the household members who came with them.

    ``ends_on`` is the morning they leave (the night before is the last one); open
    stays have none. Beds used = 1 + accompanying members; a family room, if asked for,
    holds the whole party. Once the person is erased, the stays they began keep their
    facility, dates and party without ``person``: the shelter's past occupancy stays true.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="stays")
    # None once the person was erased (records.actions._erase).
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="stays"
    )
    # Set when the person is erased: one random value on all their stays, so that a person
    # sheltered twice in a month still counts as one household. It names nobody and is
    # kept nowhere else.
    anonymous_guest = models.UUIDField(null=True, blank=True, editable=False)
    # Set when the row is unlinked from a person (erasure, retention) who had not consented
    # to coalition statistics: what their refusal left out stays left out (decision 43).
    left_out_of_statistics = models.BooleanField(default=False, editable=False)
    accompanying = models.PositiveSmallIntegerField(_("accompanying household members"), default=0)
    family_room = models.BooleanField(_("in a family room"), default=False)
    starts_on = models.DateField(_("arrives on"))
    ends_on = models.DateField(_("leaves on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager[Stay]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-starts_on"]
        indexes: ClassVar = [models.Index(fields=["facility", "starts_on", "ends_on"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="stay_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"stay of {self.person_id} from {self.starts_on}"

    @property
    def beds_used(self) -> int:
        return 0 if self.family_room else 1 + self.accompanying

    def has_begun(self, today: date) -> bool:
        """True once its first night is over: from then on it is history, ended, never deleted."""
        return self.starts_on < today
