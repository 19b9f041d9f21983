"""Sent figures turned into the tables a coordinator reviews and the public reads: summed
by country, member or period, suppressed, and each noised figure with its 95% accuracy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from django.core.cache import cache
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from haven.reporting import access
from haven.reporting.access import MemberStatus, Sent
from haven.reporting.disclosure import (
    TOTAL,
    Controlled,
    Grid,
    Position,
    cell_accuracy,
    control,
    domain_size,
)
from haven.reporting.schema import (
    BY_KEY,
    TABLES,
    Table,
    categories_of,
    label_of,
    section_tables,
    table,
    with_followed,
)

if TYPE_CHECKING:
    from haven.reporting.models import ReportingPeriod


@dataclass(frozen=True)
class Shown:
    """One cell as it may be shown: its value (None when withheld) and 95% accuracy."""

    value: Decimal | None
    accuracy: Decimal | None = None

    @property
    def withheld(self) -> bool:
        return self.value is None


@dataclass
class TableView:
    table: Table
    rows: list[tuple[str, str]]
    columns: list[tuple[str, str]]
    cells: dict[Position, Shown]
    threshold: int
    # False where a total across the columns means nothing (persons across periods).
    row_totals: bool = True

    def cell(self, row: str, column: str) -> Shown:
        return self.cells.get((row, column), Shown(Decimal(0)))

    @property
    def total(self) -> Shown:
        return self.cell(TOTAL, TOTAL)

    def lines(self) -> list[tuple[str, SafeString, tuple[str, bool]]]:
        """Each category's label, its cells as table cells, and its total, formatted here
        rather than cell by cell in the template (a member-by-member table has thousands
        of cells; the template engine takes about ten times as long for each)."""
        return [
            (label, self._cells(code), self.text(code, TOTAL))
            for code, label in self.rows
        ]  # fmt: skip

    def footer(self) -> SafeString:
        return self._cells(TOTAL)

    def _cells(self, row: str) -> SafeString:
        cells = (_cell_html(*self.text(row, column)) for column, _name in self.columns)
        return mark_safe("".join(cells))  # noqa: S308 - each cell is escaped by format_html

    def text(self, row: str, column: str) -> tuple[str, bool]:
        shown = self.cell(row, column)
        return format_figure(shown), shown.withheld

    def column_totals(self) -> list[Shown]:
        return [self.cell(TOTAL, column) for column, _name in self.columns]


@lru_cache(maxsize=4096)
def _cell_html(text: str, withheld: bool) -> SafeString:
    # A table repeats the same few texts in thousands of cells: each is built once.
    return format_html('<td class="number{}">{}</td>', " withheld" if withheld else "", text)


def format_number(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    return _format_number(value, get_language())


@lru_cache(maxsize=4096)
def _format_number(value: Decimal | int, language: str | None) -> str:
    # Formatted once per value and language: localised formatting is slow, and a table
    # repeats its small counts thousands of times. Equal values (5 and Decimal("5.0"))
    # share an entry, and format alike.
    from django.contrib.humanize.templatetags.humanize import intcomma

    if isinstance(value, Decimal) and value != value.to_integral_value():
        # Not intcomma of a string: it formats that the English way in every language
        # ("4,500.50" where French reads 4 500,50).
        return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    return str(intcomma(int(value)))


def format_figure(shown: Shown) -> str:
    """ "1,234 ± 28", "1,234", or "withheld"."""
    language = get_language()
    if shown.value is None:
        return _withheld(language)
    text = _format_number(shown.value, language)
    if shown.accuracy:
        text = _plus_minus(language) % {
            "value": text,
            "accuracy": _format_number(shown.accuracy, language),
        }
    return text


@lru_cache(maxsize=32)
def _withheld(language: str | None) -> str:
    # Every withheld cell reads alike. "<10" is false of a cell withheld to protect another,
    # and marking small and protecting cells apart would tell which is which: a line whose
    # withheld cells add up to 11 would give away a 1 and a 10 (decision 31).
    return _("withheld")


@lru_cache(maxsize=32)
def _plus_minus(language: str | None) -> str:
    # Translated once per language rather than for each of a table's thousands of cells.
    return _("%(value)s ± %(accuracy)s")


def country_name(code: str) -> str:
    """The country's name in the active language (the code itself if it is none)."""
    return _country_name(code, get_language())


@lru_cache(maxsize=1024)
def _country_name(code: str, language: str | None) -> str:
    # Looked up once per country and language: a review by country names its columns
    # hundreds of times, and each lookup goes through the translated list of countries.
    if code in countries:
        return str(countries.name(code))
    return _("Country not given") if code == "??" else code


# Part of the keys of remembered reviews and dashboards: raised whenever what is withheld
# changes (2: views by country follow the view by member; 3: so do trends), so none drawn
# before is shown.
DISCLOSURE_VERSION = 3


def _grids(sent: Sent, tables: list[Table]) -> tuple[dict[str, Grid], dict[str, list[str]]]:
    """The grid of each table ``tables`` needs (with those their volume tables follow), and
    each one's rows."""
    column_keys = list(sent.columns)
    grids: dict[str, Grid] = {}
    rows_of: dict[str, list[str]] = {}
    everything = {
        cell: value for figures in sent.columns.values() for cell, value in figures.items()
    }
    needed = with_followed(tables)
    for table_ in TABLES:
        if table_.key not in needed:
            continue
        rows = categories_of(table_, everything)
        rows_of[table_.key] = rows
        values = {
            (row, column): figures[table_.key, row]
            for column, figures in sent.columns.items()
            for row in rows
            if (table_.key, row) in figures
        }
        grids[table_.key] = Grid(rows=rows, columns=column_keys, values=values)
    return grids, rows_of


def _summing_members(
    grids: Mapping[str, Grid], sent: Sent, members: Sent, threshold: int
) -> dict[str, Controlled]:
    """Disclosure control of grids whose columns sum members' figures (by country): a cell
    is shown only where every member's cell it sums is shown in the view by member.

    A coordinator opens both views. Controlled one apart from the other, a country's figure
    less its members shown there gave the one withheld; drawn this way, the view by country
    tells nothing the view by member does not, and that one is controlled as a whole.
    """
    by_member = control(_grids(members, list(map(table, grids)))[0], threshold)
    parts = {
        column: [member for member, ids in members.members.items() if ids <= owners]
        for column, owners in sent.members.items()
    }
    result: dict[str, Controlled] = {}
    for key, grid in grids.items():
        hidden = by_member[key].withheld
        withheld = {(row, TOTAL) for row in [*grid.rows, TOTAL] if (row, TOTAL) in hidden}
        withheld |= {
            (row, column)
            for row in [*grid.rows, TOTAL]
            for column in grid.columns
            if any((row, member) in hidden for member in parts.get(column, ()))
        }
        result[key] = Controlled(grid, withheld, threshold)
    return result


def _following_periods(
    grids: Mapping[str, Grid], by_member: Mapping[str, Totals], threshold: int
) -> dict[str, Controlled]:
    """Disclosure control of grids whose columns are periods (trends): a period's figure is
    shown only where that period's view by member shows the same figure as a total, and a
    total over periods only where every figure it adds is shown.

    Controlled on its own, a trend showed a period's total that the view by member withheld
    to protect a small cell, and the total less the members' cells shown gave that cell back.
    """
    result: dict[str, Controlled] = {}
    for key, grid in grids.items():
        withheld: set[Position] = set()
        for row in [*grid.rows, TOTAL]:
            for column in grid.columns:
                totals = by_member.get(column, {}).get(key)
                # A row the period's view lacks is a zero there, as in ``TableView.cell``.
                shown = totals.get(row, Decimal(0)) if totals is not None else None
                if shown is None or shown != grid.value((row, column)):
                    withheld.add((row, column))
            if any((row, column) in withheld for column in grid.columns):
                withheld.add((row, TOTAL))
        result[key] = Controlled(grid, withheld, threshold)
    return result


def build_views(
    sent: Sent,
    tables: Iterable[Table],
    threshold: int,
    *,
    column_label: Callable[[str], str] | None = None,
    members: Sent | None = None,
    periods: Mapping[str, Totals] | None = None,
) -> list[TableView]:
    """The tables of ``sent`` with disclosure control, one column per column of ``sent``.

    ``members``: the same figures by member, when ``sent`` sums them by country; what the
    view by country shows then follows from what the view by member shows.
    ``periods``: each period's totals as its controlled view by member shows them (by column,
    ``member_totals``), when ``sent`` is by period; what the trend shows then follows.
    """
    chosen = list(tables)
    column_keys = sorted(sent.columns, key=lambda key: (column_label or str)(key))
    grids, rows_of = _grids(sent, chosen)
    for grid in grids.values():
        grid.columns = column_keys
    if periods is not None:
        controlled = _following_periods(grids, periods, threshold)
    elif members is not None:
        controlled = _summing_members(grids, sent, members, threshold)
    else:
        controlled = control(grids, threshold)
    all_scales = [scale for scales in sent.scales.values() for scale in scales]
    views = []
    for table_ in chosen:
        result = controlled[table_.key]
        cells: dict[Position, Shown] = {}
        for position in result.grid.positions():
            if position[0] == TOTAL and not table_.has_column_totals:
                continue
            row, column = position
            accuracy = None
            if table_.private:
                # A total adds the noise of every cell of its table, shown or not.
                summed = domain_size(table_.key, len(rows_of[table_.key])) if row == TOTAL else 1
                scales = sent.scales.get(column, []) if column else all_scales
                accuracy = cell_accuracy(scales, summed)
            cells[position] = Shown(result.shown(position), accuracy)
        views.append(
            TableView(
                table=table_,
                rows=[(code, label_of(table_, code)) for code in rows_of[table_.key]],
                columns=[(key, (column_label or str)(key)) for key in column_keys],
                cells=cells,
                threshold=threshold,
            )
        )
    return views


def headline_persons(view: TableView) -> int:
    """The persons figure of the headline: the total less its 95% accuracy, rounded down to
    two significant figures ("more than 15,000" for 15,234 ± 60). 0 when withheld."""
    total = view.total
    if total.value is None:
        return 0
    lower = int(total.value - (total.accuracy or 0))
    return round_down(lower)


def round_down(number: int) -> int:
    """Down to two significant figures: 15,234 → 15,000; 987 → 980; 64 → 64."""
    if number <= 0:
        return 0
    digits = len(str(number))
    if digits <= 2:
        return number
    unit: int = 10 ** (digits - 2)
    return number // unit * unit


# How long a period's reviewed tables are remembered; they can only go stale when the
# period's rules change, since the key names every member's current revision.
REVIEW_SECONDS = 3600


# How long a period's totals by member are remembered for its trends: longer than its
# views, being small and naming no member (the key names every revision they are drawn from).
TOTALS_SECONDS = 7 * 24 * 3600

# One review: a period, by member or country, the tables shown together, and each asked
# member's id with the number of its current revision (0 until it sends).
_Review = tuple["ReportingPeriod", Literal["member", "country"], list[Table], list[tuple[int, int]]]
# What the cache holds of one table's view: its key, rows, columns and cells' values.
_Kept = tuple[
    str,
    list[tuple[str, str]],
    list[tuple[str, str]],
    dict[Position, tuple[Decimal | None, Decimal | None]],
]
# A view's total of each row (TOTAL for the grand total) by table key; None where withheld.
Totals = dict[str, dict[str, Decimal | None]]


def review_views(
    period: ReportingPeriod,
    by: Literal["member", "country"],
    tables: Iterable[Table],
    statuses: Iterable[MemberStatus],
) -> list[TableView]:
    """The period's sent figures by member or country with disclosure control, remembered
    until a member sends (or corrects) its figures: the cache key names each member's
    current revision, the period's threshold and the language."""
    revisions = [(status.organisation.pk, status.revision) for status in statuses]
    [views] = _remembered([(period, by, list(tables), revisions)])
    return views


def member_totals(periods: Iterable[ReportingPeriod], tables: Iterable[Table]) -> dict[str, Totals]:
    """Each period's totals of ``tables`` as its review by member shows them (of the tables'
    whole sections, drawn alike), by the period's id; taken from the review's cache when
    it holds them, and remembered apart, longer."""
    chosen = list(periods)
    sections = dict.fromkeys(table_.section for table_ in tables)
    revisions = access.revision_numbers(chosen)
    reviews: list[_Review] = [
        (period, "member", section_tables(section), revisions[period.pk])
        for period in chosen
        for section in sections
    ]
    keys = [_review_key(review, "totals") for review in reviews]
    found: dict[str, Totals] = cache.get_many(keys)
    missing = [(key, review) for key, review in zip(keys, reviews, strict=True) if key not in found]
    if missing:
        drawn = {
            key: {view.table.key: _totals_of(view) for view in views}
            for (key, _review), views in zip(
                missing, _remembered([review for _key, review in missing]), strict=True
            )
        }
        cache.set_many(drawn, TOTALS_SECONDS)
        found.update(drawn)
    result: dict[str, Totals] = {}
    for key, review in zip(keys, reviews, strict=True):
        result.setdefault(str(review[0].pk), {}).update(found[key])
    return result


def reviewed_views(
    period: ReportingPeriod, by: Literal["member", "country"], keys: Iterable[str]
) -> list[TableView]:
    """The views of the tables ``keys`` exactly as the period's review by member or country
    shows them (each drawn with the rest of its section, from the review's cache or into
    it), in the order asked."""
    chosen = list(keys)
    revisions = access.revision_numbers([period])[period.pk]
    sections = list(dict.fromkeys(BY_KEY[key].section for key in chosen))
    drawn = _remembered([(period, by, section_tables(section), revisions) for section in sections])
    views = {view.table.key: view for section_views in drawn for view in section_views}
    return [views[key] for key in chosen]


def _totals_of(view: TableView) -> dict[str, Decimal | None]:
    return {
        row: view.cell(row, TOTAL).value for row in [*(code for code, _label in view.rows), TOTAL]
    }


def _review_key(review: _Review, kept: str = "review") -> str:
    period, by, chosen, revisions = review
    # A review's labels are in the reader's language; its totals are numbers, the same in
    # every language, so a coordinator reading in French finds those drawn for English.
    language = get_language() if kept == "review" else ""
    return f"reporting:{kept}:{DISCLOSURE_VERSION}:" + hashlib.sha256(
        repr(
            (period.pk, period.threshold, by, [t.key for t in chosen], language,
             sorted(revisions))
        ).encode()
    ).hexdigest()  # fmt: skip


def _remembered(reviews: list[_Review]) -> list[list[TableView]]:
    # One read of the cache for every review, and one write of those drawn anew: the trends
    # of a dashboard ask for several periods' reviews at once.
    keys = [_review_key(review) for review in reviews]
    found: dict[str, list[_Kept]] = cache.get_many(keys)
    drawn = {
        key: _drawn(*review[:3])
        for key, review in zip(keys, reviews, strict=True)
        if key not in found
    }
    if drawn:
        cache.set_many(drawn, REVIEW_SECONDS)
        found.update(drawn)
    return [
        [
            TableView(
                table=BY_KEY[table_key],
                rows=rows,
                columns=columns,
                cells={position: Shown(*shown) for position, shown in cells.items()},
                threshold=review[0].threshold,
            )
            for table_key, rows, columns, cells in found[key]
        ]
        for key, review in zip(keys, reviews, strict=True)
    ]


def _drawn(
    period: ReportingPeriod, by: Literal["member", "country"], chosen: list[Table]
) -> list[_Kept]:
    sent = access.sent_figures([period], by=by, tables=chosen)
    label: Callable[[str], str] = (
        (lambda column: sent.labels.get(column, column)) if by == "member" else country_name
    )
    members = None if by == "member" else access.sent_figures([period], by="member", tables=chosen)
    return [
        (
            view.table.key,
            view.rows,
            view.columns,
            {position: (shown.value, shown.accuracy) for position, shown in view.cells.items()},
        )
        for view in build_views(sent, chosen, period.threshold, column_label=label, members=members)
    ]
