"""Lookups of petitions: the owner's own, the public's open and closed ones, and the count.

The public count is ``COUNT(*)`` of confirmed signatures over a partial index, kept in the
shared cache for ``COUNT_SECONDS`` so a rush of readers does not repeat it; nothing writes
a counter (docs/decisions/0011).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from haven.letters.content import read_link_token
from haven.organisations.models import Organisation
from haven.petitions.models import Petition, PetitionStatus, Signature, SignatureStatus
from haven.public_cache import PublicCache

COUNT_SECONDS = 2
# A public petition is read from the caches on the hot path; every change by its owner
# forgets it at once (``forget_petition``), so this only bounds an unseen edit elsewhere.
PETITION_SECONDS = 10
CONFIRM_SALT = "haven.petitions.confirm"
CONFIRM_DAYS = 14
RECENT_PUBLIC_NAMES = 10


def petitions_of(owner: Organisation) -> QuerySet[Petition]:
    """The owner's petitions, newest first, with their confirmed and waiting signatures."""
    return (
        Petition.objects.filter(owner=owner)
        .annotate(
            confirmed=Count("signatures", filter=Q(signatures__status=SignatureStatus.CONFIRMED)),
            waiting=Count("signatures", filter=Q(signatures__status=SignatureStatus.PENDING)),
        )
        .order_by("-created_at")
    )


def petition_for(owner: Organisation, petition_id: int) -> Petition:
    """One of the owner's petitions, or 404."""
    petition = Petition.objects.filter(owner=owner, pk=petition_id).first()
    if petition is None:
        raise Http404
    return petition


def languages_in_use(owner: Organisation) -> set[str]:
    """The languages the owner's petitions are written in (for language menus)."""
    return set(Petition.objects.filter(owner=owner).values_list("language", flat=True))


def _load_public_petition(org: str, slug: str) -> Petition | None:
    # The owner is found by its slug through the join: one query, then none for a while.
    with scopes_disabled():
        return (
            Petition.objects.select_related("owner")
            .filter(owner__slug=org, slug=slug)
            .exclude(status=PetitionStatus.DRAFT)
            .first()
        )


_public_petitions = PublicCache(
    "petitions:public", _load_public_petition, shared_seconds=PETITION_SECONDS
)


def forget_petition(petition: Petition) -> None:
    """Drop the cached public petition after its owner changed it (pause takes effect now
    here, and within ``public_cache.LOCAL_SECONDS`` in every other process)."""
    _public_petitions.forget(petition.owner.slug, petition.slug)


def public_petition(org: str, slug: str) -> Petition:
    """An open or closed petition by its owner's slug and its own, or 404 (drafts too).

    Shared by the requests of this process for a moment: read it, never change it.
    """
    petition = _public_petitions.get(org, slug)
    if petition is None:
        raise Http404
    return petition


def closes_at(petition: Petition) -> datetime | None:
    """When signing ended or ends: the closing step, else the announced closing time."""
    return petition.closed_at or petition.closes_at


def status_now(petition: Petition, now: datetime | None = None) -> str:
    """Its status as it stands: closed once past its closing time, before the nightly run."""
    if (
        petition.status == PetitionStatus.OPEN
        and petition.closes_at is not None
        and petition.closes_at <= (now or timezone.now())
    ):
        return PetitionStatus.CLOSED
    return petition.status


def accepts_signatures(petition: Petition, now: datetime | None = None) -> bool:
    """Open, not paused, and before its closing time."""
    return not petition.paused and status_now(petition, now) == PetitionStatus.OPEN


def signing_paused(petition: Petition, now: datetime | None = None) -> bool:
    """Paused by its owner while open and before its closing time: signing resumes later."""
    return petition.paused and status_now(petition, now) == PetitionStatus.OPEN


def confirmed_count(petition: Petition) -> int:
    """The exact number of confirmed signatures, counted now."""
    with scope(organisation=petition.owner_id):
        return Signature.objects.filter(petition=petition, status=SignatureStatus.CONFIRMED).count()


def has_signatures(petition: Petition) -> bool:
    """True once anyone has signed, confirmed or not."""
    with scope(organisation=petition.owner_id):
        return Signature.objects.filter(petition=petition).exists()


def _count_key(petition_id: int) -> str:
    return f"haven:petitions:count:{petition_id}"


def public_count(petition: Petition) -> int:
    """The confirmed count as the public sees it: exact, at most ``COUNT_SECONDS`` old."""
    key = _count_key(petition.pk)
    cached = cache.get(key)
    if isinstance(cached, int):
        return cached
    count = confirmed_count(petition)
    cache.set(key, count, timeout=COUNT_SECONDS)
    return count


def forget_count(petition: Petition) -> None:
    """Drop the cached count after a bulk change, so the owner sees it at once."""
    cache.delete(_count_key(petition.pk))


def signatures_of(petition: Petition, status: str = "") -> QuerySet[Signature]:
    signatures = Signature.objects.filter(petition=petition)
    if status:
        signatures = signatures.filter(status=status)
    return signatures.order_by("-created_at")


def signature_in(petition: Petition, signature_id: uuid.UUID) -> Signature | None:
    """A signature of this petition (for the e-mail link), or None."""
    with scope(organisation=petition.owner_id):
        return Signature.objects.filter(petition=petition, pk=signature_id).first()


def _load_public_names(org: str, slug: str) -> list[Signature] | None:
    petition = _public_petitions.get(org, slug)
    if petition is None:
        return None
    with scope(organisation=petition.owner_id):
        return list(
            Signature.objects.filter(
                petition=petition,
                status=SignatureStatus.CONFIRMED,
                show_name=True,
                anonymised_at__isnull=True,
            )
            .only("id", "organisation_id", "personal", "country", "confirmed_at")
            .order_by("-confirmed_at")[:RECENT_PUBLIC_NAMES]
        )


# Held in each process for a second, never in the shared cache (they are personal data,
# shown by consent): during a rush every reader of the page asked for them again, and
# compiling that query was a third of the page (bench/petition_rush.py).
_public_names = PublicCache("petitions:names", _load_public_names, shared_seconds=0)


def public_names(petition: Petition) -> list[Signature]:
    """The latest confirmed signers who agreed to show their name (at most a second old
    in another process; shared by this process's requests: read them, never change them)."""
    return _public_names.get(petition.owner.slug, petition.slug) or []


def forget_public_names(petition: Petition) -> None:
    """Drop the names this process holds, after a change to who is shown."""
    _public_names.forget(petition.owner.slug, petition.slug)


def signature_from_token(petition: Petition, token: str) -> Signature | None:
    """The signature an e-mail link was made for, unless forged, too old or anonymised."""
    value = read_link_token(CONFIRM_SALT, token, max_age_days=CONFIRM_DAYS)
    if value is None:
        return None
    try:
        signature = signature_in(petition, uuid.UUID(value))
    except ValueError:
        return None
    if signature is None or signature.anonymised_at is not None:
        return None
    return signature
