"""A public form with the hidden trap filled in is refused; people never see the trap."""

from __future__ import annotations

from django import forms

from haven.abuse.honeypot import HONEYPOT_FIELD, HoneypotMixin, trap_filled


class SignForm(HoneypotMixin):
    name = forms.CharField()


def test_a_person_who_leaves_the_trap_empty_gets_through():
    form = SignForm({"name": "Ana", HONEYPOT_FIELD: ""})
    assert form.is_valid()
    assert not form.honeypot_tripped()


def test_a_bot_that_fills_the_trap_is_refused():
    form = SignForm({"name": "Ana", HONEYPOT_FIELD: "http://spam.example"})
    assert not form.is_valid()
    assert form.honeypot_tripped()
    assert trap_filled({HONEYPOT_FIELD: "x"})
    assert not trap_filled({HONEYPOT_FIELD: "  "})


def test_the_trap_is_hidden_from_sight_screen_readers_and_the_tab_order():
    html = str(SignForm()[HONEYPOT_FIELD])
    assert 'class="honeypot" aria-hidden="true"' in html
    assert 'tabindex="-1"' in html
    assert 'autocomplete="off"' in html
    assert "Leave this field empty" in html
