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
