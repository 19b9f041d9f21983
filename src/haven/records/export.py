"""Exports of persons and service deliveries as CSV or XLSX inside an AES-256 encrypted ZIP.

The table is built in memory, capped at ``ROW_CAP`` rows (a streaming writer can come
later; the cap keeps one export from exhausting a worker). Text that a spreadsheet would
run as a formula is prefixed with an apostrophe. See docs/decisions/0005.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Generator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import pyzipper  # type: ignore[import-untyped]
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from haven.casework.models import Consent, ConsentPurpose, Person
from haven.organisations.models import Organisation
from haven.services.catalogue import DEFAULT_NAMES
from haven.services.models import ServiceDelivery

ROW_CAP = 200_000
PASSPHRASE_MIN_LENGTH = 12
PASSPHRASE_MAX_LENGTH = 200
# No 0/O, 1/l/I: the passphrase is read off a screen and typed again.
_PASSPHRASE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_HARMLESS = re.compile(r"[+-][0-9 ().]*")

Kind = Literal["persons", "services"]
Format = Literal["csv", "xlsx"]
Cell = str | int | Decimal | None

PERSON_COLUMNS: tuple[str, ...] = (
    "code",
    "household_code",
    "gender",
    "age_band",
    "citizenship",
    "languages",
    "migration_status",
    "trafficking_status",
    "exploitation_types",
    "sector",
    "exploitation_country",
    "means_of_control",
    "in_sex_work",
    "vulnerabilities",
    "casework_consent_on",
    "casework_consent_method",
    "created_at",
    "last_activity_at",
)
IDENTITY_COLUMNS: tuple[str, ...] = (
    "given_name",
    "family_name",
    "alias",
    "birth_date",
    "estimated_age",
    "phone",
    "identity_document",
    "address",
    "notes",
)
SERVICE_COLUMNS: tuple[str, ...] = (
    "date",
    "service_code",
    "service_label",
    "person_code",
    "household_code",
    "quantity",
    "unit",
    "amount",
    "currency",
    "people_reached",
    "households_reached",
    "channel",
    "language",
    "city",
    "staff",
)
LIST_SEPARATOR = ";"


class TooManyRows(Exception):
    """The export would hold more than ROW_CAP rows; narrow the filters."""


@dataclass(frozen=True)
class ExportRequest:
    kind: Kind
    format: Format
    include_identity: bool = False
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    rows: int


def generate_passphrase() -> str:
    """Five groups of five characters: about 125 bits, easy to read aloud and type."""
    groups = ("".join(secrets.choice(_PASSPHRASE_ALPHABET) for _ in range(5)) for _ in range(5))
    return "-".join(groups)


def neutralise(value: str) -> str:
    """Text a spreadsheet would evaluate as a formula, made plain text with an apostrophe.

    Signed numbers and phone numbers ("+33 6 12", "-5") call no function, so stay as they are.
    """
    if value.startswith(_FORMULA_STARTS) and not _HARMLESS.fullmatch(value):
        return "'" + value
    return value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _persons(organisation: Organisation) -> QuerySet[Person]:
    return Person.objects.filter(organisation=organisation).select_related("household")


def person_rows(
    organisation: Organisation, *, include_identity: bool
) -> tuple[list[str], Generator[list[Cell]]]:
    """Header and rows of the persons table; identifying columns only when asked."""
    header = list(PERSON_COLUMNS) + (list(IDENTITY_COLUMNS) if include_identity else [])
    consents: dict[object, Consent] = {}
    for consent in Consent.objects.filter(
        organisation=organisation, purpose=ConsentPurpose.CASEWORK, withdrawn_on__isnull=True
    ).order_by("given_on"):
        consents[consent.person_id] = consent

    def rows() -> Generator[list[Cell]]:
        for person in _persons(organisation).order_by("code").iterator(chunk_size=2000):
            consent = consents.get(person.pk)
            row: list[Cell] = [
                person.code,
                person.household.code if person.household else "",
                person.gender,
                person.age_band,
                _text(person.citizenship),
                _text(person.languages),
                person.migration_status,
                person.trafficking_status,
                _text(person.exploitation_types),
                person.sector,
                str(person.exploitation_country or ""),
                _text(person.means_of_control),
                _text(person.in_sex_work),
                _text(person.vulnerabilities),
                _text(consent.given_on) if consent else "",
                consent.method if consent else "",
                _text(person.created_at),
                _text(person.last_activity_at),
            ]
            if include_identity:
                row += [str(getattr(person, name) or "") for name in IDENTITY_COLUMNS]
            yield row

    return header, rows()


def _deliveries(
    organisation: Organisation, date_from: date | None, date_to: date | None
) -> QuerySet[ServiceDelivery]:
    deliveries = ServiceDelivery.objects.filter(organisation=organisation)
    if date_from is not None:
        deliveries = deliveries.filter(delivered_on__gte=date_from)
    if date_to is not None:
        deliveries = deliveries.filter(delivered_on__lte=date_to)
    return deliveries.select_related("service_type", "person", "household", "staff").order_by(
        "delivered_on", "created_at"
    )


def service_label(code: str, name: str, is_default: bool) -> str:
    """A service's name as the interface shows it (defaults are translated from code)."""
    return str(DEFAULT_NAMES.get(code, name)) if is_default else name


def service_rows(
    organisation: Organisation, date_from: date | None = None, date_to: date | None = None
) -> tuple[list[str], Generator[list[Cell]]]:
    """Header and rows of the service deliveries table, by date."""

    def rows() -> Generator[list[Cell]]:
        for delivery in _deliveries(organisation, date_from, date_to).iterator(chunk_size=2000):
            kind = delivery.service_type
            yield [
                delivery.delivered_on.isoformat(),
                kind.code,
                service_label(kind.code, kind.name, kind.organisation_id is None),
                delivery.person.code if delivery.person else "",
                delivery.household.code if delivery.household else "",
                delivery.quantity,
                kind.unit,
                delivery.amount,
                delivery.currency,
                delivery.people_reached,
                delivery.households_reached,
                delivery.channel,
                delivery.language,
                delivery.city,
                delivery.staff.username if delivery.staff else "",
            ]

    return list(SERVICE_COLUMNS), rows()


def _capped(rows: Generator[list[Cell]]) -> list[list[Cell]]:
    kept: list[list[Cell]] = []
    # Closed at once when the cap stops the reading: on PostgreSQL the rows come through a
    # server-side cursor, and one left to the garbage collector is closed later, inside
    # whatever transaction runs then, which its failure aborts.
    with closing(rows):
        for row in rows:
            if len(kept) == ROW_CAP:
                raise TooManyRows
            kept.append(row)
    return kept


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else neutralise(str(v)) for v in row])
    # A byte-order mark makes spreadsheet programs read the file as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_text(value: str) -> str:
    # XLSX cannot hold most control characters, and one typed into a public form (invisible
    # on every page) would otherwise make the whole file fail.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))


def xlsx_bytes(title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append([_xlsx_text(v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def encrypted_zip(filename: str, content: bytes, passphrase: str) -> bytes:
    """One file inside a ZIP encrypted with AES-256 (WinZip AES), openable by 7-Zip."""
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(passphrase.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(filename, content)
    return buffer.getvalue()


def build_export(organisation: Organisation, wanted: ExportRequest, passphrase: str) -> ExportFile:
    """The encrypted archive for an export request; raises TooManyRows past the cap."""
    if wanted.kind == "persons":
        header, rows = person_rows(organisation, include_identity=wanted.include_identity)
    else:
        header, rows = service_rows(organisation, wanted.date_from, wanted.date_to)
    table = _capped(rows)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    inner = f"{organisation.slug}-{wanted.kind}-{stamp}.{wanted.format}"
    is_csv = wanted.format == "csv"
    content = csv_bytes(header, table) if is_csv else xlsx_bytes(wanted.kind, header, table)
    archive = encrypted_zip(inner, content, passphrase)
    return ExportFile(filename=f"{inner}.zip", content=archive, rows=len(table))
