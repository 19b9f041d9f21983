"""Data steps of the reporting migrations, run on rows written before them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_scopes import scopes_disabled

from haven.reporting.models import Publication, Revision
from tests.reporting.helpers import publish, sample_figures, send_figures

BEFORE_TELLING = ("reporting", "0002_reminders_deadlines_and_members")
TELLING = ("reporting", "0003_coordinators_told")


def migrate(target: tuple[str, str] | None = None) -> None:
    """Migrate reporting to ``target``, or to its latest migration."""
    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes("reporting"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_sendings_made_before_coordinators_were_e_mailed_count_as_told(
    plain_period, cora, north, alice
):
    send_figures(alice, north, plain_period, sample_figures())
    with scopes_disabled():
        sent_at = Revision.objects.get().sent_at
    migrate(BEFORE_TELLING)
    try:
        migrate(TELLING)
    finally:
        # Whatever happened, the rest of the suite gets the schema it expects.
        migrate()
    with scopes_disabled():
        told = Revision.objects.get().coordinators_told_at
    # The hourly run retries sendings never told: without this step it would e-mail
    # every coordinator about every sending made before the e-mails existed.
    assert told == sent_at


BEFORE_SUPERSEDING = ("reporting", "0004_submission_before_correction")
SUPERSEDING = ("reporting", "0005_superseded_publications")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_a_period_published_several_times_keeps_only_its_latest_publication_in_force(
    plain_period, cora, north, alice
):
    send_figures(alice, north, plain_period, sample_figures())
    first, second = publish(cora, plain_period), publish(cora, plain_period)
    # As they were before a new publication replaced the earlier ones.
    Publication.objects.filter(pk__in=[first.pk, second.pk]).update(status="published")
    migrate(BEFORE_SUPERSEDING)
    try:
        migrate(SUPERSEDING)
    finally:
        migrate()
    statuses = dict(Publication.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "superseded", second.pk: "published"}
