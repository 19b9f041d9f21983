"""The box a wide table scrolls in, sideways on a phone.

A table wider than the screen scrolls inside its box rather than widening the page. A
keyboard can scroll only what takes the focus, and a table of figures or dates often has
no link to tab to: the box itself takes the focus (``tabindex="0"``), shows it as every
focused element does, and is a region named by the table's caption or heading, so a
screen reader says what was reached (WCAG 2.1.1, 4.1.2; axe's scrollable-region-focusable).

Loaded as the template library ``haven_tables`` (settings.TEMPLATES ``libraries``)::

    {% table_scroll "events" %}<table><caption id="events">…</table>{% endtable_scroll %}

The id may be given in parts, joined, for the tables of a loop:
``{% table_scroll "grid-" facility.pk %}``.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_block_tag
def table_scroll(content: str, *labelledby: object) -> SafeString:
    """The table in ``content`` in a box that scrolls, named by the element of that id."""
    return format_html(
        '<div class="table-scroll" role="region" aria-labelledby="{}" tabindex="0">{}</div>',
        "".join(map(str, labelledby)),
        content,
    )
