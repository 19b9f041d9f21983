"""``{% event_when event %}``: when an event takes place, in its own time zone, with the
date said once for an event that starts and ends on the same day."""

from __future__ import annotations

from django import template

from haven.events.content import time_range
from haven.events.models import Event

register = template.Library()


@register.simple_tag
def event_when(event: Event, short: bool = False) -> str:
    return time_range(event, short=short)
