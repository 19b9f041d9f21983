"""Reading and checking an import file: CSV or XLSX, in the column shape of the exports.

``parse_import`` never writes; it returns every row cleaned, or the errors with their row
number (as a spreadsheet numbers it, the header being row 1), column and message. The
file waits between preview and confirmation in the cache, encrypted with the
organisation's data key and bound to the user and a random ticket (``stash``), so no
plaintext copy of it is ever stored. See docs/decisions/0005.
"""

from __future__ import annotations

import base64
import codecs
import csv
import hashlib
import io
import json
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import pycountry
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries
from openpyxl import load_workbook
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from haven.accounts.models import RoleAssignment, User
from haven.accounts.permissions import roles_with
from haven.casework.access import consent_in_force
from haven.casework.actions import clean_estimated_age
from haven.casework.htcds import (
    Exploitation,
    Gender,
    MeansOfControl,
    Sector,
    TraffickingStatus,
    Vulnerability,
)
from haven.casework.models import (
    AgeBand,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Household,
    MigrationStatus,
    Person,
)
from haven.dates import birth_date_problem, too_early
from haven.organisations.languages import is_language_code
from haven.organisations.models import Organisation
from haven.privacy import crypto
from haven.records.export import (
    IDENTITY_COLUMNS,
    LIST_SEPARATOR,
    PERSON_COLUMNS,
    SERVICE_COLUMNS,
    Kind,
)
from haven.services.access import service_label
from haven.services.actions import reach_problem
from haven.services.models import Channel, HiddenServiceType, ServiceType

MAX_BYTES = 5 * 1024 * 1024
LARGEST_COUNT = 10_000_000
MAX_ROWS = 20_000
# Empty rows (skipped) a file may hold besides its rows, so the reading stays bounded.
MAX_EMPTY_ROWS = 1_000
MAX_CELL = 10_000
PREVIEW_ROWS = 50
# Allowed values an error message lists before "…" (the import page lists them all).
SHOWN_VALUES = 8
# What a formula cell without a calculated value reads as; XML text can hold no NUL.
UNCALCULATED = "\x00uncalculated"
# Errors beyond this many are counted, not listed: the file needs fixing either way.
MAX_ERRORS = 500
STASH_SECONDS = 30 * 60

# Columns in the export that an import reads but ignores (derived from other columns).
IGNORED_COLUMNS = {"service_label", "unit", "created_at"}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "services": ("date", "service_code"),
    # The code may be empty in a row (the next free code is given); the consent may not,
    # as the intake form and create_person record nobody without it.
    "persons": ("code", "casework_consent_on", "casework_consent_method"),
}
# Importing records what a user could otherwise record by hand, so it needs the same
# permission: the intake page's for a person, the service form's for a service.
KINDS: tuple[Kind, ...] = ("persons", "services")
IMPORT_PERMISSIONS: dict[str, str] = {
    "persons": "casework.edit",
    "services": "casework.record_service",
}
# The permission a row's ``staff`` must hold: the one of recording a service.
STAFF_PERMISSION = "casework.record_service"
IDENTITY_MAX_LENGTH = {
    "given_name": 200,
    "family_name": 200,
    "alias": 200,
    "birth_date": 10,
    "estimated_age": 3,
    "phone": 40,
    "identity_document": 200,
    "address": 500,
    "notes": 10_000,
}
_FORMULA_STARTS = ("=", "+", "-", "@")

Format = Literal["csv", "xlsx"]


class ImportRefused(ValidationError):
    """The file as a whole cannot be read: too big, not CSV or XLSX, bad encoding, headers."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ParsedImport:
    kind: Kind
    format: Format
    checksum: str
    columns: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def valid(self) -> bool:
        return self.error_count == 0

    @property
    def preview(self) -> list[dict[str, str]]:
        return self.rows[:PREVIEW_ROWS]

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, message))


class CellError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Reading the table


def checksum_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _CachedValues(WorkSheetParser):
    """openpyxl's sheet parser reading cached values, marking formulas that have none.

    With ``data_only`` openpyxl gives an uncalculated formula (a file written by a program,
    never opened in a spreadsheet) as an empty cell; the row would then be imported
    without it, silently.
    """

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell = super().parse_cell(element)
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cell["value"] = UNCALCULATED
        return cell


def _sheet_rows(sheet: Any, width: int) -> Iterator[list[str]]:
    # openpyxl's read-only rows, from the same parser it uses (pinned in constraints.txt;
    # tests/records/test_import_files.py reads formulas, dates and gaps through it).
    book = sheet.parent
    with sheet._get_source() as source:
        parser = _CachedValues(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        expected = 1
        for index, cells in parser.parse():
            while expected < index:  # rows the file leaves out are empty ones
                expected += 1
                yield []
            if index < expected:
                continue
            expected += 1
            row = [""] * width
            for cell in cells:
                if 1 <= cell["column"] <= width:
                    value = cell["value"]
                    row[cell["column"] - 1] = value if value is UNCALCULATED else _cell_text(value)
            yield row


def _unreadable_xlsx() -> ImportRefused:
    return ImportRefused(
        _(
            "This file cannot be read as XLSX. Open it in your spreadsheet, save it again"
            " (as XLSX, or as CSV UTF-8) and upload that."
        )
    )


def _read_xlsx(content: bytes, width: int) -> Iterator[list[str]]:
    # A damaged workbook makes openpyxl's zip and XML parsers raise almost anything
    # (BadZipFile, ParseError, KeyError, TypeError, zlib.error…), while loading and again
    # while the rows are read: each one means the same thing to the user.
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise _unreadable_xlsx() from error
    try:
        try:
            sheet = workbook.worksheets[0] if workbook.worksheets else None
        except Exception as error:
            raise _unreadable_xlsx() from error
        if sheet is None:
            raise ImportRefused(_("The workbook has no sheet."))
        # Only the rows the sheet holds: its declared size may run to the last row.
        rows = _sheet_rows(sheet, width)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as error:
                raise _unreadable_xlsx() from error
            yield row
    finally:
        workbook.close()


def _read_csv(content: bytes) -> Iterator[list[str]]:
    # Excel's "Unicode Text" and some exports write UTF-16, which starts with a mark.
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportRefused(
            _(
                "This file is saved as UTF-16 text. Save it as “CSV UTF-8” (comma delimited)"
                " in your spreadsheet and upload that."
            )
        )
    if b"\x00" in content:
        raise ImportRefused(_("This is not a CSV file (it contains binary data)."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            _("The file is not encoded in UTF-8. Save it as “CSV UTF-8” and try again.")
        ) from error
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    except csv.Error as error:
        raise ImportRefused(
            _("The CSV file is malformed: %(problem)s") % {"problem": str(error)[:200]}
        ) from error


def read_table(content: bytes) -> tuple[Format, Iterator[list[str]]]:
    """The format and the rows (header first) of an uploaded file."""
    if len(content) > MAX_BYTES:
        raise ImportRefused(
            _("The file is larger than %(size)d MB; split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    if not content.strip():
        raise ImportRefused(_("The file is empty."))
    width = len(PERSON_COLUMNS) + len(IDENTITY_COLUMNS) + 10
    if content.startswith(b"PK\x03\x04"):
        return "xlsx", _read_xlsx(content, width)
    return "csv", _read_csv(content)


# Cleaning cells


def _plain(value: str) -> str:
    # The export writes formula-like text with an apostrophe in front; read it back as text.
    if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value


def allowed_values(values: Sequence[str], shown: int = SHOWN_VALUES) -> str:
    """The first ``shown`` allowed values, and "…" if there are more."""
    listed = ", ".join(values[:shown])
    return listed + ", …" if len(values) > shown else listed


def _choice(choices: type[Any]) -> Callable[[str], str]:
    allowed = list(choices.values)

    def clean(value: str) -> str:
        if value and value not in allowed:
            raise CellError(
                _("“%(value)s” is not one of the allowed values: %(allowed)s.")
                % {"value": value[:60], "allowed": allowed_values(allowed)}
            )
        return value

    return clean


def _choices(choices: type[Any]) -> Callable[[str], list[str]]:
    allowed = list(choices.values)

    def clean(value: str) -> list[str]:
        items = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
        unknown = [item[:60] for item in items if item not in allowed]
        if unknown:
            raise CellError(
                _("Unknown values: %(values)s. The allowed values are %(allowed)s.")
                % {"values": ", ".join(unknown[:5]), "allowed": allowed_values(allowed)}
            )
        return items

    return clean


def _date(value: str, *, allow_future: bool = False) -> date:
    # A spreadsheet may give a date cell with its time ("2026-12-01 00:00:00"), which
    # counts as its day; anything else after the date is a typing slip, not to be dropped.
    try:
        parsed = datetime.fromisoformat(value).date()
    except ValueError:
        raise CellError(_("Write the date as YYYY-MM-DD.")) from None
    if not allow_future and parsed > timezone.localdate():
        raise CellError(_("This date is in the future."))
    return parsed


def _consent_date(value: str) -> date | None:
    """The day a consent was given, by the bounds of casework.actions.record_consent."""
    if not value:
        return None
    parsed = _date(value)
    problem = too_early(parsed)
    if problem:
        raise CellError(problem)
    return parsed


def _moment(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CellError(_("Write the date and time as YYYY-MM-DD HH:MM.")) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > timezone.now() + timedelta(days=1):
        raise CellError(_("This date is in the future."))
    return parsed


def _decimal(value: str, *, positive: bool) -> Decimal:
    text = value.replace(" ", "")
    # Decimal reads "1_000" as a thousand, as Python source does; a cell does not.
    if "_" in text:
        raise CellError(_("Write a number, such as 12 or 12.50."))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("Write a number, such as 12 or 12.50.")) from None
    if not number.is_finite():
        raise CellError(_("Write a number, such as 12 or 12.50."))
    if positive and number <= 0:
        raise CellError(_("Must be more than zero."))
    if number < 0:
        raise CellError(_("Cannot be negative."))
    if number.as_tuple().exponent < -2 or abs(number) >= Decimal(10) ** 10:  # type: ignore[operator]
        raise CellError(_("At most ten digits before the point and two after it."))
    return number


def _count(value: str) -> int | None:
    if not value:
        return None
    # Not isdigit() alone: it is true of "²", which int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise CellError(_("Write a whole number that is not negative."))
    return int(value)


def _currency(value: str) -> str:
    code = value.upper()
    if code and (len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None):
        raise CellError(_("“%(value)s” is not an ISO 4217 currency code.") % {"value": value})
    return code


def _language(value: str) -> str:
    # Not a set of the 7,000 codes built for each cell: a file of languages took seconds.
    if value and not is_language_code(value):
        raise CellError(_("“%(value)s” is not an ISO 639 language code.") % {"value": value})
    return value


def _languages(value: str) -> list[str]:
    items = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
    for item in items:
        _language(item)
    return items


def _country(value: str) -> str:
    code = value.upper()
    if code and code not in countries:
        raise CellError(_("“%(value)s” is not an ISO 3166 country code.") % {"value": value})
    return code


def _countries(value: str) -> list[str]:
    return [_country(item.strip()) for item in value.split(LIST_SEPARATOR) if item.strip()]


def _yes_no(value: str) -> bool | None:
    lowered = value.lower()
    if lowered in ("", "unknown"):
        return None
    if lowered in ("yes", "true", "1"):
        return True
    if lowered in ("no", "false", "0"):
        return False
    raise CellError(_("Write yes, no, or leave it empty."))


def _text(limit: int) -> Callable[[str], str]:
    def clean(value: str) -> str:
        if len(value) > limit:
            raise CellError(_("At most %(limit)d characters.") % {"limit": limit})
        return value

    return clean


def _estimated_age(value: str) -> str:
    try:
        return clean_estimated_age(value)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def _birth_date(value: str) -> str:
    if not value:
        return ""
    parsed = _date(value)
    problem = birth_date_problem(parsed, timezone.localdate())
    if problem:
        raise CellError(problem)
    return parsed.isoformat()


# The catalogue, codes and staff the rows may name


@dataclass
class _Context:
    organisation: Organisation
    actor: User
    service_types: dict[str, ServiceType]
    person_codes: dict[str, Person]
    household_codes: dict[str, Household]
    staff: dict[str, User]
    staff_recording: set[str]
    consented: set[uuid.UUID]
    households_without_consent: set[uuid.UUID]


def _service_types(organisation: Organisation) -> dict[str, ServiceType]:
    hidden = HiddenServiceType.objects.filter(organisation=organisation).values_list(
        "service_type_id", flat=True
    )
    service_types: dict[str, ServiceType] = {}
    for service_type in ServiceType.objects.filter(
        Q(organisation__isnull=True) | Q(organisation=organisation)
    ).exclude(pk__in=list(hidden)):
        # An organisation's own service wins over a default with the same code.
        if service_type.code not in service_types or service_type.organisation_id is not None:
            service_types[service_type.code] = service_type
    return service_types


def _context(organisation: Organisation, actor: User) -> _Context:
    service_types = _service_types(organisation)
    today = timezone.localdate()
    consented = set(
        Consent.objects.filter(
            consent_in_force(today), organisation=organisation, purpose=ConsentPurpose.CASEWORK
        ).values_list("person_id", flat=True)
    )
    staff: dict[str, User] = {}
    may_record: set[str] = set()
    recording_roles = set(roles_with(STAFF_PERMISSION))
    for assignment in RoleAssignment.objects.filter(organisation=organisation).select_related(
        "user"
    ):
        staff[assignment.user.username] = assignment.user
        if assignment.role in recording_roles:
            may_record.add(assignment.user.username)
    persons = list(
        Person.objects.filter(organisation=organisation).only(
            "id", "code", "organisation_id", "household_id", "last_activity_at"
        )
    )
    return _Context(
        organisation=organisation,
        actor=actor,
        service_types=service_types,
        person_codes={person.code: person for person in persons},
        household_codes={h.code: h for h in Household.objects.filter(organisation=organisation)},
        staff=staff,
        staff_recording=may_record,
        consented=consented,
        households_without_consent={
            person.household_id
            for person in persons
            if person.household_id is not None and person.pk not in consented
        },
    )


# Rows


def _service_date(value: str) -> date:
    # The same bounds as services.actions.record_delivery: from 2000, at most a day ahead.
    parsed = _date(value, allow_future=True)
    if parsed > timezone.localdate() + timedelta(days=1):
        raise CellError(_("A service cannot be recorded more than a day ahead."))
    problem = too_early(parsed)
    if problem:
        raise CellError(problem)
    return parsed


def _reached(value: str) -> int | None:
    number = _count(value)
    if number is not None and not 1 <= number <= LARGEST_COUNT:
        raise CellError(_("Give a whole number from 1 to 10,000,000."))
    return number


def _service_row(row: dict[str, str], context: _Context) -> dict[str, Any]:
    cleaners: dict[str, Callable[[str], Any]] = {
        "date": _service_date,
        "quantity": lambda v: _decimal(v or "1", positive=True),
        "amount": lambda v: _decimal(v, positive=False) if v else None,
        "currency": _currency,
        "people_reached": _reached,
        "households_reached": _reached,
        "channel": lambda v: _choice(Channel)(v) or Channel.IN_PERSON,
        "language": _language,
        "city": _text(100),
    }
    values, errors = _clean(row, cleaners)
    code = row.get("service_code", "")
    service_type = context.service_types.get(code)
    if service_type is None:
        errors["service_code"] = _(
            "No service with this code in your catalogue. Its codes are %(allowed)s."
        ) % {"allowed": allowed_values(sorted(context.service_types))}
    else:
        values["service_type"] = service_type
    person_code = row.get("person_code", "")
    values["person"] = None
    if person_code:
        person = context.person_codes.get(person_code)
        if person is None:
            errors["person_code"] = _("No person with this code.")
        elif person.pk not in context.consented:
            errors["person_code"] = _("This person has no casework consent in force.")
        else:
            values["person"] = person
    household_code = row.get("household_code", "")
    values["household"] = None
    if household_code:
        household = context.household_codes.get(household_code)
        if household is None:
            errors["household_code"] = _("No household with this code.")
        elif household.pk in context.households_without_consent:
            errors["household_code"] = _(
                "A member of this household has no casework consent in force."
            )
        elif person_code:
            errors["household_code"] = _("Give a person or a household, not both.")
        values["household"] = household
    username = row.get("staff", "")
    values["staff"] = context.actor
    if username:
        if username not in context.staff:
            errors["staff"] = _("No staff member of your organisation has this username.")
        elif username not in context.staff_recording:
            errors["staff"] = _("This staff member's roles do not allow recording services.")
        else:
            values["staff"] = context.staff[username]
    amount, currency = values.get("amount"), values.get("currency")
    if amount is not None:
        if service_type is not None and not service_type.counts_money:
            errors.setdefault("amount", _("This service does not record an amount of money."))
        elif not currency:
            errors.setdefault("currency", _("Give the currency of the amount."))
    elif currency:
        errors.setdefault("amount", _("Give the amount in this currency, or no currency."))
    if person_code or household_code:
        for name in ("people_reached", "households_reached"):
            if values.get(name) is not None:
                errors.setdefault(name, _("Counts are for services given to no one in particular."))
    nobody = reach_problem(
        person=person_code or None,
        household=household_code or None,
        people_reached=values.get("people_reached"),
        households_reached=values.get("households_reached"),
    )
    if nobody and not errors.keys() & {"people_reached", "households_reached"}:
        errors.setdefault("person_code", nobody)
    if errors:
        raise _RowInvalid(errors)
    return values


def _person_cleaners() -> dict[str, Callable[[str], Any]]:
    return {
        "code": _text(20),
        "household_code": _text(20),
        "gender": _choice(Gender),
        "age_band": _choice(AgeBand),
        "citizenship": _countries,
        "languages": _languages,
        "migration_status": _choice(MigrationStatus),
        "trafficking_status": _choice(TraffickingStatus),
        "exploitation_types": _choices(Exploitation),
        "sector": _choice(Sector),
        "exploitation_country": _country,
        "means_of_control": _choices(MeansOfControl),
        "in_sex_work": _yes_no,
        "vulnerabilities": _choices(Vulnerability),
        "casework_consent_on": _consent_date,
        "casework_consent_method": _choice(ConsentMethod),
        "last_activity_at": lambda v: _moment(v) if v else None,
        **{name: _text(limit) for name, limit in IDENTITY_MAX_LENGTH.items()},
        "birth_date": _birth_date,
        "estimated_age": _estimated_age,
    }


def _person_row(row: dict[str, str], context: _Context, seen: set[str]) -> dict[str, Any]:
    values, errors = _clean(row, _person_cleaners())
    code = values.get("code", "")
    if "code" not in errors:
        if not code:
            pass  # allocated from the organisation's sequence when the rows are written
        elif code in context.person_codes:
            errors["code"] = _("A person with this code already exists.")
        elif code in seen:
            errors["code"] = _("This code appears twice in the file.")
        seen.add(code)
    # Every row is a new person, recorded only with their casework consent (create_person).
    if "casework_consent_on" not in errors and not values.get("casework_consent_on"):
        errors["casework_consent_on"] = _(
            "Give the date the casework consent was given: nobody is recorded without it."
        )
    if "casework_consent_method" not in errors and not values.get("casework_consent_method"):
        errors["casework_consent_method"] = _("Say how the consent was obtained.")
    if errors:
        raise _RowInvalid(errors)
    return values


class _RowInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _clean(
    row: dict[str, str], cleaners: dict[str, Callable[[str], Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for column, clean in cleaners.items():
        if column not in row:
            continue
        try:
            values[column] = clean(row[column])
        except CellError as error:
            errors[column] = error.message
    return values, errors


def _check_header(
    kind: Kind, header: list[str], may_import_identity: bool, parsed: ParsedImport
) -> None:
    known = set(SERVICE_COLUMNS if kind == "services" else PERSON_COLUMNS)
    if kind == "persons":
        known |= set(IDENTITY_COLUMNS)
    problems: list[str] = []
    for column in REQUIRED_COLUMNS[kind]:
        if column not in header:
            parsed.add_error(1, column, _("This column is missing."))
    for column in header:
        if column not in known:
            problems.append(column or "?")
            parsed.add_error(1, column[:60] or "?", _("Unknown column."))
        elif column in IDENTITY_COLUMNS and not may_import_identity:
            parsed.add_error(
                1, column, _("Your role may not import identifying fields; remove this column.")
            )
    if len(set(header)) != len(header):
        parsed.add_error(1, "", _("A column name appears twice."))


def parse_import(
    *,
    organisation: Organisation,
    actor: User,
    kind: Kind,
    content: bytes,
    may_import_identity: bool,
) -> ParsedImport:
    """Read and check every row of an import file, writing nothing."""
    file_format, table = read_table(content)
    parsed = ParsedImport(kind=kind, format=file_format, checksum=checksum_of(content), columns=[])
    header_row = next(table, None)
    if header_row is None:
        raise ImportRefused(_("The file is empty."))
    header = [_plain(cell).strip().lower() for cell in header_row]
    while header and not header[-1]:
        header.pop()
    parsed.columns = header
    _check_header(kind, header, may_import_identity, parsed)
    if not parsed.valid:
        return parsed
    context = _context(organisation, actor)
    seen: set[str] = set()
    for number, cells in enumerate(table, start=2):
        # Empty rows cost reading too: 400,000 of them in a 2 MB workbook took 11 s.
        if number > MAX_ROWS + MAX_EMPTY_ROWS + 1:
            raise ImportRefused(
                _(
                    "The file has more than %(rows)d rows, counting empty ones; delete the"
                    " empty rows or split it into smaller files."
                )
                % {"rows": MAX_ROWS + MAX_EMPTY_ROWS}
            )
        if not any(cell.strip() for cell in cells):
            continue
        if len(parsed.rows) == MAX_ROWS:
            raise ImportRefused(
                _("The file has more than %(rows)d rows; split it into smaller files.")
                % {"rows": MAX_ROWS}
            )
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            parsed.add_error(number, "", _("This row has more cells than there are columns."))
        row = {}
        for index, column in enumerate(header):
            cell = cells[index].strip() if index < len(cells) else ""
            if cell == UNCALCULATED:
                parsed.add_error(
                    number,
                    column,
                    _(
                        "This cell holds a formula that was never calculated, so it has no"
                        " value. Open the file in your spreadsheet, save it, and upload it"
                        " again; or type the value instead."
                    ),
                )
                cell = ""
            if len(cell) > MAX_CELL:
                parsed.add_error(number, column, _("This cell is too long."))
                cell = ""
            row[column] = _plain(cell)
        parsed.rows.append(row)
        try:
            if kind == "services":
                values = _service_row(row, context)
            else:
                values = _person_row(row, context, seen)
        except _RowInvalid as invalid:
            for column, message in invalid.errors.items():
                parsed.add_error(number, column, message)
            continue
        parsed.values.append(values)
    if not parsed.rows and parsed.valid:
        parsed.add_error(2, "", _("The file has no rows under its header."))
    return parsed


# What each column holds, for the import page, its empty templates and the API


Required = Literal["yes", "column", "no"]


@dataclass(frozen=True)
class ColumnGuide:
    """One column a file may have: whether it is required, what to write, allowed values.

    ``required`` is "yes" (the column and a value in every row), "column" (the column, but
    a row may leave it empty) or "no". ``values`` are (code, label) pairs when only a list
    of codes is allowed; ``several`` when a cell may hold more than one, separated by ";".
    """

    name: str
    required: Required
    format: str
    values: tuple[tuple[str, str], ...] = ()
    several: bool = False


def _codes(choices: type[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in choices.choices)


def _person_guide(may_import_identity: bool) -> list[ColumnGuide]:
    countries_text = _("ISO 3166 two-letter country codes, such as FR, RO or NG.")
    identity_text = _("Text of at most %(limit)d characters.")
    guide = [
        ColumnGuide(
            "code",
            "column",
            _(
                "The person's code, at most 20 characters, not used yet in your organisation."
                " Left empty, the next free code is given."
            ),
        ),
        ColumnGuide(
            "household_code",
            "no",
            _("A household code, at most 20 characters; a code not used yet makes a new one."),
        ),
        ColumnGuide("gender", "no", _("One code."), _codes(Gender)),
        ColumnGuide("age_band", "no", _("One code."), _codes(AgeBand)),
        ColumnGuide("citizenship", "no", countries_text, several=True),
        ColumnGuide(
            "languages",
            "no",
            _("ISO 639 language codes, such as fr, en or ro."),
            several=True,
        ),
        ColumnGuide("migration_status", "no", _("One code."), _codes(MigrationStatus)),
        ColumnGuide("trafficking_status", "no", _("One code."), _codes(TraffickingStatus)),
        ColumnGuide("exploitation_types", "no", _("Codes."), _codes(Exploitation), several=True),
        ColumnGuide("sector", "no", _("One code."), _codes(Sector)),
        ColumnGuide("exploitation_country", "no", _("One ISO 3166 two-letter country code.")),
        ColumnGuide("means_of_control", "no", _("Codes."), _codes(MeansOfControl), several=True),
        ColumnGuide("in_sex_work", "no", _("yes, no, or empty when it is not known.")),
        ColumnGuide("vulnerabilities", "no", _("Codes."), _codes(Vulnerability), several=True),
        ColumnGuide(
            "casework_consent_on",
            "yes",
            _(
                "The day the person gave their casework consent, as YYYY-MM-DD: from"
                " 2000-01-01, not in the future. Nobody is recorded without it."
            ),
        ),
        ColumnGuide(
            "casework_consent_method",
            "yes",
            _("How the consent was obtained."),
            _codes(ConsentMethod),
        ),
        ColumnGuide(
            "last_activity_at",
            "no",
            _(
                "When the person was last supported, as YYYY-MM-DD HH:MM (retention counts"
                " from it). Left empty: the moment of the import."
            ),
        ),
    ]
    if may_import_identity:
        for name in ("given_name", "family_name", "alias"):
            limit = IDENTITY_MAX_LENGTH[name]
            guide.append(ColumnGuide(name, "no", identity_text % {"limit": limit}))
        guide += [
            ColumnGuide(
                "birth_date",
                "no",
                _("YYYY-MM-DD, not in the future nor more than 120 years ago."),
            ),
            ColumnGuide("estimated_age", "no", _("An age in years, from 0 to 120.")),
        ]
        for name in ("phone", "identity_document", "address", "notes"):
            limit = IDENTITY_MAX_LENGTH[name]
            guide.append(ColumnGuide(name, "no", identity_text % {"limit": limit}))
    return guide


def _service_guide(organisation: Organisation) -> list[ColumnGuide]:
    catalogue = sorted(
        (
            (code, service_label(service_type))
            for code, service_type in _service_types(organisation).items()
        ),
        key=lambda pair: pair[0],
    )
    reached = _(
        "A whole number from 1 to 10,000,000, only for a service given to no one in"
        " particular (a distribution, a group session), which needs one of the two counts."
    )
    return [
        ColumnGuide(
            "date",
            "yes",
            _(
                "The day the service was given, as YYYY-MM-DD: from 2000-01-01, at most a day"
                " ahead."
            ),
        ),
        ColumnGuide(
            "service_code",
            "yes",
            _("The code of a service of your catalogue (Services › Catalogue)."),
            tuple(catalogue),
        ),
        ColumnGuide(
            "person_code",
            "no",
            _("The code of a person with casework consent in force."),
        ),
        ColumnGuide(
            "household_code",
            "no",
            _(
                "The code of a household whose members all have casework consent in force;"
                " not together with a person."
            ),
        ),
        ColumnGuide("quantity", "no", _("A number above zero, such as 2 or 1.5. Left empty: 1.")),
        ColumnGuide(
            "amount",
            "no",
            _(
                "An amount of money, such as 25 or 12.50, for a service that records money;"
                " give its currency too."
            ),
        ),
        ColumnGuide("currency", "no", _("An ISO 4217 currency code, such as EUR, GBP or KES.")),
        ColumnGuide("people_reached", "no", reached),
        ColumnGuide("households_reached", "no", reached),
        ColumnGuide("channel", "no", _("One code. Left empty: in person."), _codes(Channel)),
        ColumnGuide("language", "no", _("One ISO 639 language code, such as fr or en.")),
        ColumnGuide("city", "no", _("Text of at most 100 characters.")),
        ColumnGuide(
            "staff",
            "no",
            _(
                "The username of the staff member who gave the service, whose roles allow"
                " recording services. Left empty: you."
            ),
        ),
    ]


def column_guide(
    kind: Kind, organisation: Organisation, *, may_import_identity: bool
) -> list[ColumnGuide]:
    """The columns a file of this kind may have, in the order of an export."""
    if kind == "persons":
        return _person_guide(may_import_identity)
    return _service_guide(organisation)


def template_csv(kind: Kind, organisation: Organisation, *, may_import_identity: bool) -> bytes:
    """An empty CSV file with the header row of this kind, ready to fill in."""
    buffer = io.StringIO()
    guide = column_guide(kind, organisation, may_import_identity=may_import_identity)
    csv.writer(buffer, lineterminator="\r\n").writerow([column.name for column in guide])
    return buffer.getvalue().encode("utf-8")


# Keeping the file between preview and confirmation


def _stash_key(ticket: str) -> str:
    return f"haven:records:import:{ticket}"


def _stash_aad(actor: User, ticket: str) -> bytes:
    return f"records.import|{actor.pk}|{ticket}".encode()


def stash(organisation: Organisation, actor: User, kind: Kind, content: bytes) -> str:
    """Keep an uploaded file for its confirmation, encrypted; the ticket names it."""
    ticket = secrets.token_urlsafe(24)
    payload = json.dumps({"kind": kind, "content": base64.b64encode(content).decode("ascii")})
    sealed = crypto.encrypt(organisation.pk, _stash_aad(actor, ticket), payload)
    cache.set(_stash_key(ticket), sealed, STASH_SECONDS)
    return ticket


def unstash(organisation: Organisation, actor: User, ticket: str) -> tuple[Kind, bytes] | None:
    """The file a ticket names, if it is this user's in this organisation and not expired."""
    if not ticket or len(ticket) > 64:
        return None
    sealed = cache.get(_stash_key(ticket))
    if not isinstance(sealed, str):
        return None
    try:
        payload = json.loads(crypto.decrypt(organisation.pk, _stash_aad(actor, ticket), sealed))
    except (crypto.DecryptionError, ValueError):
        return None
    kind: Kind = "persons" if payload["kind"] == "persons" else "services"
    return kind, base64.b64decode(payload["content"])


def _claim_key(actor: User, ticket: str) -> str:
    return f"haven:records:import-claim:{actor.pk}:{ticket}"


class TicketRefused(Exception):
    """A confirmation names a ticket it may not use: expired, someone else's, or used."""

    def __init__(self, *, already_claimed: bool) -> None:
        super().__init__("already claimed" if already_claimed else "expired")
        self.already_claimed = already_claimed


def claim(organisation: Organisation, actor: User, ticket: str) -> tuple[Kind, bytes]:
    """The file a ticket names, for the one confirmation that claims it first.

    ``cache.add`` is atomic in every backend Haven uses (a unique key in the database
    cache, ``SET NX`` in Redis), so of two parallel confirmations one gets the file and
    the other ``TicketRefused(already_claimed=True)``. The claim outlives the stash.
    """
    if not ticket or len(ticket) > 64:
        raise TicketRefused(already_claimed=False)
    if not cache.add(_claim_key(actor, ticket), True, STASH_SECONDS):
        raise TicketRefused(already_claimed=True)
    stashed = unstash(organisation, actor, ticket)
    if stashed is None:
        cache.delete(_claim_key(actor, ticket))
        raise TicketRefused(already_claimed=False)
    return stashed


def release(actor: User, ticket: str) -> None:
    """Give a claimed ticket back after an import that wrote nothing, to try it again."""
    cache.delete(_claim_key(actor, ticket))


def forget(ticket: str) -> None:
    cache.delete(_stash_key(ticket))


def noon_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))
