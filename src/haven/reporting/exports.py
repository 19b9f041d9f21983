"""Files of reporting: a member's draft (the upload shape), a coordinator's dashboard tables,
and a publication, as CSV, XLSX, or an HTCDS-shaped extract of its aggregate tables.

Figures are aggregates after disclosure control (or, for a member's own draft, its own
exact figures), never persons, so these files are plain, unlike casework exports. They are
written with the records app's CSV and XLSX writers, which neutralise formula-like text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from haven.records.export import Cell as ExportCell
from haven.records.export import csv_bytes, xlsx_bytes
from haven.reporting.disclosure import TOTAL
from haven.reporting.models import Publication, PublishedFigure
from haven.reporting.report import TableView
from haven.reporting.schema import BY_KEY, Figures, categories_of, label_of

DRAFT_HEADER = ("table", "category", "value", "label")
VIEW_HEADER = (
    "table",
    "category",
    "label",
    "column",
    "column_label",
    "value",
    "withheld",
    "accuracy_95",
)
HTCDS_HEADER = (
    "period_start",
    "period_end",
    "org_ShippingCountry",
    "field",
    "value_name",
    "count",
    "suppressed",
    "accuracy_95",
)
# Haven's own fields, where the HTCDS has none, carry this prefix.
HAVEN_PREFIX = "haven_"


def _number(value: Decimal | None) -> ExportCell:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value


def render(
    kind: str, title: str, header: Sequence[str], rows: Sequence[Sequence[ExportCell]]
) -> bytes:
    return xlsx_bytes(title[:31], header, rows) if kind == "xlsx" else csv_bytes(header, rows)


def draft_rows(figures: Figures) -> list[list[ExportCell]]:
    """Every cell of a submission, in the shape a member uploads."""
    rows: list[list[ExportCell]] = []
    for key, table_ in BY_KEY.items():
        for category in categories_of(table_, figures):
            value = figures.get((key, category), Decimal(0))
            rows.append([key, category, _number(value), label_of(table_, category)])
    return rows


def view_rows(views: Iterable[TableView]) -> list[list[ExportCell]]:
    """Every cell of the tables; a withheld one has an empty value and "yes" under withheld,
    as the HTCDS extract has (a number, or "<10", would say more than the pages do)."""
    rows: list[list[ExportCell]] = []
    for view in views:
        columns = [*view.columns, (TOTAL, "total")]
        for code, label in [*view.rows, (TOTAL, "total")]:
            for column, column_label in columns:
                if (code, column) not in view.cells:
                    continue
                shown = view.cell(code, column)
                rows.append(
                    [view.table.key, code, label, column, column_label, _number(shown.value),
                     "yes" if shown.withheld else "no", _number(shown.accuracy)]
                )  # fmt: skip
    return rows


def htcds_rows(
    publication: Publication, figures: Iterable[PublishedFigure]
) -> list[list[ExportCell]]:
    """The publication's category cells, one row per (country, field, value name).

    Fields are HTCDS field names (``prs_Gender``, ``vic_TypeOfExploitation``…) where the
    standard has one, else ``haven_<table>``; value names are HTCDS picklist values where
    the standard has them. The network's own totals have an empty country.
    """
    period = publication.period
    rows: list[list[ExportCell]] = []
    for figure in figures:
        table_ = BY_KEY.get(figure.table)
        if table_ is None or not figure.category:
            continue
        field = table_.htcds_field or HAVEN_PREFIX + table_.key.replace(".", "_")
        rows.append(
            [
                period.starts_on.isoformat(),
                period.ends_on.isoformat(),
                figure.column,
                field,
                figure.category,
                _number(figure.value),
                "yes" if figure.value is None else "no",
                _number(figure.accuracy),
            ]
        )
    return rows
