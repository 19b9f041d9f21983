"""Every change to letters: drafting, translating, the workflow, categories and signatures.

Each action runs in one transaction and writes one audit event, except a request to sign
from outside Haven and its confirmation: those are anonymous public submissions, which are
rate limited instead of audited (docs/decisions/0011); the owner's decision on each is
audited.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_countries import countries

from haven.accounts.models import User
from haven.dates import filter_date_problem, moment_problem
from haven.letters import access
from haven.letters.content import clean_hashtags, free_slug
from haven.letters.models import (
    Letter,
    LetterKind,
    LetterStatus,
    LetterText,
    LetterVersion,
    OrganisationSignature,
    SignatoryCategory,
    SignatoryOrder,
    SignatureStatus,
)
from haven.organisations import access as directory
from haven.organisations.actions import create_organisation
from haven.organisations.languages import is_language_code, validate_language_codes
from haven.organisations.models import MembershipCategory, Organisation
from haven.organisations.views import GROUP_TITLES
from haven.privacy import audit

LETTER_FIELDS = (
    "kind",
    "addressees",
    "letter_date",
    "signature_deadline",
    "publish_at",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "hashtags",
    "signatory_order",
)
TEXT_FIELDS = ("title", "body", "annex", "evidence", "footnote")
# How long a request rejected, or never confirmed, keeps the signer's name, role and
# e-mail: time to answer the signer who writes back about a refusal or a lost link, and
# no longer (see the advocacy guide).
FORGET_REQUESTS_AFTER = timedelta(days=30)
# Which statuses each move starts from.
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "open": ((LetterStatus.DRAFT, LetterStatus.CLOSED), LetterStatus.OPEN),
    "close": ((LetterStatus.OPEN,), LetterStatus.CLOSED),
    "publish": ((LetterStatus.OPEN, LetterStatus.CLOSED), LetterStatus.PUBLISHED),
    "withdraw": (
        (LetterStatus.OPEN, LetterStatus.CLOSED, LetterStatus.PUBLISHED),
        LetterStatus.WITHDRAWN,
    ),
}
# Default groups of a new letter, after the network's membership categories: members and
# partners sign as "the network and its members", the others under their own heading.
_DEFAULT_GROUPS: tuple[tuple[str, str], ...] = (
    (MembershipCategory.MEMBER, ""),
    (MembershipCategory.INTERNATIONAL_NETWORK, ""),
    (MembershipCategory.DOMESTIC_NGO, ""),
)
_CATEGORY_OF_MEMBERSHIP: dict[str, str] = {
    MembershipCategory.MEMBER: MembershipCategory.MEMBER,
    MembershipCategory.PARTNER: MembershipCategory.MEMBER,
    MembershipCategory.INTERNATIONAL_NETWORK: MembershipCategory.INTERNATIONAL_NETWORK,
    MembershipCategory.DOMESTIC_NGO: MembershipCategory.DOMESTIC_NGO,
    MembershipCategory.SUPPORTER: MembershipCategory.DOMESTIC_NGO,
}
_LIMITS = {
    "addressees": 2000,
    "contact_name": 200,
    "contact_role": 200,
    "contact_phone": 40,
    "title": 300,
    "body": 100_000,
    "annex": 200_000,
    "evidence": 20_000,
    "footnote": 5000,
}


def _text_value(name: str, value: object) -> str:
    text = "" if value is None else str(value).strip()
    limit = _LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise ValidationError({name: _("At most %(limit)d characters, please.") % {"limit": limit}})
    return text


def _clean_letter_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(LETTER_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name == "letter_date" and value is not None and (problem := filter_date_problem(value)):
            # Printed at the head of the public page: year 1 or 9999 is a slip.
            raise ValidationError({name: problem})
        if name in ("letter_date", "signature_deadline", "publish_at"):
            cleaned[name] = value
        elif name == "kind":
            if value not in LetterKind.values:
                raise ValidationError({"kind": _("Choose a letter or a joint statement.")})
            cleaned[name] = value
        elif name == "signatory_order":
            if value not in SignatoryOrder.values:
                raise ValidationError({"signatory_order": _("Choose one of the orders.")})
            cleaned[name] = value
        elif name == "hashtags":
            cleaned[name] = clean_hashtags(str(value or ""))
        elif name == "contact_email":
            cleaned[name] = _text_value(name, value).lower()
        else:
            cleaned[name] = _text_value(name, value)
    if cleaned.get("contact_email"):
        from haven.abuse.addresses import checked_email

        try:
            cleaned["contact_email"] = checked_email(cleaned["contact_email"])
        except ValidationError as error:
            raise ValidationError({"contact_email": error.messages}) from error
    return cleaned


def _check_dates(letter: Letter) -> None:
    deadline, publish_at = letter.signature_deadline, letter.publish_at
    for name, moment in (("signature_deadline", deadline), ("publish_at", publish_at)):
        if moment is not None and (problem := moment_problem(moment)):
            raise ValidationError({name: problem})
    if deadline is not None and publish_at is not None and publish_at < deadline:
        raise ValidationError(
            {"publish_at": _("Publish the letter after its signature deadline, not before.")}
        )


def _check_publication_moves(letter: Letter, candidate: Letter) -> None:
    # A later date would put a page already public back under embargo: links shared, the
    # counter embedded elsewhere, would find nothing until then.
    now = timezone.now()
    publish_at = candidate.publish_at
    if access.is_public(letter, now) and publish_at is not None and publish_at > now:
        raise ValidationError(
            {
                "publish_at": _(
                    "This letter is already public: its publication date may move earlier, "
                    "not into the future."
                )
            }
        )


def _clean_text_values(values: Mapping[str, Any]) -> dict[str, str]:
    unknown = sorted(set(values) - set(TEXT_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    cleaned = {name: _text_value(name, value) for name, value in values.items()}
    if "title" in cleaned and not cleaned["title"]:
        raise ValidationError({"title": _("Give the text a title.")})
    if "body" in cleaned and not cleaned["body"]:
        raise ValidationError({"body": _("Write the text of the letter.")})
    return cleaned


def check_language(language: str) -> str:
    code = (language or "").strip().lower()
    try:
        validate_language_codes([code])
    except ValidationError as error:
        raise ValidationError({"language": error.messages}) from error
    return code


def _snapshot(letter: Letter) -> None:
    """Keep the texts of the letter's current version as they stand now."""
    texts = {
        text.language: {name: getattr(text, name) for name in TEXT_FIELDS}
        for text in letter.texts.all()
    }
    LetterVersion.objects.update_or_create(
        letter=letter,
        number=letter.version,
        defaults={"texts": texts, "addressees": letter.addressees},
    )


def _default_categories(letter: Letter, owner: Organisation) -> None:
    network = getattr(owner, "network", None)
    with override(letter.original_language):
        for position, (membership_category, _unused) in enumerate(_DEFAULT_GROUPS):
            if membership_category == MembershipCategory.MEMBER and network is not None:
                name = _("%(network)s and its members") % {"network": owner.name}
            else:
                name = str(GROUP_TITLES[membership_category])
            SignatoryCategory.objects.create(
                letter=letter,
                name=name[:120],
                position=position,
                membership_category=membership_category,
            )


def create_letter(
    *,
    actor: User,
    owner: Organisation,
    title: str,
    body: str,
    language: str,
    values: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> Letter:
    """Start a draft letter in its original language, with the default signatory groups."""
    language = check_language(language)
    letter_values = _clean_letter_values(values or {})
    text_values = _clean_text_values({"title": title, "body": body})
    letter = Letter(owner=owner, original_language=language, created_by=actor, **letter_values)
    _check_dates(letter)
    for _attempt in range(3):
        letter.slug = free_slug(Letter, owner, text_values["title"])
        try:
            with transaction.atomic():
                letter.save()
                LetterText.objects.create(letter=letter, language=language, **text_values)
                _default_categories(letter, owner)
                audit.record(
                    "letter.created",
                    actor=actor,
                    organisation=owner,
                    target=letter,
                    details={"language": language, "kind": letter.kind},
                    request=request,
                )
        except IntegrityError:
            # Another draft took the slug a moment ago; pick the next one.
            letter.pk = None
            continue
        return letter
    raise ValidationError(_("Could not give this letter an address; try again."))


def _refuse_if_withdrawn(letter: Letter) -> None:
    if letter.status == LetterStatus.WITHDRAWN:
        raise ValidationError(_("This letter was withdrawn; it can no longer change."))


def update_letter(
    *,
    actor: User,
    letter: Letter,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Letter:
    """Change the letter's details: addressees, dates, contact person, hashtags, order.

    Organisations signed a letter to its addressees: once anyone has signed, new addressees
    make a new version, of which every signatory is told, as a changed text does.
    """
    _refuse_if_withdrawn(letter)
    values = _clean_letter_values(changes)
    changed = sorted(name for name, value in values.items() if getattr(letter, name) != value)
    if not changed:
        return letter
    candidate = copy.copy(letter)
    for name in changed:
        setattr(candidate, name, values[name])
    if "publish_at" in changed:
        _check_publication_moves(letter, candidate)
    _check_dates(candidate)
    new_version = False
    with transaction.atomic():
        if "addressees" in changed and letter.status != LetterStatus.DRAFT:
            current = Letter.objects.select_for_update().get(pk=letter.pk)
            candidate.version = current.version
            new_version = access.has_live_signatures(current)
            if new_version:
                candidate.version += 1
                changed.append("version")
        candidate.save(update_fields=[*changed, "updated_at"])
        if "addressees" in changed and letter.status != LetterStatus.DRAFT:
            _snapshot(candidate)
        audit.record(
            "letter.updated",
            actor=actor,
            organisation=letter.owner,
            target=letter,
            details={"fields": changed, "version": candidate.version},
            request=request,
        )
        if new_version:
            from haven.letters.tasks import notify_text_changed

            letter_id, version = candidate.pk, candidate.version
            transaction.on_commit(lambda: notify_text_changed.enqueue(letter_id, version))
    return candidate


def save_text(
    *,
    actor: User,
    letter: Letter,
    language: str,
    values: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> LetterText:
    """Write the letter's full text in one language (a new translation or an edit).

    Once anyone has signed, a changed text makes a new version and every signatory is told.
    """
    _refuse_if_withdrawn(letter)
    language = check_language(language)
    cleaned = _clean_text_values(values)
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter.pk)
        text = letter.texts.filter(language=language).first()
        if text is None:
            missing = {"title", "body"} - set(cleaned)
            if missing:
                raise ValidationError({name: _("This field is required.") for name in missing})
            text = LetterText(letter=letter, language=language)
            changed = sorted(name for name, value in cleaned.items() if value)
        else:
            changed = sorted(
                name for name, value in cleaned.items() if getattr(text, name) != value
            )
            if not changed:
                return text
        for name, value in cleaned.items():
            setattr(text, name, value)
        new_version = letter.status != LetterStatus.DRAFT and access.has_live_signatures(letter)
        if new_version:
            letter.version += 1
            letter.save(update_fields=["version", "updated_at"])
        text.save()
        if letter.status != LetterStatus.DRAFT:
            _snapshot(letter)
        audit.record(
            "letter.text_saved",
            actor=actor,
            organisation=letter.owner,
            target=letter,
            details={"language": language, "fields": changed, "version": letter.version},
            request=request,
        )
        if new_version:
            from haven.letters.tasks import notify_text_changed

            letter_id, version = letter.pk, letter.version
            transaction.on_commit(lambda: notify_text_changed.enqueue(letter_id, version))
    return text


def remove_text(
    *, actor: User, letter: Letter, language: str, request: HttpRequest | None = None
) -> None:
    """Remove a translation (never the original) while the letter is a draft."""
    if letter.status != LetterStatus.DRAFT:
        raise ValidationError(_("Translations can only be removed from a draft."))
    if language == letter.original_language:
        raise ValidationError(_("The original text cannot be removed."))
    with transaction.atomic():
        deleted, _rows = letter.texts.filter(language=language).delete()
        if deleted:
            audit.record(
                "letter.text_removed",
                actor=actor,
                organisation=letter.owner,
                target=letter,
                details={"language": language},
                request=request,
            )


def move_letter(
    *,
    actor: User,
    letter: Letter,
    move: str,
    reason: str = "",
    publish_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Letter:
    """Open for signatures, close, publish (from ``publish_at``: an embargo) or withdraw."""
    if move not in MOVES:
        raise ValidationError({"move": _("Unknown step.")})
    starts, target = MOVES[move]
    reason = _text_value("reason", reason)[:2000]
    if move == "publish" and publish_at is not None and (problem := moment_problem(publish_at)):
        # As a publication date set under the details: 9999 would be an embargo for ever.
        raise ValidationError({"publish_at": problem})
    with transaction.atomic():
        letter = Letter.objects.select_for_update().select_related("owner").get(pk=letter.pk)
        if letter.status not in starts:
            raise ValidationError(
                _("A letter that is “%(status)s” cannot take this step.")
                % {"status": LetterStatus(letter.status).label}
            )
        now = timezone.now()
        fields = ["status", "updated_at"]
        if move == "open":
            letter.opened_at = letter.opened_at or now
            fields.append("opened_at")
        elif move == "close":
            letter.closed_at = now
            fields.append("closed_at")
        elif move == "publish":
            if letter.status == LetterStatus.OPEN:
                letter.closed_at = now
                fields.append("closed_at")
            letter.publish_at = publish_at or letter.publish_at or now
            # The moment the public page appears, which an embargo puts in the future.
            letter.published_at = max(now, letter.publish_at)
            fields += ["published_at", "publish_at"]
        elif move == "withdraw":
            if not reason:
                raise ValidationError({"reason": _("Say why the letter is withdrawn.")})
            letter.withdrawal_reason, letter.withdrawn_at = reason, now
            fields += ["withdrawal_reason", "withdrawn_at"]
        letter.status = target
        letter.save(update_fields=fields)
        if move == "open":
            _snapshot(letter)
        audit.record(
            f"letter.{move}",
            actor=actor,
            organisation=letter.owner,
            target=letter,
            details={"status": target, "signatures": access.approved_count(letter)},
            request=request,
        )
    return letter


# --- categories ---------------------------------------------------------------------------


def _clean_category(values: Mapping[str, Any], letter: Letter) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name or len(name) > 120:
            raise ValidationError({"name": _("Give a name of 1 to 120 characters.")})
        cleaned["name"] = name
    if "translations" in values:
        translations = values["translations"] or {}
        if not isinstance(translations, dict):
            raise ValidationError({"translations": _("Give a name per language.")})
        kept = {}
        for language, name in translations.items():
            text = str(name or "").strip()
            if len(text) > 120:
                raise ValidationError({"translations": _("Give a name of 1 to 120 characters.")})
            if text:
                kept[check_language(str(language))] = text
        cleaned["translations"] = kept
    if "position" in values:
        position = values["position"]
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 999:
            raise ValidationError({"position": _("Give a position from 0 to 999.")})
        cleaned["position"] = position
    if "open_to_requests" in values:
        cleaned["open_to_requests"] = bool(values["open_to_requests"])
    return cleaned


def add_category(
    *,
    actor: User,
    letter: Letter,
    name: str,
    translations: Mapping[str, str] | None = None,
    position: int | None = None,
    open_to_requests: bool = True,
    request: HttpRequest | None = None,
) -> SignatoryCategory:
    """Add a group of signatories at ``position`` in the letter's list, or at its end."""
    _refuse_if_withdrawn(letter)
    values: dict[str, Any] = {
        "name": name,
        "translations": dict(translations or {}),
        "open_to_requests": open_to_requests,
    }
    if position is not None:
        values["position"] = position
    cleaned = _clean_category(values, letter)
    wanted = cleaned.pop("position", None)
    last = letter.categories.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            category = SignatoryCategory.objects.create(
                letter=letter, position=(last if last is not None else -1) + 1, **cleaned
            )
            if wanted is not None and wanted < category.position:
                category.position = wanted
                _renumber(letter, category)
            audit.record(
                "letter.category_added",
                actor=actor,
                organisation=letter.owner,
                target=letter,
                details={"category_id": category.pk},
                request=request,
            )
    except IntegrityError as error:
        raise ValidationError(
            {"name": _("This letter already has a group of this name.")}
        ) from error
    return category


def _renumber(letter: Letter, moved: SignatoryCategory) -> None:
    """Put ``moved`` at its new position and number the groups 0, 1, 2… again."""
    others = [c for c in access.categories_of(letter) if c.pk != moved.pk]
    others.insert(min(moved.position, len(others)), moved)
    for index, category in enumerate(others):
        if category.position != index or category.pk == moved.pk:
            category.position = index
            category.save(update_fields=["position"])


def update_category(
    *,
    actor: User,
    category: SignatoryCategory,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> SignatoryCategory:
    """Rename a group, translate its name, move it, or close it to outside requests."""
    letter = category.letter
    _refuse_if_withdrawn(letter)
    cleaned = _clean_category(changes, letter)
    changed = sorted(name for name, value in cleaned.items() if getattr(category, name) != value)
    if not changed:
        return category
    for name in changed:
        setattr(category, name, cleaned[name])
    try:
        with transaction.atomic():
            category.save(update_fields=changed)
            if "position" in changed:
                _renumber(letter, category)
            audit.record(
                "letter.category_updated",
                actor=actor,
                organisation=letter.owner,
                target=letter,
                details={"category_id": category.pk, "fields": changed},
                request=request,
            )
    except IntegrityError as error:
        raise ValidationError(
            {"name": _("This letter already has a group of this name.")}
        ) from error
    return category


def delete_category(
    *, actor: User, category: SignatoryCategory, request: HttpRequest | None = None
) -> None:
    """Remove a group that no signature uses."""
    letter = category.letter
    if OrganisationSignature.objects.filter(letter=letter, category=category).exists():
        raise ValidationError(_("Move this group's signatories to another group first."))
    with transaction.atomic():
        category_id = category.pk
        category.delete()
        audit.record(
            "letter.category_deleted",
            actor=actor,
            organisation=letter.owner,
            target=letter,
            details={"category_id": category_id},
            request=request,
        )


def _category_for_membership(letter: Letter, membership_category: str) -> SignatoryCategory | None:
    wanted = _CATEGORY_OF_MEMBERSHIP.get(membership_category, membership_category)
    categories = access.categories_of(letter)
    for category in categories:
        if category.membership_category == wanted:
            return category
    return categories[0] if categories else None


def _check_category(letter: Letter, category: SignatoryCategory | None) -> None:
    if category is not None and category.letter_id != letter.pk:
        raise ValidationError({"category": _("Choose one of this letter's groups.")})


# --- signatures by organisations in Haven -------------------------------------------------


def _check_accepts(letter: Letter) -> None:
    if not access.accepts_signatures(letter):
        raise ValidationError(_("This letter is not open for signatures."))


def sign_as_organisation(
    *,
    actor: User,
    letter: Letter,
    organisation: Organisation,
    signer_role: str = "",
    category: SignatoryCategory | None = None,
    request: HttpRequest | None = None,
) -> OrganisationSignature:
    """Sign the letter in the organisation's name, in one step.

    The owner and members of the owner's network count at once; any other organisation in
    Haven waits for the owner's approval.
    """
    _check_accepts(letter)
    _check_category(letter, category)
    membership = access.membership_in_owner_network(letter, organisation)
    trusted = organisation.pk == letter.owner_id or membership is not None
    if category is None:
        if organisation.pk == letter.owner_id:
            membership_category: str = MembershipCategory.MEMBER
        elif membership is not None:
            membership_category = membership.category
        else:
            membership_category = MembershipCategory.DOMESTIC_NGO
        category = _category_for_membership(letter, membership_category)
    now = timezone.now()
    signature = OrganisationSignature(
        letter=letter,
        organisation=letter.owner,
        signatory=organisation,
        name=organisation.name,
        country=organisation.country,
        website=organisation.website,
        category=category,
        signer_name=actor.display_name[:200],
        signer_role=_text_value("signer_role", signer_role)[:200],
        signer_email=actor.email,
        language=letter.original_language,
        status=SignatureStatus.APPROVED if trusted else SignatureStatus.PENDING,
        version=letter.version,
        signed_by=actor,
        confirmed_at=now,
        decided_at=now if trusted else None,
    )
    try:
        with transaction.atomic():
            signature.save()
            audit.record(
                "letter.signed",
                actor=actor,
                organisation=organisation,
                target=letter,
                details={"status": signature.status, "version": letter.version},
                request=request,
            )
    except IntegrityError as error:
        raise ValidationError(
            _("%(name)s has already signed this letter.") % {"name": organisation.name}
        ) from error
    return signature


def withdraw_signature(
    *,
    actor: User,
    signature: OrganisationSignature,
    request: HttpRequest | None = None,
) -> OrganisationSignature:
    """Take the organisation's signature back while the letter is still open."""
    letter = signature.letter
    if letter.status != LetterStatus.OPEN:
        raise ValidationError(_("Signatures can be withdrawn only while the letter is open."))
    with transaction.atomic():
        signature.status = SignatureStatus.WITHDRAWN
        signature.decided_at = timezone.now()
        signature.save(update_fields=["status", "decided_at"])
        audit.record(
            "letter.signature_withdrawn",
            actor=actor,
            organisation=signature.signatory,
            target=letter,
            details={"signature_id": str(signature.pk)},
            request=request,
        )
    return signature


def confirm_version(
    *, actor: User, signature: OrganisationSignature, request: HttpRequest | None = None
) -> OrganisationSignature:
    """Sign again after the text changed: the signature now stands for the current version."""
    letter = signature.letter
    _check_accepts(letter)
    if signature.version == letter.version:
        return signature
    with transaction.atomic():
        signature.version = letter.version
        signature.save(update_fields=["version"])
        audit.record(
            "letter.version_confirmed",
            actor=actor,
            organisation=signature.signatory,
            target=letter,
            details={"version": letter.version},
            request=request,
        )
    return signature


# --- requests from organisations outside Haven ---------------------------------------------

REQUEST_FIELDS = ("name", "country", "website", "signer_name", "signer_role", "signer_email")


def request_signature(
    *,
    letter: Letter,
    name: str,
    country: str,
    signer_name: str,
    signer_email: str,
    signer_role: str = "",
    website: str = "",
    category: SignatoryCategory | None = None,
    language: str = "en",
) -> OrganisationSignature | None:
    """An outside organisation asks to sign; an e-mail asks its signer to confirm.

    Returns None, and sends nothing, when this organisation already asked or signed, so the
    answer never reveals who has signed (the caller shows the same page either way).
    """
    _check_accepts(letter)
    _check_category(letter, category)
    if category is not None and not category.open_to_requests:
        raise ValidationError({"category": _("Choose one of this letter's groups.")})
    if category is None:
        # The page offers only the groups open to outside organisations, and none when the
        # owner closed them all; the API may leave the group out: the last open one.
        open_ones = [found for found in access.categories_of(letter) if found.open_to_requests]
        if not open_ones:
            raise ValidationError(_("This letter is not open for signatures."))
        category = open_ones[-1]
    # The form checks these too; the public API reaches this action without it, and a
    # request the owner could not read or approve must not reach them.
    name, signer_name, signer_role = name.strip(), signer_name.strip(), signer_role.strip()
    country = country.strip().upper()
    if not name or len(name) > 200:
        raise ValidationError({"name": _("Give the organisation's name (at most 200 characters).")})
    if not signer_name or len(signer_name) > 200:
        raise ValidationError({"signer_name": _("Give your name (at most 200 characters).")})
    if len(signer_role) > 200:
        raise ValidationError({"signer_role": _("Give a role of at most 200 characters.")})
    if country not in countries:
        raise ValidationError({"country": _("Choose a country from the list.")})
    if not is_language_code(language):
        raise ValidationError({"language": _("Unknown language.")})
    if access.live_request_from(letter, name, country) is not None:
        return None
    signature = OrganisationSignature(
        letter=letter,
        organisation=letter.owner,
        name=name,
        country=country,
        website=website,
        category=category,
        signer_name=signer_name,
        signer_role=signer_role,
        signer_email=signer_email,
        language=language,
        status=SignatureStatus.UNCONFIRMED,
        version=letter.version,
    )
    with transaction.atomic():
        signature.save()
        from haven.letters.tasks import send_request_confirmation

        signature_id = str(signature.pk)
        transaction.on_commit(lambda: send_request_confirmation.enqueue(signature_id))
    return signature


def confirm_request(*, signature: OrganisationSignature) -> OrganisationSignature:
    """The signer followed the e-mail link: the request now waits for the owner's decision."""
    if signature.status != SignatureStatus.UNCONFIRMED:
        return signature
    with transaction.atomic():
        updated = OrganisationSignature.objects.filter(
            pk=signature.pk, status=SignatureStatus.UNCONFIRMED
        ).update(status=SignatureStatus.PENDING, confirmed_at=timezone.now())
        if updated:
            signature.refresh_from_db()
    return signature


def _directory_entry_for(
    *,
    actor: User,
    signature: OrganisationSignature,
    chosen: Organisation | None,
    request: HttpRequest | None,
) -> Organisation:
    if chosen is not None:
        return chosen
    if signature.signatory_id is not None:
        return signature.signatory  # type: ignore[return-value]
    existing = directory.same_organisation(signature.name, str(signature.country or ""))
    if existing is not None:
        return existing
    return create_organisation(
        actor=actor,
        acting_organisation=signature.letter.owner,
        organisation_values={
            "name": signature.name,
            "country": str(signature.country or ""),
            "website": signature.website,
        },
        request=request,
    )


def decide_request(
    *,
    actor: User,
    signature: OrganisationSignature,
    approve: bool,
    category: SignatoryCategory | None = None,
    directory_entry: Organisation | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> OrganisationSignature:
    """Approve a confirmed request (linking it to a directory entry, new or existing) or
    reject it; the signer hears either way."""
    letter = signature.letter
    _refuse_if_withdrawn(letter)
    _check_category(letter, category)
    if signature.status != SignatureStatus.PENDING:
        raise ValidationError(_("Only confirmed requests waiting for approval can be decided."))
    reason = _text_value("reason", reason)[:500]
    if not approve and not reason:
        # The signer receives the reason: a bare "rejected" leaves them no way to answer.
        raise ValidationError({"reason": _("Say why the request is rejected; the signer is told.")})
    if approve and directory_entry is not None:
        # Linking shows the signer's name and e-mail to the entry's staff: only an entry the
        # owner was offered for this request, as on the page, may be chosen.
        offered = access.directory_suggestions(signature.name, str(signature.country or ""))
        if directory_entry not in offered:
            raise ValidationError(
                _("Link the request to a directory entry suggested for it, or to a new one.")
            )
    with transaction.atomic():
        if approve:
            entry = _directory_entry_for(
                actor=actor, signature=signature, chosen=directory_entry, request=request
            )
            already = access.signature_of(letter, entry)
            if already is not None and already.pk != signature.pk:
                raise ValidationError(
                    _("%(name)s has already signed this letter.") % {"name": entry.name}
                )
            signature.signatory = entry
            signature.status = SignatureStatus.APPROVED
            if category is not None:
                signature.category = category
        else:
            signature.status = SignatureStatus.REJECTED
            signature.rejection_reason = reason
        signature.decided_at, signature.decided_by = timezone.now(), actor
        try:
            with transaction.atomic():
                signature.save()
        except IntegrityError as error:
            raise ValidationError(_("This organisation has already signed this letter.")) from error
        audit.record(
            "letter.request_approved" if approve else "letter.request_rejected",
            actor=actor,
            organisation=letter.owner,
            target=letter,
            details={
                "signature_id": str(signature.pk),
                "organisation_id": signature.signatory_id or "",
            },
            request=request,
        )
        from haven.letters.tasks import send_decision

        signature_id = str(signature.pk)
        transaction.on_commit(lambda: send_decision.enqueue(signature_id))
    return signature


def arrange_signature(
    *,
    actor: User,
    signature: OrganisationSignature,
    category: SignatoryCategory | None = None,
    position: int | None = None,
    request: HttpRequest | None = None,
) -> OrganisationSignature:
    """Move a signatory to another group or place in the list."""
    letter = signature.letter
    _refuse_if_withdrawn(letter)
    _check_category(letter, category)
    changed = []
    if category is not None and category.pk != signature.category_id:
        signature.category = category
        changed.append("category")
    if position is not None:
        if not 0 <= position <= 100_000:
            raise ValidationError({"position": _("Give a position from 0 to 100000.")})
        if position != signature.position:
            signature.position = position
            changed.append("position")
    if not changed:
        return signature
    with transaction.atomic():
        signature.save(update_fields=changed)
        audit.record(
            "letter.signature_arranged",
            actor=actor,
            organisation=letter.owner,
            target=letter,
            details={"signature_id": str(signature.pk), "fields": changed},
            request=request,
        )
    return signature


def stale_requests(now: datetime) -> QuerySet[OrganisationSignature]:
    """Requests and signatures whose signer's details are kept no longer: rejected,
    withdrawn or left unconfirmed ``FORGET_REQUESTS_AFTER`` ago (counted from the decision
    or withdrawal, both in ``decided_at``, or from the link's expiry)."""
    cutoff = now - FORGET_REQUESTS_AFTER
    expired_before = cutoff - timedelta(days=access.CONFIRM_DAYS)
    return OrganisationSignature.objects.filter(
        Q(
            status__in=[SignatureStatus.REJECTED, SignatureStatus.WITHDRAWN],
            decided_at__lt=cutoff,
        )
        | Q(status=SignatureStatus.UNCONFIRMED, requested_at__lt=expired_before),
        forgotten_at__isnull=True,
    )


def forget_requests(*, letter: Letter, now: datetime) -> int:
    """Blank the signer's name, role and e-mail of the letter's stale requests and withdrawn
    signatures; the organisation, country, status and dates stay for the owner's record."""
    with transaction.atomic():
        count = (
            stale_requests(now)
            .filter(letter=letter)
            .update(signer_name="", signer_role="", signer_email="", forgotten_at=now)
        )
        if count:
            audit.record(
                "letter.requests_forgotten",
                actor=None,
                organisation=letter.owner,
                target=letter,
                details={"count": count},
            )
    return count


def note_export(
    *, actor: User, letter: Letter, rows: int, file_format: str, request: HttpRequest | None = None
) -> None:
    """Record that the owner exported the signatories (with their signers' contacts)."""
    audit.record(
        "letter.signatures_exported",
        actor=actor,
        organisation=letter.owner,
        target=letter,
        details={"rows": rows, "format": file_format},
        request=request,
    )
