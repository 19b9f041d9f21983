"""``{% news_about item %}``: the public posts about an event or letter, on its public page.

A template tag rather than context from the events and letters views: those apps know
nothing of news (it depends on them), and their pages only gain one line.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from haven.events.models import Event
from haven.letters.models import Letter
from haven.news.access import news_about as posts_about

register = template.Library()


@register.inclusion_tag("news/public/_about.html")
def news_about(item: Event | Letter) -> dict[str, Any]:
    return {"about": posts_about(item=item, language=get_language() or "en")}
