"""Template filters of the helpline pages."""

from __future__ import annotations

from django import template

from haven.helpline.models import CallTopic

register = template.Library()


@register.filter
def topic_labels(codes: object) -> list[str]:
    """The translated labels of a call's topic codes, unknown codes left out."""
    labels = dict(CallTopic.choices)
    if not isinstance(codes, list):
        return []
    return [str(labels[code]) for code in codes if code in labels]
