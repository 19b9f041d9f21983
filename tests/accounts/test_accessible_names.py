"""Buttons and links repeated on each row say, to a screen reader, which row they act on."""

from __future__ import annotations

from html.parser import HTMLParser

from django.urls import reverse

from haven.accounts import actions
from tests.conftest import client_for


class AccessibleNames(HTMLParser):
    """The text of every link and button of a page, hidden text included."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"a", "button"}:
            self._open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in {"a", "button"} and self._open:
            self.names.append(" ".join("".join(self._open.pop()).split()))

    def handle_data(self, data: str) -> None:
        for parts in self._open:
            parts.append(data)


def names_starting(content: str, label: str) -> list[str]:
    parser = AccessibleNames()
    parser.feed(content)
    return [name for name in parser.names if name.startswith(label)]


def test_each_staff_row_names_the_person_and_each_invitation_its_address(alice, carol, north):
    actions.invite_user(actor=alice, organisation=north, email="one@example.org", roles=["viewer"])
    actions.invite_user(actor=alice, organisation=north, email="two@example.org", roles=["viewer"])
    content = client_for(alice).get(reverse("staff_list", kwargs={"org": "north"})).content
    page = content.decode()
    assert sorted(names_starting(page, "Change roles")) == [
        "Change roles — alice",
        "Change roles — carol",
    ]
    assert sorted(names_starting(page, "Remove access")) == [
        "Remove access — alice",
        "Remove access — carol",
    ]
    assert sorted(names_starting(page, "Revoke")) == [
        "Revoke — one@example.org",
        "Revoke — two@example.org",
    ]


def test_each_token_revoke_button_names_its_token(carol):
    actions.create_api_token(actor=carol, name="reporting script")
    actions.create_api_token(actor=carol, name="backup job")
    page = client_for(carol).get(reverse("account_settings")).content.decode()
    assert sorted(names_starting(page, "Revoke")) == [
        "Revoke — backup job",
        "Revoke — reporting script",
    ]
