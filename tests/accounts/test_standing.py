"""A user's standing: the organisations where they hold roles, the roles, their second factor."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from haven.accounts.permissions import Role
from haven.accounts.tenancy import standing_of
from tests.conftest import make_organisation, make_user


def test_the_standing_lists_each_organisation_once_by_name_with_all_its_roles(db):
    zeta = make_organisation("zeta", name="Zeta Outreach")
    alpha = make_organisation("alpha", name="Alpha Shelter")
    make_organisation("elsewhere", name="Beta Elsewhere")  # no role there
    user = make_user("many", zeta, Role.CASEWORKER, Role.ORGANISATION_ADMIN, mfa=False)
    make_user("other", alpha, Role.VIEWER, mfa=False)
    alpha.role_assignments.create(user=user, role=Role.HELPLINE_OPERATOR)

    standing = standing_of(None, user)

    assert [o.slug for o in standing.organisations] == ["alpha", "zeta"]
    assert standing.roles_in(zeta) == {Role.CASEWORKER, Role.ORGANISATION_ADMIN}
    assert standing.roles_in(alpha) == {Role.HELPLINE_OPERATOR}, "not the other user's role"
    assert standing.find("zeta") is standing.organisations[1]
    assert standing.find("elsewhere") is None
    found = standing.find("zeta")
    assert found is not None
    assert (found.name, found.country) == ("Zeta Outreach", "FR")
    assert not hasattr(found, "haven_role"), "the organisation carries only its own fields"


def test_only_a_totp_or_security_key_counts_as_a_second_factor(db):
    north = make_organisation("north")
    user = make_user("keys", north, Role.CASEWORKER, mfa=False)
    assert not standing_of(None, user).has_second_factor
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={})
    assert not standing_of(None, user).has_second_factor, "recovery codes are not a factor"
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={})
    assert standing_of(None, user).has_second_factor
    other = make_user("totp", north, Role.CASEWORKER)
    assert standing_of(None, other).has_second_factor


def test_a_user_without_roles_stands_nowhere(db):
    user = make_user("nobody", None, mfa=True)
    standing = standing_of(None, user)
    assert standing.organisations == ()
    assert standing.roles == {}
