"""A leaver's sign-ins and tokens stay in the trail of the organisation they left, for the
time they were its staff, and never for their time elsewhere."""

from __future__ import annotations

from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts import actions
from haven.accounts.access import invitation_link_token
from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.privacy.access import StaffPeriod, staff_periods
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for, make_user


def last_seq() -> int:
    with scopes_disabled():
        event = AuditEvent.objects.order_by("-seq").first()
    return event.seq if event else 0


def sign_in(user: User) -> int:
    """Sign the user in (an auth.login event) and give the event's seq."""
    client_for(user)
    return last_seq()


def make_token(user: User) -> int:
    actions.create_api_token(actor=user, name="script")
    return last_seq()


def trail_of(dpo: User, org: str, **filters: str) -> set[int]:
    response = client_for(dpo).get(reverse("audit_trail", kwargs={"org": org}), filters)
    assert response.status_code == 200
    return {event.seq for event in response.context["page"]}


def api_trail_of(dpo: User, org: str, **filters: str) -> set[int]:
    response = client_for(dpo).get(f"/api/orgs/{org}/audit", filters, **bearer(dpo))
    assert response.status_code == 200, response.content
    return {event["seq"] for event in response.json()}


def test_a_leavers_sign_ins_and_tokens_stay_in_the_trail_after_removal(
    alice, carol, dana, north: Organisation
):
    signed_in, token_made = sign_in(carol), make_token(carol)
    actions.remove_from_organisation(actor=alice, organisation=north, user=carol)
    for seen in (trail_of(dana, "north", user="carol"), api_trail_of(dana, "north", user="carol")):
        assert {signed_in, token_made} <= seen


def test_what_a_leaver_does_after_leaving_is_not_in_the_trail(
    alice, carol, dana, north: Organisation
):
    before = sign_in(carol)
    actions.remove_from_organisation(actor=alice, organisation=north, user=carol)
    after = sign_in(carol)
    seen = trail_of(dana, "north")
    assert before in seen
    assert after not in seen


def test_a_leaver_who_joins_another_organisation_is_seen_by_each_for_its_own_time(
    alice, carol, dana, bob, north: Organisation, south: Organisation
):
    south_dpo = make_user("sandra", south, Role.DATA_PROTECTION_OFFICER)
    at_north = sign_in(carol)
    actions.remove_from_organisation(actor=alice, organisation=north, user=carol)
    between = sign_in(carol)
    actions.set_roles(actor=bob, organisation=south, user=carol, roles=[Role.CASEWORKER])
    at_south, south_token = sign_in(carol), make_token(carol)
    north_seen, south_seen = trail_of(dana, "north"), trail_of(south_dpo, "south")
    assert at_north in north_seen
    assert not {between, at_south, south_token} & north_seen
    assert {at_south, south_token} <= south_seen
    assert not {at_north, between} & south_seen


def test_someone_who_comes_back_is_seen_for_both_stays_and_not_in_between(
    alice, carol, dana, north: Organisation
):
    first = sign_in(carol)
    actions.remove_from_organisation(actor=alice, organisation=north, user=carol)
    away = sign_in(carol)
    actions.set_roles(actor=alice, organisation=north, user=carol, roles=[Role.VIEWER])
    back = sign_in(carol)
    seen = trail_of(dana, "north")
    assert {first, back} <= seen
    assert away not in seen


def test_a_new_member_of_staffs_earlier_sign_ins_are_not_shown(alice, dana, north: Organisation):
    zoe = make_user("zoe", None, mfa=False)
    earlier = sign_in(zoe)
    actions.set_roles(actor=alice, organisation=north, user=zoe, roles=[Role.VIEWER])
    later = sign_in(zoe)
    seen = trail_of(dana, "north")
    assert later in seen
    assert earlier not in seen


def test_someone_who_joined_by_invitation_is_seen_from_the_moment_they_accepted(
    alice, dana, north: Organisation, client
):
    zoe = make_user("zoe", None, mfa=False)
    earlier = sign_in(zoe)
    invitation = actions.invite_user(
        actor=alice, organisation=north, email=zoe.email, roles=[Role.VIEWER]
    )
    client.force_login(zoe)
    response = client.post(
        reverse("accept_invitation", kwargs={"token": invitation_link_token(invitation)})
    )
    assert response.status_code == 302
    later = sign_in(zoe)
    seen = trail_of(dana, "north")
    assert later in seen
    assert earlier not in seen


def test_failed_sign_ins_against_a_leavers_account_are_kept_for_their_time(
    alice, carol, dana, north: Organisation
):
    client = client_for(dana)
    client.logout()
    client.post(reverse("account_login"), {"login": "carol", "password": "wrong"})
    during = last_seq()
    actions.remove_from_organisation(actor=alice, organisation=north, user=carol)
    client.post(reverse("account_login"), {"login": "carol", "password": "wrong"})
    after = last_seq()
    seen = trail_of(dana, "north")
    assert during in seen
    assert after not in seen


def test_staff_given_roles_outside_the_trail_are_staff_throughout(carol, north: Organisation):
    assert staff_periods(north)[carol.pk] == [StaffPeriod()]


def test_a_role_change_within_the_stay_does_not_end_it(alice, carol, north: Organisation):
    actions.set_roles(actor=alice, organisation=north, user=carol, roles=[Role.VIEWER])
    actions.set_roles(actor=alice, organisation=north, user=carol, roles=[Role.CASEWORKER])
    # The first change took away a role the trail never saw given: staff since before it.
    assert staff_periods(north)[carol.pk] == [StaffPeriod()]


def test_other_organisations_role_changes_do_not_count(
    bob, carol, south: Organisation, north: Organisation
):
    actions.set_roles(actor=bob, organisation=south, user=carol, roles=[Role.CASEWORKER])
    actions.set_roles(actor=bob, organisation=south, user=carol, roles=[])
    audit.record("auth.login", actor=carol, target=carol)
    assert staff_periods(north)[carol.pk] == [StaffPeriod()]
    (period,) = staff_periods(south)[carol.pk]
    assert period.until_seq is not None
