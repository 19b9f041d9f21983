"""The owner's export of a letter's signatories, with their signers' contact details."""

from __future__ import annotations

from django_scopes import scope

from haven.letters import access
from haven.letters.content import ExportedFile, Format, export_table
from haven.letters.models import Letter, SignatureStatus
from haven.records.export import csv_bytes, xlsx_bytes
from haven.text import folded

SIGNATORY_COLUMNS = (
    "group",
    "organisation",
    "country",
    "website",
    "status",
    "version_signed",
    "signer_name",
    "signer_role",
    "signer_email",
    "requested_at",
    "decided_at",
    "directory_id",
)


def signatory_rows(letter: Letter) -> list[list[str | int | None]]:
    """Approved and waiting signatures, by group in the public order, then the rest."""
    with scope(organisation=letter.owner):
        order = {category.pk: index for index, category in enumerate(access.categories_of(letter))}
        signatures = sorted(
            access.signatures_of(
                letter,
                SignatureStatus.APPROVED,
                SignatureStatus.PENDING,
                SignatureStatus.UNCONFIRMED,
            ),
            key=lambda s: (
                s.status != SignatureStatus.APPROVED,
                order.get(s.category_id or -1, 999),
                s.position,
                folded(s.name),
            ),
        )
        return [
            [
                signature.category.name if signature.category else "",
                signature.name,
                str(signature.country.name) if signature.country else "",
                signature.website,
                signature.status,
                signature.version,
                signature.signer_name,
                signature.signer_role,
                signature.signer_email,
                signature.requested_at.isoformat(timespec="seconds"),
                signature.decided_at.isoformat(timespec="seconds") if signature.decided_at else "",
                signature.signatory_id,
            ]
            for signature in signatures
        ]


PUBLIC_COLUMNS = ("group", "organisation", "country")


def public_signatory_file(letter: Letter, language: str, file_format: Format) -> tuple[str, bytes]:
    """What the public page lists, as a plain CSV or XLSX: group, organisation, country."""
    with scope(organisation=letter.owner):
        rows: list[list[str | int | None]] = [
            [group.label, signature.name, str(signature.country.name) if signature.country else ""]
            for group in access.grouped_signatories(letter, language)
            for signature in group.signatures
        ]
    name = f"{letter.owner.slug}-{letter.slug}-signatories.{file_format}"
    if file_format == "csv":
        return name, csv_bytes(PUBLIC_COLUMNS, rows)
    return name, xlsx_bytes("signatories", PUBLIC_COLUMNS, rows)


def signatory_export(letter: Letter, *, file_format: Format, passphrase: str) -> ExportedFile:
    """The signatories as CSV or XLSX in an encrypted ZIP (signers' e-mails are personal data)."""
    return export_table(
        stem=f"{letter.owner.slug}-{letter.slug}-signatories",
        title="signatories",
        header=SIGNATORY_COLUMNS,
        rows=signatory_rows(letter),
        file_format=file_format,
        passphrase=passphrase,
    )
