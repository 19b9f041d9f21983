"""Figures typed in or uploaded by a member, checked cell by cell before anything is kept.

A file has the columns ``table``, ``category`` and ``value`` (the shape of the CSV and
XLSX a submission exports to; its ``label`` column is read and ignored). It is read with
the records app's reader, so the limits and messages are those of every import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from haven.records.imports import ImportRefused, read_table
from haven.reporting.schema import (
    BY_KEY,
    Cell,
    CellError,
    Figures,
    clean_category,
    clean_value,
    empty_figures,
    label_of,
)

COLUMNS = ("table", "category", "value")
IGNORED = ("label",)
MAX_ROWS = 2_000


@dataclass(frozen=True)
class EntryError:
    """What is wrong, where: a row of a file (0 for a form), a cell, and why.

    ``cell`` is the cell's key as a file or the API spells it (``table|category``);
    ``place`` names it as the entry form shows it, for people.
    """

    row: int
    cell: str
    message: str
    place: str = ""


def _place(table_key: str, category: str = "") -> str:
    """The table's title and the category's name in the current language, as far as known."""
    table_ = BY_KEY.get(table_key.strip())
    if table_ is None:
        return ""
    if not category.strip():
        return str(table_.title)
    return f"{table_.title} — {label_of(table_, category.strip())}"


@dataclass
class Entry:
    figures: Figures = field(default_factory=dict)
    errors: list[EntryError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def _add(entry: Entry, row: int, table_key: str, category: str, value: object) -> None:
    label = f"{table_key}|{category}"[:120]
    table_ = BY_KEY.get(table_key.strip())
    if table_ is None:
        entry.errors.append(EntryError(row, label, _("There is no table of this name.")))
        return
    place = _place(table_key, category)
    try:
        code = clean_category(table_, category)
        number = clean_value(table_, value)
    except CellError as error:
        entry.errors.append(EntryError(row, label, error.message, place))
        return
    cell: Cell = (table_.key, code)
    # Checked on the cell as stored: "es" and "ES" are one cell, and the later would
    # otherwise overwrite the earlier without a word.
    if cell in entry.figures:
        entry.errors.append(EntryError(row, label, _("This cell appears twice."), place))
        return
    entry.figures[cell] = number


def from_cells(cells: Iterable[tuple[str, str, object]]) -> Entry:
    """Check (table, category, value) triples, as a form or the API sends them."""
    entry = Entry(figures={})
    for table_key, category, value in cells:
        _add(entry, 0, table_key, category, value)
    return _complete(entry)


def _open_row(data: Mapping[str, str], stem: str) -> tuple[str, str]:
    """An open row's category, typed in (``:category``) or, for money, a service and a
    currency chosen (``:service``, ``:currency``); and why it lacks one, "" if it is empty."""
    given = bool(data.get(f"{stem}:value", "").strip())
    if f"{stem}:category" in data:
        category = data[f"{stem}:category"].strip()
        if category or not given:
            return category, ""
        return "", _("Give the category of this value, or clear it.")
    service = data.get(f"{stem}:service", "").strip()
    currency = data.get(f"{stem}:currency", "").strip()
    if service and currency:
        return f"{service}:{currency}", ""
    if service:
        return "", _("Choose the currency of this amount.")
    if currency:
        return "", _("Choose the service of this amount.")
    if given:
        return "", _("Choose the service and the currency of this amount, or clear it.")
    return "", ""


def from_form(data: Mapping[str, str]) -> Entry:
    """Check the cells of the entry form: fields ``cell:<table>|<category>``, and open rows
    ``open:<table>:<n>:value`` with ``open:<table>:<n>:category``, or for money
    ``open:<table>:<n>:service`` and ``open:<table>:<n>:currency``."""
    cells: list[tuple[str, str, object]] = []
    for name, value in data.items():
        if name.startswith("cell:"):
            table_key, _bar, category = name[5:].partition("|")
            cells.append((table_key, category, value))
    orphans: list[EntryError] = []
    for name, value in data.items():
        if not (name.startswith("open:") and name.endswith(":value")):
            continue
        stem = name[: -len(":value")]
        category, problem = _open_row(data, stem)
        table_key = stem[5:].rpartition(":")[0]
        if category:
            cells.append((table_key, category, value))
        elif problem:
            orphans.append(EntryError(0, table_key[:60], problem, _place(table_key)))
    checked = from_cells(cells)
    checked.errors.extend(orphans)
    return checked


def _complete(entry: Entry) -> Entry:
    if entry.valid:
        figures = empty_figures()
        figures.update(entry.figures)
        entry.figures = figures
    return entry


def from_file(content: bytes) -> Entry:
    """Check every row of an uploaded CSV or XLSX file; ImportRefused if it is unreadable."""
    _format, rows = read_table(content)
    header_row = next(rows, None)
    if header_row is None:
        raise ImportRefused(_("The file is empty."))
    header = [cell.strip().lower() for cell in header_row]
    while header and not header[-1]:
        header.pop()
    entry = Entry(figures={})
    missing = [column for column in COLUMNS if column not in header]
    unknown = [column for column in header if column not in (*COLUMNS, *IGNORED)]
    for column in missing:
        entry.errors.append(EntryError(1, column, _("This column is missing.")))
    for column in unknown:
        entry.errors.append(EntryError(1, column[:60] or "?", _("Unknown column.")))
    # Only the first of a repeated column would be read: which one the file meant is a guess.
    for column in dict.fromkeys(c for c in header if c in (*COLUMNS, *IGNORED)):
        if header.count(column) > 1:
            entry.errors.append(EntryError(1, column, _("A column name appears twice.")))
    if not entry.valid:
        return entry
    where = {column: header.index(column) for column in COLUMNS}
    count = 0
    for number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise ImportRefused(
                _("The file has more than %(rows)d rows; a report has far fewer cells.")
                % {"rows": MAX_ROWS}
            )

        def cell_at(column: str, cells: list[str] = cells) -> str:
            index = where[column]
            return cells[index].strip()[:200] if index < len(cells) else ""

        _add(entry, number, cell_at("table"), cell_at("category"), cell_at("value"))
    if not count:
        entry.errors.append(EntryError(2, "", _("The file has no rows under its header.")))
    return _complete(entry)


def nonzero(figures: Figures) -> Figures:
    return {cell: value for cell, value in figures.items() if value != Decimal(0)}
