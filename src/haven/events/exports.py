"""The owner's export of an event's registrants and attendance (personal data, so an
encrypted file)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from haven.events import access
from haven.events.content import local_time
from haven.events.models import Event, Question
from haven.letters.content import ExportedFile, Format, export_table
from haven.records.export import Cell

REGISTRANT_COLUMNS = (
    "status",
    "name",
    "email",
    "booker",
    "language",
    "registered_at",
    "confirmed_at",
    "cancelled_at",
    "checked_in_at",
    "id_checked",
)
SUMMARY = ("registered", "waiting", "offered", "cancelled", "checked_in")


def _when(event: Event, moment: datetime | None) -> str:
    # In the event's time zone, as the door and the pages show it (with its offset).
    return local_time(event, moment).isoformat(timespec="seconds") if moment is not None else ""


def registrant_rows(event: Event, questions: list[Question]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for registration in access.registrations_of(event).iterator(chunk_size=2000):
        answers = registration.answers
        rows.append(
            [
                registration.status,
                registration.name,
                registration.email,
                "yes" if registration.booker else "no",
                registration.language,
                _when(event, registration.created_at),
                _when(event, registration.confirmed_at),
                _when(event, registration.cancelled_at),
                _when(event, registration.checked_in_at),
                "yes" if registration.id_checked else "no",
                # Answers as the registrant chose them (Yes, French), not as stored.
                *(
                    question.answer_label(answers.get(str(question.pk), ""))
                    for question in questions
                ),
            ]
        )
    return rows


def summary_rows(event: Event, width: int) -> list[list[Cell]]:
    """The attendance figures, below the registrants after an empty row."""
    counts = access.counts(event)
    blank: list[Cell] = [""] * width
    rows: list[list[Cell]] = [blank, [_("Attendance summary"), *[""] * (width - 1)]]
    for name in SUMMARY:
        rows.append([f"total_{name}", counts[name], *[""] * (width - 2)])
    return rows


def registrant_export(event: Event, *, file_format: Format, passphrase: str) -> ExportedFile:
    """Every registrant and their attendance as CSV or XLSX inside an AES-256 ZIP, with
    the attendance summary at the end."""
    questions = list(Question.objects.filter(event=event).order_by("position", "pk"))
    header = [
        *REGISTRANT_COLUMNS,
        *(f"question {question.pk}: {question.label}" for question in questions),
    ]
    rows = registrant_rows(event, questions)
    exported = export_table(
        stem=f"{event.owner.slug}-{event.slug}-registrants",
        title="registrants",
        header=header,
        rows=[*rows, *summary_rows(event, len(header))],
        file_format=file_format,
        passphrase=passphrase,
    )
    return ExportedFile(filename=exported.filename, content=exported.content, rows=len(rows))
