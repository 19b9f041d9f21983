"""Selects render their options in Python (haven/widgets.py), with Django's own markup."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates


class Example(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "Apple & <pear>"), ("b", 'Say "hi"')])
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("Fruit", [("a", "Apple"), ("p", "Pear")]), ("Nuts", [("w", "Walnut")])]
    )
    several = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two"), (3, "three")])
    numbers = forms.TypedChoiceField(choices=[(1, "one"), (2, "two")], coerce=int)
    maybe = forms.NullBooleanField()


@pytest.mark.parametrize("name", ["plain", "grouped", "several", "numbers", "maybe"])
@pytest.mark.parametrize(
    "data",
    [None, {"plain": "a", "grouped": "p", "several": ["1", "3"], "numbers": "2", "maybe": "true"}],
)
def test_a_select_renders_exactly_as_djangos_own_templates_draw_it(name, data):
    ours = Example(data)
    djangos = Example(data, renderer=DjangoTemplates())
    assert str(ours[name]) == str(djangos[name])


def test_labels_and_values_are_escaped():
    html = str(Example()["plain"])
    assert "Apple &amp; &lt;pear&gt;" in html
    assert "Say &quot;hi&quot;" in html
    assert "<pear>" not in html


def _haven_forms() -> list[type[forms.BaseForm]]:
    import importlib
    import pkgutil

    import haven

    found: list[type[forms.BaseForm]] = []
    for module in pkgutil.walk_packages(haven.__path__, "haven."):
        if module.name.endswith(".forms") or module.name.endswith("_forms"):
            loaded = importlib.import_module(module.name)
            found += [
                value
                for value in vars(loaded).values()
                if isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.name
            ]
    return found


def test_every_date_field_is_drawn_as_an_iso_value_the_browser_accepts() -> None:
    from django.utils import translation

    from haven.widgets import DateInput, DateTimeInput

    fields = [
        (form.__name__, name, field)
        for form in _haven_forms()
        for name, field in getattr(form, "base_fields", {}).items()
        if isinstance(field, forms.DateField | forms.DateTimeField)
    ]
    assert len(fields) > 20
    for form, name, field in fields:
        # Django's own widgets write the language's format ("28/11/2026" in French), which
        # a type="date" box shows as empty.
        assert isinstance(field.widget, DateInput | DateTimeInput), f"{form}.{name}"
    with translation.override("fr"):
        import datetime

        assert 'value="2026-11-28"' in DateInput().render("d", datetime.date(2026, 11, 28))
        moment = datetime.datetime(2026, 11, 28, 18, 30)
        assert 'value="2026-11-28T18:30"' in DateTimeInput().render("m", moment)
