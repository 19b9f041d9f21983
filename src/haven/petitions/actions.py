"""Every change to petitions and their signatures.

The owner's actions (create, edit, open, pause, close, invalidate in bulk, export,
anonymise) are audited. A public signature and its confirmation are not: the audit
trail's head row would serialise every signer behind one lock (docs/decisions/0011).
Both are one INSERT or one UPDATE of the signer's own row, so signers never wait on
each other.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_countries import countries

from haven.abuse.addresses import domain_of, normalise_email
from haven.accounts.models import User
from haven.dates import moment_problem
from haven.inserts import insert_rows
from haven.letters.actions import check_language
from haven.letters.content import clean_hashtags, free_slug
from haven.organisations.languages import is_language_code
from haven.organisations.models import Organisation
from haven.petitions import access
from haven.petitions.models import Petition, PetitionStatus, Signature, SignatureStatus
from haven.privacy import audit

PETITION_FIELDS = (
    "title",
    "addressee",
    "summary",
    "body",
    "closes_at",
    "goal",
    "consent_text",
    "blocked_domains",
    "show_comments",
    "anonymise_after_days",
    "hashtags",
)
_LIMITS = {
    "title": 300,
    "addressee": 300,
    "summary": 500,
    "body": 50_000,
    "consent_text": 500,
    "blocked_domains": 10_000,
}
LONGEST_RETENTION_DAYS = 3650
LARGEST_GOAL = 1_000_000_000
MOVES: dict[str, tuple[str, ...]] = {
    "open": (PetitionStatus.DRAFT,),
    "pause": (PetitionStatus.OPEN,),
    "resume": (PetitionStatus.OPEN,),
    "close": (PetitionStatus.OPEN,),
}


def email_key(petition_id: int, address: str) -> str:
    """The keyed digest that makes one person one signature, whatever their spelling."""
    return salted_hmac(
        "haven.petitions.email", f"{petition_id}:{normalise_email(address)}", algorithm="sha256"
    ).hexdigest()


def _clean_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(PETITION_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name in _LIMITS:
            text = "" if value is None else str(value).strip()
            if len(text) > _LIMITS[name]:
                raise ValidationError(
                    {name: _("At most %(limit)d characters, please.") % {"limit": _LIMITS[name]}}
                )
            cleaned[name] = text
        elif name == "hashtags":
            cleaned[name] = clean_hashtags(str(value or ""))
        elif name == "goal":
            if value is not None and (not isinstance(value, int) or not 1 <= value <= LARGEST_GOAL):
                raise ValidationError({"goal": _("Give a goal from 1 to a billion, or none.")})
            cleaned[name] = value
        elif name == "anonymise_after_days":
            if not isinstance(value, int) or not 1 <= value <= LONGEST_RETENTION_DAYS:
                raise ValidationError(
                    {"anonymise_after_days": _("Give a number of days from 1 to 3650.")}
                )
            cleaned[name] = value
        elif name == "show_comments":
            cleaned[name] = bool(value)
        elif name == "closes_at" and value is not None and (problem := moment_problem(value)):
            raise ValidationError({"closes_at": problem})
        else:
            cleaned[name] = value
    if "title" in cleaned and not cleaned["title"]:
        raise ValidationError({"title": _("Give the petition a title.")})
    if "body" in cleaned and not cleaned["body"]:
        raise ValidationError({"body": _("Write the text of the petition.")})
    if "blocked_domains" in cleaned:
        domains = [
            line.strip().lower().lstrip("@") for line in cleaned["blocked_domains"].splitlines()
        ]
        bad = [domain for domain in domains if domain and ("." not in domain or " " in domain)]
        if bad:
            raise ValidationError(
                {"blocked_domains": _("Not a domain: %(domain)s") % {"domain": bad[0][:100]}}
            )
        cleaned["blocked_domains"] = "\n".join(domain for domain in domains if domain)
    return cleaned


def create_petition(
    *,
    actor: User,
    owner: Organisation,
    title: str,
    body: str,
    language: str,
    values: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> Petition:
    """Start a draft petition."""
    language = check_language(language)
    cleaned = _clean_values({**(values or {}), "title": title, "body": body})
    if not cleaned.get("consent_text"):
        # In the petition's language, which its signers read, not the creator's.
        with override(language):
            cleaned["consent_text"] = _(
                "I agree that %(owner)s may contact me about this petition and its follow-up."
            ) % {"owner": owner.name}
    petition = Petition(owner=owner, language=language, created_by=actor, **cleaned)
    for _attempt in range(3):
        petition.slug = free_slug(Petition, owner, cleaned["title"])
        try:
            with transaction.atomic():
                petition.save()
                audit.record(
                    "petition.created",
                    actor=actor,
                    organisation=owner,
                    target=petition,
                    details={"language": language},
                    request=request,
                )
        except IntegrityError:
            petition.pk = None
            continue
        return petition
    raise ValidationError(_("Could not give this petition an address; try again."))


def update_petition(
    *,
    actor: User,
    petition: Petition,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Petition:
    """Change the petition's text or settings (a closed one keeps its text)."""
    values = _clean_values(changes)
    changed = sorted(name for name, value in values.items() if getattr(petition, name) != value)
    if not changed:
        return petition
    # Closed from its closing time on, as the public sees it, before the nightly run too.
    closed = access.status_now(petition) == PetitionStatus.CLOSED
    if closed and {"title", "body", "addressee"} & set(changed):
        raise ValidationError(_("The text of a closed petition can no longer change."))
    if "show_comments" in changed and values["show_comments"] and access.has_signatures(petition):
        # Those who signed were told that only the organisers read their comments.
        raise ValidationError(
            {
                "show_comments": _(
                    "People have signed on the promise that only the organisers read their "
                    "comments: comments can no longer be made public."
                )
            }
        )
    candidate = copy.copy(petition)
    for name in changed:
        setattr(candidate, name, values[name])
    if closed and access.status_now(candidate) != PetitionStatus.CLOSED:
        raise ValidationError({"closes_at": _("A closed petition does not open again.")})
    with transaction.atomic():
        candidate.save(update_fields=[*changed, "updated_at"])
        access.forget_petition(candidate)
        audit.record(
            "petition.updated",
            actor=actor,
            organisation=petition.owner,
            target=petition,
            details={"fields": changed},
            request=request,
        )
    return candidate


def move_petition(
    *, actor: User | None, petition: Petition, move: str, request: HttpRequest | None = None
) -> Petition:
    """Open, pause or resume signing, or close the petition."""
    if move not in MOVES:
        raise ValidationError({"move": _("Unknown step.")})
    with transaction.atomic():
        petition = Petition.objects.select_for_update().select_related("owner").get(pk=petition.pk)
        now = timezone.now()
        # Past its closing time signing is over, so pausing or resuming means nothing; closing
        # still may, to record the end now, as the nightly run does.
        status = petition.status if move == "close" else access.status_now(petition, now)
        if status not in MOVES[move]:
            raise ValidationError(
                _("A petition that is “%(status)s” cannot take this step.")
                % {"status": PetitionStatus(status).label}
            )
        if move == "open" and petition.closes_at is not None and petition.closes_at <= now:
            # It would be closed the moment it opened, and nobody could sign it.
            raise ValidationError(
                {"closes_at": _("Its closing time has passed: set a later one, then open it.")}
            )
        fields = ["updated_at"]
        if move == "open":
            petition.status, petition.opened_at = PetitionStatus.OPEN, now
            fields += ["status", "opened_at"]
        elif move in ("pause", "resume"):
            petition.paused = move == "pause"
            fields.append("paused")
        else:
            petition.status, petition.closed_at = PetitionStatus.CLOSED, now
            fields += ["status", "closed_at"]
        petition.save(update_fields=fields)
        access.forget_petition(petition)
        audit.record(
            f"petition.{move}",
            actor=actor,
            organisation=petition.owner,
            target=petition,
            details={"signatures": access.confirmed_count(petition)},
            request=request,
        )
        if move == "close":
            from haven.petitions.tasks import schedule_anonymisation

            transaction.on_commit(schedule_anonymisation)
    return petition


# --- public signatures --------------------------------------------------------------------


def sign_petition(
    *,
    petition: Petition,
    name: str,
    email: str,
    country: str = "",
    comment: str = "",
    show_name: bool = False,
    contact_consent: bool = False,
    language: str = "en",
) -> Signature | None:
    """Add a signature waiting for its e-mail confirmation, and send the confirmation.

    For an address that already signed, nothing is added (a waiting signature gets its
    e-mail again); the caller answers the same either way, so nobody learns who signed.
    """
    if not access.accepts_signatures(petition):
        raise ValidationError(_("This petition is not taking signatures."))
    # The form checks these too; the public API reaches this action without it.
    name, country = name.strip(), country.strip().upper()
    if not name or len(name) > 200:
        raise ValidationError({"name": _("Give your name (at most 200 characters).")})
    if country and country not in countries:
        raise ValidationError({"country": _("Choose a country from the list.")})
    if not is_language_code(language):
        raise ValidationError({"language": _("Unknown language.")})
    signature = Signature(
        petition=petition,
        organisation_id=petition.owner_id,
        email_key=email_key(petition.pk, email),
        country=country,
        show_name=show_name,
        contact_consent=contact_consent,
        language=language,
    )
    signature.set_personal(name=name, email=email, comment=comment)
    from haven.petitions.tasks import dispatch_confirmations

    # One INSERT in autocommit, no transaction around it: signers never wait on each
    # other, and a repeat address fails on the unique index alone.
    try:
        # Inside a caller's transaction (a test, a bulk import) a savepoint keeps a refused
        # INSERT from aborting it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            insert_rows([signature])
    except IntegrityError:
        # A waiting signature gets its e-mail again.
        if Signature.objects.filter(
            petition=petition, email_key=signature.email_key, status=SignatureStatus.PENDING
        ).update(confirmation_sent_at=None):
            dispatch_confirmations()
        return None
    dispatch_confirmations()
    return signature


def confirm_signature(*, signature: Signature) -> bool:
    """The signer pressed the button of the e-mail link: the signature counts from now.

    True when this call confirmed it (an already confirmed one is left as it is).
    """
    if signature.status != SignatureStatus.PENDING:
        return False
    if not access.accepts_signatures(signature.petition):
        raise ValidationError(_("This petition is not taking signatures."))
    updated = Signature.objects.filter(pk=signature.pk, status=SignatureStatus.PENDING).update(
        status=SignatureStatus.CONFIRMED, confirmed_at=timezone.now()
    )
    if updated and signature.show_name:
        access.forget_public_names(signature.petition)
    return bool(updated)


# --- the owner's bulk actions -------------------------------------------------------------


def invalidate_signatures(
    *,
    actor: User,
    petition: Petition,
    signature_ids: Iterable[object] = (),
    domain: str = "",
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> int:
    """Invalidate fraudulent signatures in bulk: chosen ones, those of an e-mail domain, or
    those made in a time window. How many were invalidated."""
    ids = list(signature_ids)
    domain = domain.strip().lower().lstrip("@")[:253]
    if not ids and not domain and created_from is None and created_to is None:
        raise ValidationError(_("Choose signatures, a domain or a time window."))
    # The API's check of a moment: year 9999 on the page would quietly match nothing.
    for name, moment in (("created_from", created_from), ("created_to", created_to)):
        if moment is not None and (problem := moment_problem(moment)):
            raise ValidationError({name: problem})
    if created_from and created_to and created_to < created_from:
        raise ValidationError({"created_to": _("The end of the window is before its start.")})
    live = Signature.objects.filter(petition=petition).exclude(status=SignatureStatus.INVALIDATED)
    if ids:
        live = live.filter(pk__in=ids)
    if created_from is not None:
        live = live.filter(created_at__gte=created_from)
    if created_to is not None:
        live = live.filter(created_at__lte=created_to)
    with transaction.atomic():
        if domain:
            # The domain is inside the encrypted address: read each one, as the owner's key allows.
            chosen = [
                row.pk
                for row in live.only("id", "organisation_id", "personal")
                if domain_of(row.email) == domain or domain_of(row.email).endswith("." + domain)
            ]
            live = Signature.objects.filter(pk__in=chosen)
        count = live.update(status=SignatureStatus.INVALIDATED, invalidated_at=timezone.now())
        audit.record(
            "petition.signatures_invalidated",
            actor=actor,
            organisation=petition.owner,
            target=petition,
            details={
                "count": count,
                "by": [
                    name
                    for name, used in (
                        ("ids", ids),
                        ("domain", domain),
                        ("window", created_from or created_to),
                    )
                    if used
                ],
                "reason": reason[:200],
            },
            request=request,
        )
    access.forget_count(petition)
    access.forget_public_names(petition)
    return count


def note_export(
    *,
    actor: User,
    petition: Petition,
    rows: int,
    file_format: str,
    request: HttpRequest | None = None,
) -> None:
    """Record that the owner exported the signatures (personal data)."""
    audit.record(
        "petition.signatures_exported",
        actor=actor,
        organisation=petition.owner,
        target=petition,
        details={"rows": rows, "format": file_format},
        request=request,
    )


def anonymisation_due(petition: Petition) -> datetime | None:
    """When the petition's signatures are to be anonymised, once it has closed."""
    ended = access.closes_at(petition)
    if ended is None or access.status_now(petition) != PetitionStatus.CLOSED:
        return None
    return ended + timedelta(days=petition.anonymise_after_days)


def anonymise_petition(*, petition: Petition, actor: User | None = None) -> int:
    """Blank the names, addresses and comments of every signature; the count stays."""
    with transaction.atomic():
        count = Signature.objects.filter(petition=petition, anonymised_at__isnull=True).update(
            personal="", email_key="", anonymised_at=timezone.now()
        )
        Petition.objects.filter(pk=petition.pk).update(anonymised_at=timezone.now())
        access.forget_petition(petition)
        access.forget_public_names(petition)
        audit.record(
            "petition.signatures_anonymised",
            actor=actor,
            organisation=petition.owner,
            target=petition,
            details={"count": count},
        )
    return count
