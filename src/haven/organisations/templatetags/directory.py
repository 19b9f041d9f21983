"""Template filters of the directory, for the pages of other apps that show memberships."""

from __future__ import annotations

from django import template
from django.db.models import QuerySet

from haven.organisations import access
from haven.organisations.models import Membership

register = template.Library()


@register.filter
def in_force(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """Of ``memberships``, those in force today: an ended or future one is no membership yet."""
    return access.memberships_in_force(memberships)
