"""Forms of the news pages: writing, translating, linking and the workflow."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.organisations.language_fields import LanguageMenuForm
from haven.timezones import in_zone
from haven.widgets import DateTimeInput

MARKDOWN_HELP = _("Markdown: blank lines between paragraphs, *emphasis*, lists with “-”.")


class TextForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or two sentences for lists, feeds and link previews."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=MARKDOWN_HELP,
    )


class PostCreateForm(TextForm, LanguageMenuForm):
    hashtags = forms.CharField(label=_("Hashtags"), max_length=200, required=False)
    field_order = ("language", "other_language", "title", "summary", "body", "hashtags")


class PostDetailsForm(forms.Form):
    hashtags = forms.CharField(label=_("Hashtags"), max_length=200, required=False)
    publish_at = forms.DateTimeField(
        label=in_zone(_("Publication date")),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Until then the post stays under embargo. Fixed once the post is public."),
    )


class AddLanguageForm(LanguageMenuForm):
    language_label = _("Write it in")

    def __init__(self, *args: Any, existing: Collection[str] = (), **kwargs: Any) -> None:
        # The menu offers the languages the text lacks: an untouched menu opened the
        # original for editing, and saving it told every signatory the text had changed.
        super().__init__(*args, without=existing, **kwargs)


class MoveForm(forms.Form):
    move = forms.ChoiceField(
        choices=[
            ("publish", "publish"),
            ("withdraw", "withdraw"),
            ("redraft", "redraft"),
            ("delete", "delete"),
        ],
        widget=forms.HiddenInput,
    )
    publish_at = forms.DateTimeField(
        label=in_zone(_("Publish from")),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty to publish now; a later date keeps it under embargo."),
    )
    reason = forms.CharField(
        label=_("Reason for withdrawal"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For your organisation's records and the notice on the old address."),
    )


class LinkForm(forms.Form):
    link = forms.ChoiceField(label=_("Event, letter or petition"))

    def __init__(self, *args: Any, choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["link"].choices = choices  # type: ignore[attr-defined]

    def item(self) -> tuple[str, int]:
        kind, _separator, item_id = self.cleaned_data["link"].partition(":")
        return kind, int(item_id)
