"""Showing figures: withheld ones as "<threshold", noised ones with their 95% accuracy."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _

from haven.reporting.report import Shown

register = template.Library()


def number(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return str(intcomma(f"{value:.2f}"))
    return str(intcomma(int(value)))


@register.filter
def figure(shown: Shown, threshold: int = 10) -> str:
    """ "1,234 ± 28", "1,234", or "<10" for a withheld figure."""
    if shown.value is None:
        return f"<{threshold}"
    text = number(shown.value)
    if shown.accuracy:
        text = _("%(value)s ± %(accuracy)s") % {
            "value": text,
            "accuracy": number(shown.accuracy),
        }
    return text


@register.filter(name="number")
def number_filter(value: Decimal | int | None) -> str:
    return number(value)
