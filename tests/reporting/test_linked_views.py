"""A coordinator opens a period's figures by member and by country: comparing the two must not
give back a figure either view withholds."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from haven.reporting.access import Sent
from haven.reporting.disclosure import TOTAL
from haven.reporting.report import build_views
from haven.reporting.schema import BY_KEY

TABLE = BY_KEY["calls.topic"]
THRESHOLD = 10
# Two members in Spain, one in the Philippines and one in South Africa; the Spanish member
# "fpa" and the South African one have small figures.
MEMBERS = {"hl": ("ES", 17), "fpa": ("ES", 8), "bay": ("PH", 15), "tha": ("ZA", 8)}


def _sent(by_country: bool, *, raised: int = 0) -> Sent:
    sent = Sent(columns={}, scales=defaultdict(list), members=defaultdict(set), labels={})
    for number, (member, (country, value)) in enumerate(MEMBERS.items(), start=1):
        column = country if by_country else member
        figures = sent.columns.setdefault(column, {})
        cell = (TABLE.key, "legal")
        figures[cell] = figures.get(cell, Decimal(0)) + value + raised
        # A second row, large everywhere, so that the grid has lines to protect with.
        other = (TABLE.key, "housing")
        figures[other] = figures.get(other, Decimal(0)) + 40 + number
        sent.members[column].add(number)
    return sent


def _shown(view: object) -> dict[tuple[str, str], Decimal]:
    cells = getattr(view, "cells")  # noqa: B009
    return {position: shown.value for position, shown in cells.items() if shown.value is not None}


def test_no_member_figure_withheld_by_member_follows_from_the_view_by_country() -> None:
    by_member = _sent(by_country=False)
    [member_view] = build_views(by_member, [TABLE], THRESHOLD)
    [country_view] = build_views(_sent(by_country=True), [TABLE], THRESHOLD, members=by_member)
    members, countries = _shown(member_view), _shown(country_view)
    assert ("legal", "fpa") not in members, "8 is under the threshold"
    # Spain's figure less Harbour Light's would be FPA's 8: Spain must not be shown...
    assert ("legal", "ES") not in countries
    # ...and whatever the country view shows follows from the member view.
    spain = ("hl", "fpa")
    for (row, column), value in countries.items():
        parts = spain if column == "ES" else [m for m, (c, _v) in MEMBERS.items() if c == column]
        if column == TOTAL:
            assert members[row, TOTAL] == value
        else:
            assert sum(members[row, part] for part in parts) == value, (row, column)


def test_where_nothing_is_withheld_by_member_every_country_is_shown() -> None:
    by_member = _sent(by_country=False, raised=20)
    [country_view] = build_views(
        _sent(by_country=True, raised=20), [TABLE], THRESHOLD, members=by_member
    )
    shown = _shown(country_view)
    assert shown[("legal", "ES")] == Decimal(17 + 8 + 40)
    assert len(shown) == len(country_view.cells), "nothing withheld"
