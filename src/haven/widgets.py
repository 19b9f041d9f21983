"""Form widgets: date inputs that browsers can read, and selects drawn faster.

``DateInput`` and ``DateTimeInput`` are the browser's own pickers (``type="date"``,
``"datetime-local"``), which only accept ISO values: Django writes a widget's value in the
active language's first input format (``28/11/2026`` in French), which the browser
rejects and shows as an empty box, so a form saved in French or Spanish lost its dates.
Django reads the ISO value back in every language.

Selects: a select's options are rendered in Python, not one template each.

Django renders every ``<option>`` through its own template include, which costs tens of
microseconds an option; the filter forms of Haven's list pages carry hundreds of options
(services, countries, languages), and rendering them was most of those pages' template
time. ``templates/django/forms/widgets/select.html`` calls ``select_options`` instead;
the markup is the same as Django's (``tests/test_widgets.py`` compares them).

Loaded as the template library ``haven_widgets`` (settings.TEMPLATES ``libraries``).
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

DATE_INPUT_FORMAT = "%Y-%m-%d"
DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """The browser's date picker, its value written as ISO in every language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=DATE_INPUT_FORMAT)


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, its value written as ISO in every language."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=DATETIME_LOCAL_FORMAT)


class HiddenDateTimeInput(DateTimeInput):
    """A moment the page carries without showing it, written as ISO in every language."""

    input_type = "hidden"


DJANGO_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attributes(attrs: dict[str, Any]) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def _option(option: dict[str, Any]) -> str:
    if option.get("template_name", DJANGO_OPTION_TEMPLATE) != DJANGO_OPTION_TEMPLATE:
        return str(render_to_string(option["template_name"], {"widget": option}))
    value = conditional_escape(str(option["value"]))
    label = conditional_escape(option["label"])
    # Django's option template ends with a newline; keep it so the markup is the same.
    return f'<option value="{value}"{_attributes(option["attrs"])}>{label}</option>\n'


@register.simple_tag
def select_options(widget: dict[str, Any]) -> SafeString:
    """The ``<option>`` and ``<optgroup>`` elements of a select widget's context."""
    parts: list[str] = []
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(f"\n  {_option(option)}" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
