"""The owner's export of a petition's signatures (personal data, so an encrypted file)."""

from __future__ import annotations

from django_scopes import scope

from haven.letters.content import ExportedFile, Format, export_table
from haven.petitions.models import Petition, Signature

SIGNATURE_COLUMNS = (
    "status",
    "name",
    "email",
    "country",
    "comment",
    "name_shown",
    "contact_consent",
    "language",
    "signed_at",
    "confirmed_at",
    "invalidated_at",
)


def signature_rows(petition: Petition) -> list[list[str | int | None]]:
    with scope(organisation=petition.owner_id):
        signatures = Signature.objects.filter(petition=petition).order_by("created_at")
        return [
            [
                signature.status,
                signature.name,
                signature.email,
                signature.country.code if signature.country else "",
                signature.comment,
                "yes" if signature.show_name else "no",
                "yes" if signature.contact_consent else "no",
                signature.language,
                signature.created_at.isoformat(timespec="seconds"),
                signature.confirmed_at.isoformat(timespec="seconds")
                if signature.confirmed_at
                else "",
                signature.invalidated_at.isoformat(timespec="seconds")
                if signature.invalidated_at
                else "",
            ]
            for signature in signatures.iterator(chunk_size=2000)
        ]


def signature_export(petition: Petition, *, file_format: Format, passphrase: str) -> ExportedFile:
    """Every signature as CSV or XLSX inside an AES-256 ZIP."""
    return export_table(
        stem=f"{petition.owner.slug}-{petition.slug}-signatures",
        title="signatures",
        header=SIGNATURE_COLUMNS,
        rows=signature_rows(petition),
        file_format=file_format,
        passphrase=passphrase,
    )
