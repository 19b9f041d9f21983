"""Lookups of letters: the owner's own, the public's published ones, and letters open to sign.

Letters are scoped to their owner. Two reads cross organisations on purpose, here and only
here: an organisation's signer finds open letters of other owners (``letter_to_sign``), and
the public pages find a letter by its owner's slug (``public_letter``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from haven.letters.content import read_link_token
from haven.letters.models import (
    Letter,
    LetterStatus,
    LetterText,
    LetterVersion,
    OrganisationSignature,
    SignatoryCategory,
    SignatoryOrder,
    SignatureStatus,
)
from haven.organisations import access as directory
from haven.organisations.models import Membership, Organisation
from haven.text import folded

LIVE_SIGNATURES = (SignatureStatus.PENDING, SignatureStatus.APPROVED)
CONFIRM_SALT = "haven.letters.confirm-request"
CONFIRM_DAYS = 7


def letters_of(owner: Organisation) -> QuerySet[Letter]:
    """The owner's letters, newest first, with their number of approved signatures."""
    return (
        Letter.objects.filter(owner=owner)
        .annotate(
            signature_count=Count(
                "signatures", filter=Q(signatures__status=SignatureStatus.APPROVED)
            ),
            request_count=Count("signatures", filter=Q(signatures__status=SignatureStatus.PENDING)),
        )
        .prefetch_related("texts")
        .order_by("-created_at")
    )


def letter_for(owner: Organisation, letter_id: int) -> Letter:
    """One of the owner's letters, or 404."""
    letter = Letter.objects.filter(owner=owner, pk=letter_id).first()
    if letter is None:
        raise Http404
    return letter


def text_in(letter: Letter, language: str | None) -> LetterText:
    """The letter's text in ``language``, else in its original language."""
    texts = {text.language: text for text in letter.texts.all()}
    if language and language in texts:
        return texts[language]
    if letter.original_language in texts:
        return texts[letter.original_language]
    if not texts:
        raise Http404
    return next(iter(texts.values()))


def languages_of(letter: Letter) -> list[str]:
    """The languages the letter exists in, the original first."""
    codes = sorted(letter.texts.values_list("language", flat=True))
    return sorted(codes, key=lambda code: code != letter.original_language)


def languages_in_use(owner: Organisation) -> set[str]:
    """The languages the owner's letters are written or translated in (for language menus)."""
    return set(LetterText.objects.filter(letter__owner=owner).values_list("language", flat=True))


def version_of(letter: Letter, number: int) -> LetterVersion | None:
    """One earlier version (its texts by language and its addressees), if it exists."""
    return LetterVersion.objects.filter(letter=letter, number=number).first()


def categories_of(letter: Letter) -> list[SignatoryCategory]:
    return list(letter.categories.order_by("position", "pk"))


def category_for(letter: Letter, category_id: int) -> SignatoryCategory:
    """One of the letter's categories, or 404."""
    category = letter.categories.filter(pk=category_id).first()
    if category is None:
        raise Http404
    return category


def signatures_of(letter: Letter, *statuses: str) -> QuerySet[OrganisationSignature]:
    signatures = OrganisationSignature.objects.filter(letter=letter).select_related(
        "signatory", "category"
    )
    if statuses:
        signatures = signatures.filter(status__in=statuses)
    return signatures


def signature_for(letter: Letter, signature_id: uuid.UUID) -> OrganisationSignature:
    """One signature or request of the letter, or 404."""
    signature = signatures_of(letter).filter(pk=signature_id).first()
    if signature is None:
        raise Http404
    return signature


def has_live_signatures(letter: Letter) -> bool:
    """True once a signature counts or waits for approval: a changed text then makes a
    new version, of which every such signatory is told."""
    return OrganisationSignature.objects.filter(letter=letter, status__in=LIVE_SIGNATURES).exists()


def approved_count(letter: Letter) -> int:
    return OrganisationSignature.objects.filter(
        letter=letter, status=SignatureStatus.APPROVED
    ).count()


@dataclass(frozen=True)
class Group:
    category: SignatoryCategory | None
    label: str
    signatures: list[OrganisationSignature]


def grouped_signatories(letter: Letter, language: str) -> list[Group]:
    """Approved signatories by category, in the owner's order of categories and of names."""
    categories = categories_of(letter)
    order = {category.pk: index for index, category in enumerate(categories)}
    signatures = list(signatures_of(letter, SignatureStatus.APPROVED))

    def place(signature: OrganisationSignature) -> tuple[int, int, str, str]:
        group = order.get(signature.category_id or -1, len(categories))
        within = signature.position if letter.signatory_order == SignatoryOrder.CHOSEN else 0
        # "Équipe" between "Enfance" and "Fondation", not after "Zonta".
        return (group, within, folded(signature.name), signature.name)

    signatures.sort(key=place)
    by_id = {category.pk: category for category in categories}
    groups = []
    for category_id, items in groupby(signatures, key=lambda s: s.category_id):
        category = by_id.get(category_id) if category_id is not None else None
        label = category.name_in(language) if category is not None else ""
        groups.append(Group(category=category, label=label, signatures=list(items)))
    return groups


def _past_embargo(letter: Letter, moment: datetime) -> bool:
    return letter.publish_at is None or letter.publish_at <= moment


def is_public(letter: Letter, now: datetime | None = None) -> bool:
    """Published and past its embargo, or withdrawn after its page had become public."""
    if letter.status == LetterStatus.PUBLISHED:
        return _past_embargo(letter, now or timezone.now())
    if letter.status != LetterStatus.WITHDRAWN or letter.published_at is None:
        return False
    # A text withdrawn while still under embargo was never public: withdrawal must not
    # publish it. Judged on the embargo rather than published_at, which older rows set to
    # the moment Publish was pressed.
    return letter.withdrawn_at is not None and _past_embargo(letter, letter.withdrawn_at)


def public_path(letter: Letter, language: str | None = None) -> str:
    """The path of the letter's public page in ``language``, else in its original language."""
    kwargs = {"org": letter.owner.slug, "letter": letter.slug}
    if language and language != letter.original_language:
        return reverse("letter_public_language", kwargs={**kwargs, "lang": language})
    return reverse("letter_public", kwargs=kwargs)


def _letter_by_slugs(org: str, slug: str) -> Letter:
    owner = Organisation.objects.filter(slug=org[:60]).first()
    if owner is None:
        raise Http404
    with scope(organisation=owner):
        letter = Letter.objects.select_related("owner").filter(owner=owner, slug=slug[:60]).first()
    if letter is None:
        raise Http404
    return letter


def public_letter(org: str, slug: str) -> Letter:
    """A letter the public may read (published and past its embargo), or 404."""
    letter = _letter_by_slugs(org, slug)
    if not is_public(letter):
        raise Http404
    return letter


def letter_open_to_requests(org: str, slug: str) -> Letter:
    """A letter an outside organisation may ask to sign (open, or shown closed), or 404."""
    letter = _letter_by_slugs(org, slug)
    if letter.status in (LetterStatus.OPEN, LetterStatus.CLOSED):
        return letter
    # Published under embargo, the request page would show the text before its date.
    if letter.status == LetterStatus.PUBLISHED and is_public(letter):
        return letter
    raise Http404


def accepts_signatures(letter: Letter) -> bool:
    """Open and before its deadline."""
    if letter.status != LetterStatus.OPEN:
        return False
    return letter.signature_deadline is None or letter.signature_deadline > timezone.now()


def letters_to_sign() -> QuerySet[Letter]:
    """Every letter open for signatures, of any owner: what an organisation may sign."""
    with scopes_disabled():
        return (
            Letter.objects.select_related("owner")
            .filter(status=LetterStatus.OPEN)
            .order_by("signature_deadline", "-opened_at")
        )


def letter_to_sign(letter_id: int) -> Letter:
    """A letter of any owner that is or was open for signatures, for a signer, or 404."""
    with scopes_disabled():
        letter = (
            Letter.objects.select_related("owner")
            .filter(
                pk=letter_id,
                status__in=[LetterStatus.OPEN, LetterStatus.CLOSED, LetterStatus.PUBLISHED],
            )
            .first()
        )
    if letter is None:
        raise Http404
    return letter


def signature_of(letter: Letter, organisation: Organisation) -> OrganisationSignature | None:
    """The organisation's live signature (or request) of the letter, if any."""
    with scopes_disabled():
        return (
            OrganisationSignature.objects.filter(
                letter=letter, signatory=organisation, status__in=LIVE_SIGNATURES
            )
            .order_by("-requested_at")
            .first()
        )


def signatures_by(organisation: Organisation) -> dict[int, OrganisationSignature]:
    """The organisation's live signatures of open letters, by letter id."""
    with scopes_disabled():
        rows = OrganisationSignature.objects.filter(
            signatory=organisation, status__in=LIVE_SIGNATURES
        )
        return {row.letter_id: row for row in rows}


def membership_in_owner_network(letter: Letter, organisation: Organisation) -> Membership | None:
    """The organisation's membership in force in the network the letter's owner runs."""
    network = getattr(letter.owner, "network", None)
    if network is None:
        return None
    today = timezone.localdate()
    return (
        Membership.objects.filter(network=network, organisation=organisation)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .filter(Q(since__isnull=True) | Q(since__lte=today))
        .first()
    )


def directory_suggestions(name: str, country: str, *, limit: int = 5) -> list[Organisation]:
    """Directory entries that may be the organisation asking to sign: the exact match on
    normalised name and country first, then entries sharing the most of its longer words."""
    found: list[Organisation] = []
    exact = directory.same_organisation(name, country)
    if exact is not None:
        found.append(exact)
    words = sorted({word for word in name.split() if len(word) >= 4}, key=len, reverse=True)
    shared: dict[int, tuple[int, Organisation]] = {}
    for word in words[:4]:
        for candidate in directory.organisations_named(word, limit=20):
            hits, _entry = shared.get(candidate.pk, (0, candidate))
            shared[candidate.pk] = (hits + 1, candidate)
    ranked = sorted(
        shared.values(),
        key=lambda pair: (-pair[0], pair[1].country.code != country, pair[1].name),
    )
    found += [candidate for _hits, candidate in ranked if candidate not in found]
    return found[:limit]


def strong_match(
    signature: OrganisationSignature, suggestions: list[Organisation]
) -> Organisation | None:
    """The suggested directory entry with the request's normalised name and country, if any."""
    wanted = directory.normalised_name(signature.name)
    country = str(signature.country or "")
    for entry in suggestions:
        if str(entry.country or "") == country and directory.normalised_name(entry.name) == wanted:
            return entry
    return None


def live_request_from(letter: Letter, name: str, country: str) -> OrganisationSignature | None:
    """A request or signature already on the letter for this name in this country; an
    unconfirmed request whose link has expired no longer counts."""
    wanted = directory.normalised_name(name)
    # Nobody can confirm it any more: kept live, a mistyped address (or somebody else's
    # request in the organisation's name) would turn the organisation away for good.
    expired = Q(status=SignatureStatus.UNCONFIRMED) & Q(
        requested_at__lt=timezone.now() - timedelta(days=CONFIRM_DAYS)
    )
    for signature in (
        OrganisationSignature.objects.filter(
            letter=letter,
            country=country,
            status__in=[SignatureStatus.UNCONFIRMED, *LIVE_SIGNATURES],
        )
        .exclude(expired)
        .only("id", "name", "country", "status")
    ):
        if directory.normalised_name(signature.name) == wanted:
            return signature
    return None


def signature_from_token(letter: Letter, token: str) -> OrganisationSignature | None:
    """The request an e-mail link was made for, unless the token is forged or too old."""
    value = read_link_token(CONFIRM_SALT, token, max_age_days=CONFIRM_DAYS)
    if value is None:
        return None
    try:
        signature_id = uuid.UUID(value)
    except ValueError:
        return None
    with scope(organisation=letter.owner):
        return OrganisationSignature.objects.filter(letter=letter, pk=signature_id).first()
