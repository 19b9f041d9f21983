"""Every change to the directory: organisations, and their memberships of a network."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from datetime import date
from functools import partial
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from haven.accounts import actions as accounts
from haven.accounts.models import Invitation, RoleAssignment, User
from haven.accounts.permissions import Role, assignable_roles, role_labels
from haven.dates import filter_date_problem
from haven.organisations import access
from haven.organisations.models import (
    Membership,
    MembershipCategory,
    Network,
    Organisation,
    OrganisationKind,
)
from haven.organisations.tasks import send_membership_notice
from haven.privacy import audit

ORGANISATION_FIELDS = ("name", "short_name", "kind", "country", "city", "website", "languages")
MEMBERSHIP_FIELDS = ("category", "since", "until")
_TEXT_FIELDS = ("name", "short_name", "kind", "country", "city", "website")


DuplicateChange = Literal["joining", "entry", "renaming"]


class DuplicateOrganisation(ValidationError):
    """Refusal of a name and country the directory already holds; names the existing entry,
    and says what to do for the change refused: ``joining`` a network, adding a bare
    ``entry``, or ``renaming`` one."""

    def __init__(self, existing: Organisation, *, change: DuplicateChange = "joining") -> None:
        self.existing = existing
        if change == "renaming":
            message = _(
                "Another organisation in the directory already has this name in this "
                "country: %(name)s (%(country)s, id %(id)s). Choose a name that tells them "
                "apart."
            )
        elif change == "entry":
            message = _("%(name)s (%(country)s) is already in the directory (id %(id)s).")
        else:
            message = _(
                "%(name)s (%(country)s) is already in the directory (id %(id)s): "
                "add it as a member instead."
            )
        country = existing.country.name if existing.country else _("no country")
        super().__init__(
            {"name": message % {"name": existing.name, "country": country, "id": existing.pk}}
        )


class PossibleDuplicate(ValidationError):
    """Refusal, until confirmed, of a new organisation whose name the directory holds in
    another country (or in any, when no country is given); names those entries."""

    def __init__(self, similar: list[Organisation]) -> None:
        self.similar = similar
        entries = ", ".join(
            _("%(name)s (%(country)s, id %(id)s)")
            % {
                "name": found.name,
                "country": found.country.name if found.country else _("no country"),
                "id": found.pk,
            }
            for found in similar
        )
        super().__init__(
            {
                "name": _(
                    "The directory already has an organisation of this name: %(entries)s. "
                    "If it is the same one, add it as a member instead; if it is another, "
                    "confirm that it is."
                )
                % {"entries": entries}
            }
        )


def _normalise_organisation_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(ORGANISATION_FIELDS))
    if unknown:
        raise ValidationError(
            _("Unknown organisation fields: %(fields)s") % {"fields": ", ".join(unknown)}
        )
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field in _TEXT_FIELDS:
            cleaned[field] = "" if value is None else str(value).strip()
        elif field == "languages":
            cleaned[field] = _normalise_languages(value)
    if "country" in cleaned:
        cleaned["country"] = cleaned["country"].upper()
    return cleaned


def _normalise_languages(value: object) -> object:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        # Keep the order the user gave, drop repeats; odd items are left for the validator.
        seen: list[object] = []
        for item in value:
            code = item.strip().lower() if isinstance(item, str) else item
            if code not in seen:
                seen.append(code)
        return seen
    return value


def _check_organisation(organisation: Organisation, *, change: DuplicateChange) -> None:
    errors: dict[str, list[str]] = {}
    try:
        organisation.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = {field: list(messages) for field, messages in error.message_dict.items()}
    website = organisation.website
    if website and not website.lower().startswith(("http://", "https://")):
        errors.setdefault("website", []).append(
            _("Give the website as an address starting with http:// or https://.")
        )
    if errors:
        raise ValidationError(errors)
    duplicate = access.same_organisation(
        organisation.name, str(organisation.country or ""), exclude_id=organisation.pk
    )
    if duplicate is not None:
        raise DuplicateOrganisation(duplicate, change=change)


def _check_dates(days: Mapping[str, date | None]) -> None:
    # The bounds of every date the project's lists take: from 2000 on (a 0001-01-01 would sort
    # first and open the membership for ever) and at most ten years ahead (9999-12-31 is a
    # slip, and a fixed term is never agreed further ahead).
    errors = {
        field: problem
        for field, day in days.items()
        if day is not None and (problem := filter_date_problem(day))
    }
    if errors:
        raise ValidationError(errors)


def _check_period(since: date | None, until: date | None) -> None:
    if since is not None and until is not None and until < since:
        raise ValidationError(
            {
                "until": _("A membership cannot end (%(until)s) before it starts (%(since)s).")
                % {"until": until.isoformat(), "since": since.isoformat()}
            }
        )


def _check_category(category: str) -> None:
    if category not in MembershipCategory.values:
        raise ValidationError(
            {
                "category": _("Choose one of: %(choices)s")
                % {"choices": ", ".join(MembershipCategory.values)}
            }
        )


def _overlapping(
    network: Network,
    organisation: Organisation,
    since: date | None,
    until: date | None,
    *,
    exclude_id: int | None = None,
) -> Membership | None:
    """Another membership of the same organisation in the network that shares some days."""
    others = network.memberships.select_for_update().filter(organisation=organisation)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    start = since or date.min
    if until is not None:
        others = others.filter(Q(since__isnull=True) | Q(since__lte=until))
    return others.filter(Q(until__isnull=True) | Q(until__gte=start)).first()


def _refuse_overlap(existing: Membership) -> None:
    if existing.until is None:
        message = _("%(name)s is already a member of this network (open membership).")
    else:
        message = _("%(name)s already has a membership of this network until %(until)s.")
    raise ValidationError(
        {
            "organisation": message
            % {
                "name": existing.organisation.name,
                "until": existing.until.isoformat() if existing.until else "",
            }
        }
    )


def _record_change(
    action: str,
    *,
    actor: User,
    by: Organisation,
    subject: Organisation,
    target: Membership | Organisation,
    details: Mapping[str, Any],
    request: HttpRequest | None,
) -> None:
    # In the trail of the organisation making the change and of the one it is about, so the
    # subject's data protection officer sees what a network did to its entry.
    for organisation in (by, subject) if subject.pk != by.pk else (by,):
        audit.record(
            action,
            actor=actor,
            organisation=organisation,
            target=target,
            details=details,
            request=request,
        )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "organisation"
    if not Organisation.objects.filter(slug=base).exists():
        return base
    for number in range(2, 100):
        candidate = f"{base}-{number}"
        if not Organisation.objects.filter(slug=candidate).exists():
            return candidate
    return f"{base}-{secrets.token_hex(3)}"


def _save_new_organisation(organisation: Organisation) -> None:
    # Two coordinators may pick the same slug at once; the loser tries again.
    for _attempt in range(3):
        organisation.slug = _unique_slug(organisation.name)
        try:
            with transaction.atomic():
                organisation.save()
        except IntegrityError:
            continue
        return
    raise ValidationError(_("Could not give this organisation an address; try again."))


def _membership_for_new(
    *,
    network: Network,
    organisation: Organisation,
    category: str,
    since: date | None,
    until: date | None,
) -> Membership:
    _check_category(category)
    _check_dates({"since": since, "until": until})
    _check_period(since, until)
    existing = _overlapping(network, organisation, since, until)
    if existing is not None:
        _refuse_overlap(existing)
    try:
        with transaction.atomic():
            return Membership.objects.create(
                network=network,
                organisation=organisation,
                category=category,
                since=since,
                until=until,
            )
    except IntegrityError as error:
        # Another coordinator added the same organisation a moment ago.
        raise ValidationError(
            {
                "organisation": _("%(name)s is already a member of this network.")
                % {"name": organisation.name}
            }
        ) from error


def create_member_organisation(
    *,
    actor: User,
    network: Network,
    organisation_values: Mapping[str, Any],
    category: str = MembershipCategory.MEMBER,
    since: date | None = None,
    confirm_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> Membership:
    """Add a new organisation to the directory and make it a member of the network;
    refused with ``PossibleDuplicate`` while its name is in the directory in another
    country (or in any, without a country) and ``confirm_duplicate`` is not given."""
    values = _normalise_organisation_values(organisation_values)
    values.setdefault("kind", OrganisationKind.NGO)
    organisation = Organisation(**values)
    _check_organisation(organisation, change="joining")
    _check_category(category)
    # The same name in the same country is refused outright (_check_organisation); in
    # another country, or with none given, it is often the same organisation entered again.
    similar = access.same_name_elsewhere(organisation.name, str(organisation.country or ""))
    if similar and not confirm_duplicate:
        raise PossibleDuplicate(similar)
    with transaction.atomic():
        _save_new_organisation(organisation)
        membership = _membership_for_new(
            network=network, organisation=organisation, category=category, since=since, until=None
        )
        _record_change(
            "directory.organisation_created",
            actor=actor,
            by=network.organisation,
            subject=organisation,
            target=organisation,
            details={
                "fields": sorted(field for field, value in values.items() if value),
                "membership_id": membership.pk,
                **({"same_name_as": [found.pk for found in similar]} if similar else {}),
            },
            request=request,
        )
    return membership


def add_membership(
    *,
    actor: User,
    network: Network,
    organisation: Organisation,
    category: str = MembershipCategory.MEMBER,
    since: date | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    """Make an organisation already in the directory a member of the network."""
    if organisation.pk == network.organisation_id:
        raise ValidationError({"organisation": _("A network cannot be a member of itself.")})
    with transaction.atomic():
        membership = _membership_for_new(
            network=network, organisation=organisation, category=category, since=since, until=None
        )
        _record_change(
            "directory.membership_added",
            actor=actor,
            by=network.organisation,
            subject=organisation,
            target=membership,
            details={"fields": ["category", *(["since"] if since else [])]},
            request=request,
        )
        # Listing is public and grants the network nothing over the member, but nobody there
        # agreed to it in Haven: its admins hear of it at once.
        if access.has_staff(organisation):
            transaction.on_commit(partial(send_membership_notice.enqueue, membership.pk, actor.pk))
    return membership


def check_may_edit_entry(acting_organisation: Organisation, organisation: Organisation) -> None:
    """Refuse, saying why, a change of ``organisation``'s directory entry by
    ``acting_organisation``: its own (with organisation.edit_profile), or, for the network
    it runs, a member's without staff of its own whose membership has not ended."""
    if organisation.pk == acting_organisation.pk:
        return
    network = Network.objects.filter(organisation=acting_organisation).first()
    if network is None:
        raise Http404
    if access.has_staff(organisation):
        raise ValidationError(
            _(
                "%(name)s has its own staff on Haven: only its admins change its directory "
                "entry. Ask them to correct it."
            )
            % {"name": organisation.name}
        )
    if not access.is_member_now_or_later(network, organisation):
        raise ValidationError(
            _(
                "%(name)s is no longer a member of the network: its directory entry is no "
                "longer the network's to change."
            )
            % {"name": organisation.name}
        )


def check_may_invite_first_admin(network: Network, organisation: Organisation) -> None:
    """Refuse, saying why, the network's invitation of a first admin to ``organisation``: it
    must be a member (or joining) with no staff on Haven yet."""
    # Nobody in the member can invite anyone until it has an admin; once it has staff,
    # whom it lets in is its own admins' business, never the network's.
    if access.has_staff(organisation):
        raise ValidationError(
            _(
                "%(name)s already has staff on Haven: its organisation admins invite their "
                "colleagues."
            )
            % {"name": organisation.name}
        )
    if not access.is_member_now_or_later(network, organisation):
        raise ValidationError(
            _("%(name)s is no longer a member of the network.") % {"name": organisation.name}
        )


def invite_first_admin(
    *,
    actor: User,
    network: Network,
    organisation: Organisation,
    email: str,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite the first organisation admin of a member that has no staff on Haven yet."""
    check_may_invite_first_admin(network, organisation)
    with transaction.atomic():
        # Recorded as invitation.sent in the member's trail by the accounts action.
        invitation = accounts.invite_user(
            actor=actor,
            organisation=organisation,
            email=email,
            roles=[Role.ORGANISATION_ADMIN],
            request=request,
        )
        audit.record(
            "directory.first_admin_invited",
            actor=actor,
            organisation=network.organisation,
            target=organisation,
            details={"invitation_id": invitation.pk},
            request=request,
        )
    return invitation


def revoke_first_admin_invitation(
    *,
    actor: User,
    network: Network,
    organisation: Organisation,
    invitation: Invitation,
    request: HttpRequest | None = None,
) -> None:
    """Withdraw a waiting invitation of a member's first admin (sent to a wrong address, say)."""
    # While the member has no staff, every invitation waiting was sent by the network; once
    # it has staff, its invitations are its admins' to manage. A membership that ended does
    # not stop the network withdrawing what it sent.
    if access.has_staff(organisation):
        raise ValidationError(
            _(
                "%(name)s already has staff on Haven: its organisation admins manage its "
                "invitations."
            )
            % {"name": organisation.name}
        )
    with transaction.atomic():
        # Recorded as invitation.revoked in the member's trail by the accounts action.
        accounts.revoke_invitation(actor=actor, invitation=invitation, request=request)
        audit.record(
            "directory.first_admin_invitation_revoked",
            actor=actor,
            organisation=network.organisation,
            target=organisation,
            details={"invitation_id": invitation.pk},
            request=request,
        )


def _check_network_keeps_kind(organisation: Organisation) -> None:
    # A network is coordinated by its organisation's network coordinators, a role only an
    # organisation of type network can give: under another type, nobody could ever
    # coordinate it again.
    if (
        organisation.kind != OrganisationKind.NETWORK
        and Network.objects.filter(organisation=organisation).exists()
    ):
        raise ValidationError(
            {
                "kind": _(
                    "An organisation that runs a network must stay of type Network: only "
                    "that type can have the network coordinators who coordinate it."
                )
            }
        )


def _check_roles_fit_kind(organisation: Organisation) -> None:
    # A role the new type does not allow would stay held, and keep its powers, where it
    # could no longer be given: the change waits until no one holds it and no open
    # invitation offers it, rather than taking roles away unasked. Role changes and
    # invitations of the organisation take turns with this on its row, so none slips in.
    accounts.lock_role_changes(organisation)
    allowed = assignable_roles(organisation.kind)
    held = RoleAssignment.objects.filter(organisation=organisation).values_list("role", flat=True)
    offered = [
        role
        for roles in Invitation.unscoped.filter(
            organisation=organisation,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).values_list("roles", flat=True)
        for role in roles
    ]
    refused = sorted({role for role in (*held, *offered) if role not in allowed})
    if refused:
        raise ValidationError(
            {
                "kind": _(
                    "An organisation of type %(kind)s cannot have these roles, which its "
                    "staff hold or open invitations offer: %(roles)s. Take them away and "
                    "revoke those invitations before changing its type."
                )
                % {
                    "kind": OrganisationKind(organisation.kind).label,
                    "roles": ", ".join(role_labels(refused)),
                }
            }
        )


def update_organisation(
    *,
    actor: User,
    acting_organisation: Organisation,
    organisation: Organisation,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Organisation:
    """Change a directory entry: an admin their own, a coordinator a member's that has no
    staff of its own (see ``check_may_edit_entry``)."""
    check_may_edit_entry(acting_organisation, organisation)
    values = _normalise_organisation_values(changes)
    changed = sorted(
        field for field, value in values.items() if getattr(organisation, field) != value
    )
    if not changed:
        return organisation
    candidate = copy.copy(organisation)
    for field in changed:
        setattr(candidate, field, values[field])
    _check_organisation(candidate, change="renaming")
    with transaction.atomic():
        if "kind" in changed:
            _check_network_keeps_kind(candidate)
            _check_roles_fit_kind(candidate)
        candidate.save(update_fields=[*changed, "updated_at"])
        _record_change(
            "directory.organisation_updated",
            actor=actor,
            by=acting_organisation,
            subject=candidate,
            target=candidate,
            details={"fields": changed},
            request=request,
        )
    return candidate


def update_membership(
    *,
    actor: User,
    membership: Membership,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Membership:
    """Change a membership's category or its dates."""
    unknown = sorted(set(changes) - set(MEMBERSHIP_FIELDS))
    if unknown:
        raise ValidationError(
            _("Unknown membership fields: %(fields)s") % {"fields": ", ".join(unknown)}
        )
    changed = sorted(
        field for field, value in changes.items() if getattr(membership, field) != value
    )
    if not changed:
        return membership
    category = str(changes.get("category", membership.category))
    since = changes.get("since", membership.since)
    until = changes.get("until", membership.until)
    _check_category(category)
    _check_dates({field: changes[field] for field in ("since", "until") if field in changed})
    _check_period(since, until)
    with transaction.atomic():
        network = membership.network
        existing = _overlapping(
            network, membership.organisation, since, until, exclude_id=membership.pk
        )
        if existing is not None:
            _refuse_overlap(existing)
        membership.category, membership.since, membership.until = category, since, until
        membership.save(update_fields=["category", "since", "until"])
        _record_change(
            "directory.membership_updated",
            actor=actor,
            by=network.organisation,
            subject=membership.organisation,
            target=membership,
            details={"fields": changed},
            request=request,
        )
    return membership


def check_end_membership(membership: Membership, until: date | None = None) -> date:
    """The day a membership would end on (``until``, else today), or a refusal saying why
    it cannot end then."""
    today = timezone.localdate()
    until = until or today
    if membership.until is not None and membership.until < today:
        raise ValidationError(
            {
                "until": _("This membership already ended on %(until)s.")
                % {"until": membership.until.isoformat()}
            }
        )
    _check_dates({"until": until})
    if membership.since is not None and membership.since > today and until < membership.since:
        raise ValidationError(
            {
                "until": _(
                    "This membership has not started yet (it starts on %(since)s): change its "
                    "dates, or delete it if it was entered by mistake."
                )
                % {"since": membership.since.isoformat()}
            }
        )
    _check_period(membership.since, until)
    return until


def end_membership(
    *,
    actor: User,
    membership: Membership,
    until: date | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    """End a membership on ``until`` (today if not given)."""
    until = check_end_membership(membership, until)
    with transaction.atomic():
        membership.until = until
        membership.save(update_fields=["until"])
        _record_change(
            "directory.membership_ended",
            actor=actor,
            by=membership.network.organisation,
            subject=membership.organisation,
            target=membership,
            details={"fields": ["until"]},
            request=request,
        )
    return membership


def check_delete_membership(membership: Membership) -> None:
    """Refuse, saying why, deleting a membership: one that figures the member sent rest on
    must be ended instead."""
    if access.reports_rest_on(membership):
        raise ValidationError(
            _(
                "%(name)s sent figures to the network during this membership: end it instead, "
                "so that what it sent keeps its place."
            )
            % {"name": membership.organisation.name}
        )


def delete_membership(
    *, actor: User, membership: Membership, request: HttpRequest | None = None
) -> None:
    """Remove a membership entered by mistake; one that sent figures rest on is refused."""
    check_delete_membership(membership)
    organisation = membership.organisation
    with transaction.atomic():
        # Recorded first, while the membership still has its id; the details keep what it was.
        _record_change(
            "directory.membership_deleted",
            actor=actor,
            by=membership.network.organisation,
            subject=membership.organisation,
            target=membership,
            details={
                "category": membership.category,
                "since": membership.since.isoformat() if membership.since else "",
                "until": membership.until.isoformat() if membership.until else "",
            },
            request=request,
        )
        membership.delete()
        # Without a membership the network's first-admin pages answer 404, so nobody could
        # withdraw an invitation it sent, and its link would still make someone the admin.
        for invitation in access.first_admin_invitations_left(membership.network, organisation):
            revoke_first_admin_invitation(
                actor=actor,
                network=membership.network,
                organisation=organisation,
                invitation=invitation,
                request=request,
            )


def create_organisation(
    *,
    actor: User,
    acting_organisation: Organisation,
    organisation_values: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Organisation:
    """Add an organisation to the directory without making it a member of anything.

    For organisations that sign a letter from outside Haven; refused with
    ``DuplicateOrganisation`` when the directory already holds it.
    """
    values = _normalise_organisation_values(organisation_values)
    values.setdefault("kind", OrganisationKind.NGO)
    organisation = Organisation(**values)
    _check_organisation(organisation, change="entry")
    with transaction.atomic():
        _save_new_organisation(organisation)
        _record_change(
            "directory.organisation_created",
            actor=actor,
            by=acting_organisation,
            subject=organisation,
            target=organisation,
            details={"fields": sorted(field for field, value in values.items() if value)},
            request=request,
        )
    return organisation
