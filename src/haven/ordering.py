"""Rows that their owners put in order: a ``position`` field renumbered 0, 1, 2, …

Partners of an event, the speakers of a session, registration questions and the links of a
news post are shown in the order staff choose. Pages move one row up or down (buttons
that work without JavaScript); the API sends the whole order at once. Both renumber every
sibling, so gaps and ties left by deletions or old rows disappear on the first move.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

Direction = Literal["up", "down"]
DIRECTIONS: tuple[Direction, ...] = ("up", "down")


def _renumber(rows: list[Any]) -> None:
    changed = []
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            changed.append(row)
    if changed:
        type(changed[0])._default_manager.bulk_update(changed, ["position"])


def move_within(siblings: models.QuerySet[Any], item_id: int, direction: str) -> bool:
    """Move one row a place up or down among its siblings (in their current order);
    False when it is already first or last. Refuses a row that is not among them."""
    if direction not in DIRECTIONS:
        raise ValidationError({"direction": _("Choose to move it up or down.")})
    with transaction.atomic():
        rows = list(siblings.select_for_update())
        index = next((i for i, row in enumerate(rows) if row.pk == item_id), None)
        if index is None:
            raise ValidationError(_("There is no such item to move."))
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(rows):
            _renumber(rows)
            return False
        rows[index], rows[other] = rows[other], rows[index]
        _renumber(rows)
    return True


def set_order(siblings: models.QuerySet[Any], ids: Sequence[int]) -> None:
    """Put the rows in the order of ``ids``, which must name each of them exactly once."""
    with transaction.atomic():
        rows = {row.pk: row for row in siblings.select_for_update()}
        if len(ids) != len(set(ids)) or set(ids) != set(rows):
            raise ValidationError(
                {
                    "ids": _("Give every item exactly once, in the new order: %(ids)s.")
                    % {"ids": ", ".join(str(pk) for pk in sorted(rows)) or "—"}
                }
            )
        _renumber([rows[pk] for pk in ids])


def answer_move(
    request: HttpRequest, *, moved: bool, back: str, template: str, context: dict[str, Any]
) -> HttpResponse:
    """After a move: htmx gets the list again (``template``) with a status line for screen
    readers; a plain form post returns to the page, at the row that moved."""
    note = _("Moved.") if moved else _("It is already at that end of the list.")
    if request.headers.get("HX-Request") == "true":
        return render(request, template, {**context, "order_status": note})
    messages.success(request, note)
    return redirect(back)
