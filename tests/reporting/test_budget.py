"""The privacy budget of a member on a period can never be overspent: not by a sequence
of sendings, not by sendings at the same moment from several connections."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.db.utils import IntegrityError
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from haven.reporting import actions
from haven.reporting.actions import BudgetSpent
from haven.reporting.models import PrivacyBudget, Revision
from tests.conftest import make_organisation, make_user
from tests.marks import concurrent_writers
from tests.reporting.helpers import open_period, quarters_back, sample_figures, submission_of

epsilons = st.lists(
    st.decimals(min_value=Decimal("0.1"), max_value=Decimal("1.5"), places=2), max_size=12
)


class BudgetSequences(HypothesisTestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        total=st.decimals(min_value=Decimal("0.1"), max_value=Decimal("5"), places=2),
        spends=epsilons,
    )
    def test_a_budget_is_never_overspent_whatever_is_asked_of_it(self, total, spends):
        network_org = make_organisation("net", kind="network")
        from haven.organisations.models import Membership, Network

        network = Network.objects.create(organisation=network_org, slug="net")
        member = make_organisation("member")
        Membership.objects.create(network=network, organisation=member)
        coordinator = make_user("coordinator", network_org, "network_coordinator", mfa=False)
        period = open_period(
            coordinator, network, quarters_back(1)[0], epsilon=Decimal("0.1"), budget=total
        )
        spent = Decimal(0)
        for epsilon in spends:
            try:
                actions.spend_budget(organisation=member, period=period, epsilon=epsilon)
            except BudgetSpent:
                assert spent + epsilon > total
            else:
                spent += epsilon
            with scopes_disabled():
                budget = PrivacyBudget.objects.get(organisation=member, period=period)
            assert budget.spent == spent
            assert budget.spent <= budget.total


@pytest.mark.django_db
def test_the_database_itself_refuses_an_overspent_budget(period, north):
    with scopes_disabled():
        budget = PrivacyBudget.objects.get(organisation=north, period=period)
        budget.spent = budget.total + 1
        with pytest.raises(IntegrityError):
            budget.save()


@concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_sendings_at_the_same_moment_spend_at_most_the_budget(
    coalition,
    north,
    cora,
    alice,
):
    period = open_period(
        cora, coalition, quarters_back(1)[0], epsilon=Decimal(1), budget=Decimal(3)
    )
    contenders = 6
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []

    def spend() -> None:
        try:
            barrier.wait(timeout=10)
            actions.spend_budget(organisation=north, period=period, epsilon=Decimal(1))
            outcomes.append("spent")
        except BudgetSpent:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused"] * 3 + ["spent"] * 3
    with scopes_disabled():
        assert PrivacyBudget.objects.get(organisation=north, period=period).spent == 3


@concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_a_draft_sent_twice_at_the_same_moment_leaves_once(
    coalition,
    north,
    cora,
    alice,
):
    period = open_period(cora, coalition, quarters_back(1)[0])
    submission = submission_of(north, period)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            actions.send_submission(actor=alice, submission=submission)
            outcomes.append("sent")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ValidationError", "sent"]
    with scopes_disabled():
        assert Revision.objects.filter(submission=submission).count() == 1
        assert PrivacyBudget.objects.get(organisation=north, period=period).spent == 1
