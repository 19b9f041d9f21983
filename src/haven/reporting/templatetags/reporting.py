"""Showing figures (withheld ones as "withheld", noised ones with their 95% accuracy),
and the "Reports due" card of a member's dashboard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from haven.reporting.access import open_requests
from haven.reporting.report import Shown, format_figure, format_number

register = template.Library()


@register.filter
def figure(shown: Shown) -> str:
    """ "1,234 ± 28", "1,234", or "withheld"."""
    return format_figure(shown)


@register.filter(name="number")
def number_filter(value: Decimal | int | None) -> str:
    return format_number(value)


# The card lists this many reports at most; the page of reports has them all.
CARD_LENGTH = 8


@register.inclusion_tag("reporting/_reports_due_card.html", takes_context=True)
def reports_due_card(context: Any) -> dict[str, Any]:
    """What the organisation's networks ask of it now, soonest deadline first."""
    organisation = context["organisation"]
    requests = open_requests(organisation)
    return {
        "organisation": organisation,
        "requests": requests[:CARD_LENGTH],
        "more": max(0, len(requests) - CARD_LENGTH),
    }
