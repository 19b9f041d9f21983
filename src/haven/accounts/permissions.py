"""Roles and the named permissions they grant, per organisation.

Views and API operations declare a permission name from ``PERMISSIONS``; an unknown
name fails at import time, so a typo can never open a route.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    HELPLINE_OPERATOR = "helpline_operator", _("Helpline operator")
    ORGANISATION_ADMIN = "organisation_admin", _("Organisation admin")
    ADVOCACY_OFFICER = "advocacy_officer", _("Advocacy officer")
    DATA_PROTECTION_OFFICER = "data_protection_officer", _("Data protection officer")
    VIEWER = "viewer", _("Viewer")
    NETWORK_COORDINATOR = "network_coordinator", _("Network coordinator")
    DOOR_STAFF = "door_staff", _("Door staff")


PERMISSIONS: dict[str, str] = {
    "organisation.view_dashboard": "See the organisation's dashboard",
    "organisation.edit_profile": "Change the organisation's directory entry",
    "accounts.manage_users": "Invite staff, give and take away roles",
    "audit.view": "Browse the audit trail",
    "network.manage_members": "Manage the network's member organisations",
    "casework.view_person": "See the people the organisation supports",
    "casework.view_identity": "See identifying details of people supported",
    "casework.edit": "Record people, cases and services",
    "casework.export": "Export casework data",
    "casework.record_service": "Record services given",
    "casework.manage_settings": "Set terminology, retention, the service catalogue and shelters",
    "casework.view_retention": "See the retention periods and what the last retention run removed",
    "casework.import": "Import people and services from files",
    "casework.erase": "Erase a person's data on request",
    "helpline.log_call": "Log helpline calls",
    "advocacy.manage": "Draft letters, petitions and events",
    "advocacy.sign_for_organisation": "Sign joint letters in the organisation's name",
    "events.check_in": "Check registrants in at the door of the organisation's events",
    "reporting.submit": "Prepare and send the organisation's reports to its networks",
    "reporting.coordinate": "Run the network's reporting periods and publish its figures",
}

_EVERYONE = {"organisation.view_dashboard"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CASEWORKER: frozenset(
        _EVERYONE
        | {
            "casework.view_person",
            "casework.view_identity",
            "casework.edit",
            "casework.record_service",
            "casework.import",
            "helpline.log_call",
        }
    ),
    Role.HELPLINE_OPERATOR: frozenset(
        _EVERYONE | {"casework.view_person", "casework.record_service", "helpline.log_call"}
    ),
    Role.ORGANISATION_ADMIN: frozenset(
        _EVERYONE
        | {
            "organisation.edit_profile",
            "accounts.manage_users",
            "casework.view_person",
            "casework.export",
            "casework.manage_settings",
            "casework.view_retention",
            # No casework.import: importing people needs casework.edit and importing
            # services casework.record_service, as recording them by hand does.
            "advocacy.sign_for_organisation",
            "reporting.submit",
        }
    ),
    Role.ADVOCACY_OFFICER: frozenset(
        _EVERYONE | {"advocacy.manage", "advocacy.sign_for_organisation", "events.check_in"}
    ),
    Role.DATA_PROTECTION_OFFICER: frozenset(
        _EVERYONE
        | {
            "audit.view",
            "casework.view_person",
            "casework.view_identity",
            "casework.export",
            "casework.erase",
            # The DPO answers for retention to the supervisory authority, so reads it;
            # changing it stays with the admin.
            "casework.view_retention",
        }
    ),
    Role.VIEWER: frozenset(_EVERYONE),
    Role.DOOR_STAFF: frozenset(_EVERYONE | {"events.check_in"}),
    Role.NETWORK_COORDINATOR: frozenset(
        _EVERYONE | {"network.manage_members", "reporting.coordinate"}
    ),
}

# Roles that can see persons must use a second factor (DESIGN.md, Authentication).
MFA_PERMISSION = "casework.view_person"


def check_permission_name(name: str) -> str:
    if name not in PERMISSIONS:
        raise ValueError(f"unknown permission {name!r}; declare it in accounts/permissions.py")
    return name


def permissions_for(roles: Iterable[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def roles_with(permission: str) -> list[str]:
    """The roles that grant ``permission``."""
    check_permission_name(permission)
    return [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


def role_labels(roles: Iterable[str]) -> list[str]:
    """The roles' names in the reader's language; a role Haven no longer knows, as stored."""
    labels = dict(Role.choices)
    return [str(labels.get(role, role)) for role in roles]


def assignable_roles(organisation_kind: str) -> list[str]:
    """Network coordinators only exist in organisations that run a network."""
    return [
        role
        for role in Role.values
        if role != Role.NETWORK_COORDINATOR or organisation_kind == "network"
    ]
