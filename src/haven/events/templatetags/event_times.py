"""``{% event_when event %}``: when an event takes place, in its own time zone, with the
date said once for an event that starts and ends on the same day; ``|in_event_zone:event``
puts any moment in that zone for the ``date`` and ``time`` filters; ``{% event_zone event %}``
names the zone as people read it ("CEST, UTC+2"), its IANA name in the title."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from haven.events.content import local_time, time_range, zone_label
from haven.events.models import Event

register = template.Library()


class _LocalMoment(datetime):
    """A moment the template engine leaves in its own zone (as Django's ``timezone`` filter
    marks its result), instead of moving it into the reader's before ``date`` formats it."""

    convert_to_local_time = False


@register.simple_tag
def event_when(event: Event, short: bool = False) -> str:
    return time_range(event, short=short)


@register.simple_tag
def event_zone(event: Event, moment: datetime | None = None) -> SafeString:
    """The zone at ``moment`` (the start by default), readable, with its IANA name as title."""
    return format_html(
        '<span class="event-zone" title="{}">{}</span>', event.timezone, zone_label(event, moment)
    )


@register.simple_tag
def event_zone_name(event: Event, moment: datetime | None = None) -> str:
    """The zone at ``moment`` as plain text, for e-mails."""
    return zone_label(event, moment)


@register.filter
def in_event_zone(moment: datetime | None, event: Event) -> datetime | str:
    """``moment`` in the event's time zone; unlike ``|timezone:``, never an error for a
    moment at the calendar's edge (``content.local_time`` keeps it in UTC then)."""
    if not isinstance(moment, datetime):
        return ""
    local = local_time(event, moment)
    return _LocalMoment(
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
        local.second,
        local.microsecond,
        local.tzinfo,
    )
