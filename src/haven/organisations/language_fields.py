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


class LanguageMenuForm(forms.Form):
    """A form's choice of a language: a short menu, or the code of any other language.

    The full list of ISO 639 languages (some 7,000) made every form that offered it weigh
    300 KB; the menu holds the usual and the ISO 639-1 languages, and a rarer one (Nigerian
    Pidgin, Romani) is typed as its three-letter code.
    """

    language_label = _("Language")
    language = LanguageMenuField(label=_("Language"), choices=())
    other_language = forms.CharField(
        label=_("Or another language"),
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"size": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Its ISO 639 code, when the menu does not have it: pcm for Nigerian Pidgin."),
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
        field = self.fields["language"]
        field.label = self.language_label
        field.choices = short_language_menu(organisation, in_use, without)  # type: ignore[attr-defined]

    def clean_other_language(self) -> str:
        code = str(self.cleaned_data.get("other_language") or "").strip().lower()
        if code and not is_language_code(code):
            raise forms.ValidationError(_("No language has this code: give an ISO 639 code."))
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("other_language"):
            cleaned["language"] = cleaned["other_language"]
            self.errors.pop("language", None)
        cleaned.pop("other_language", None)
        return cleaned


class LanguageCodeField(forms.CharField):
    """A language typed in a box that suggests the short list (a datalist, which the page
    holds under ``datalist``): its code or its full name, of any language Haven knows.
    Cleaned to the code, or "" when left empty.

    A box is faster than a menu from the keyboard mid-call, and the datalist lets a name
    be typed where a code is not known; a name typed in full counts too.
    """

    default_error_messages = {
        "unknown": _("“%(value)s” is not an ISO 639 language code, nor a language's name."),
    }

    def __init__(self, *, datalist: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", LONGEST_TYPED_LANGUAGE)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"list": datalist, "autocomplete": "off", "spellcheck": "false", "size": 10}
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
