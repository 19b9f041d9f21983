"""Form fields that choose one language out of the 7,000 Haven knows, in a light page.

The menus and suggestions hold some 200 languages (``short_language_menu``); any other is
typed, and accepted if Haven knows it. The API takes codes and checks them in the actions.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.organisations.languages import is_language_code, language_code_for, short_language_menu
from haven.organisations.models import Organisation

# Longer than any language's name in the interface's languages (60 characters in Spanish).
LONGEST_TYPED_LANGUAGE = 80


class LanguageMenuField(forms.ChoiceField):
    """A menu of the likely languages that accepts any language Haven knows: one typed as
    its code, or posted from an older page."""

    def valid_value(self, value: Any) -> bool:
        return isinstance(value, str) and is_language_code(value)


class LanguageCodeField(forms.CharField):
    """A language typed in a box: its code or its full name, of any language Haven knows.
    Cleaned to the code, or "" when left empty. The box suggests the short list if the
    page holds it as a datalist (named by ``datalist``).

    A box is faster than a menu from the keyboard mid-call, and the datalist lets a name
    be typed where a code is not known; a name typed in full counts too. Beside a menu
    (``LanguageMenuForm``) it suggests nothing: the menu shows those languages already.
    """

    default_error_messages = {
        "unknown": _("“%(value)s” is not an ISO 639 language code, nor a language's name."),
    }

    def __init__(self, *, datalist: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", LONGEST_TYPED_LANGUAGE)
        suggestions = {"list": datalist} if datalist else {}
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={**suggestions, "autocomplete": "off", "spellcheck": "false", "size": 10}
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        typed = str(super().clean(value) or "")
        if not typed:
            return ""
        code = language_code_for(typed)
        if code is None:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": typed[:20]}
            )
        return code


class LanguageMenuForm(forms.Form):
    """A form's choice of a language: a short menu, or any other language typed.

    The full list of ISO 639 languages (some 7,000) made every form that offered it weigh
    300 KB; the menu holds the usual and the ISO 639-1 languages, and a rarer one (Nigerian
    Pidgin, Romani) is typed in the box beside it, as its full name or its code.
    """

    language_label = _("Language")
    language = LanguageMenuField(label=_("Language"), choices=())
    # The helpline's box: a coordinator who knew a language by its name only ("Nigerian
    # Pidgin") was refused when this one took nothing but a code.
    other_language = LanguageCodeField(
        label=_("Or another language"),
        help_text=_(
            "When the menu does not have it: its full name or its ISO 639 code, "
            "e.g. Nigerian Pidgin or pcm."
        ),
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation | None = None,
        in_use: Collection[str] = (),
        without: Collection[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # A language posted that the menu leaves out (from an older page) stays on it: else
        # the form shown again with an error opened on the first option, and was saved in it.
        chosen = self["language"].value()
        if isinstance(chosen, str) and is_language_code(chosen):
            in_use = {*in_use, chosen}
        field = self.fields["language"]
        field.label = self.language_label
        field.choices = short_language_menu(organisation, in_use, without)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("other_language") or "other_language" in self.errors:
            # The box was filled in: it is the choice, and its own error the one to show,
            # not the empty menu's "required".
            self.errors.pop("language", None)
        if cleaned.get("other_language"):
            cleaned["language"] = cleaned["other_language"]
        cleaned.pop("other_language", None)
        return cleaned
