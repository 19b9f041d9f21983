"""A field people never see and bots fill in: a public form with it filled is refused.

Render the form's fields as usual; the honeypot's widget renders itself and its label
inside ``<div class="honeypot" aria-hidden="true">`` (haven.css moves it off screen, and it
is out of the tab order), so screen reader and keyboard users never meet it either.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

HONEYPOT_FIELD = "homepage_address"


class HoneypotInput(forms.TextInput):
    template_name = "abuse/honeypot.html"


class HoneypotMixin(forms.Form):
    """Add to a public form; ``is_valid()`` is then False when a bot filled the trap."""

    homepage_address = forms.CharField(
        # The widget carries its own label inside the hidden box; an outer one would show.
        label="",
        required=False,
        max_length=200,
        widget=HoneypotInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_homepage_address(self) -> str:
        value: str = self.cleaned_data.get(HONEYPOT_FIELD, "")
        if value:
            raise forms.ValidationError(
                _("This form could not be sent. Please try again."), code="honeypot"
            )
        return value

    def honeypot_tripped(self) -> bool:
        """True when the only reason the form failed is the trap, i.e. a bot sent it."""
        return self.has_error(HONEYPOT_FIELD, code="honeypot")


def trap_filled(data: Any) -> bool:
    """For a view without a Django form: True when the trap field carries a value."""
    return bool(str(data.get(HONEYPOT_FIELD, "") or "").strip())
