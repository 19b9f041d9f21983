"""Showing figures: withheld ones as "<threshold", noised ones with their 95% accuracy."""

from __future__ import annotations

from decimal import Decimal

from django import template

from haven.reporting.report import Shown, format_figure, format_number

register = template.Library()


@register.filter
def figure(shown: Shown, threshold: int = 10) -> str:
    """ "1,234 ± 28", "1,234", or "<10" for a withheld figure."""
    return format_figure(shown, threshold)


@register.filter(name="number")
def number_filter(value: Decimal | int | None) -> str:
    return format_number(value)
