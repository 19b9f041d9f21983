"""Generating a publication: the period's sent figures by country, with disclosure control.

Run by the ``generate_publication`` task. Progress is written as it goes (outside the
final transaction) so the coordinator's page can show it; the figures themselves are
written in one transaction with the publication's status, so the public never sees half.
A period has one publication in force: the one requested last replaces those before it,
which are kept, marked superseded.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from haven.privacy import audit
from haven.reporting import access
from haven.reporting.disclosure import TOTAL
from haven.reporting.models import (
    Publication,
    PublicationStatus,
    PublishedFigure,
    ReportingPeriod,
)
from haven.reporting.report import headline_persons, reviewed_views
from haven.reporting.schema import BY_KEY


def generate(publication: Publication) -> Publication:
    """Compute and store every published cell of the publication, then publish it."""
    period = publication.period
    keys = [key for key in publication.tables if key in BY_KEY]
    if "persons.status" not in keys:
        keys.insert(0, "persons.status")  # the headline needs it; published with the rest
    sent = access.sent_figures([period], by="country")
    network = access.sent_figures([period], by="network")
    rows: list[PublishedFigure] = []
    views = []
    # Exactly the coordinator's review by country: each table controlled with the rest of its
    # section (tables counting the same persons withhold the same totals), and following the
    # review by member. Tables controlled one by one withheld a country's persons in one
    # table while another showed them.
    sections = list(dict.fromkeys(BY_KEY[key].section for key in keys))
    for index, section in enumerate(sections, start=1):
        views.extend(
            reviewed_views(
                period, "country", [key for key in keys if BY_KEY[key].section == section]
            )
        )
        Publication.objects.filter(pk=publication.pk).update(
            progress=min(95, round(90 * index / len(sections)))
        )
    for view in views:
        for (row, column), shown in view.cells.items():
            rows.append(
                PublishedFigure(
                    publication=publication,
                    table=view.table.key,
                    category=row,
                    column=column if column != TOTAL else "",
                    value=shown.value,
                    accuracy=shown.accuracy,
                )
            )
    members = set().union(*network.members.values()) if network.members else set()
    persons_view = next(view for view in views if view.table.key == "persons.status")
    with transaction.atomic():
        # One publication of a period at a time: two finishing together would both stay.
        ReportingPeriod.objects.select_for_update().filter(pk=period.pk).first()
        locked = Publication.objects.select_for_update().get(pk=publication.pk)
        in_force = list(
            Publication.objects.filter(period=period, status=PublicationStatus.PUBLISHED)
            .exclude(pk=locked.pk)
            .order_by("pk")
        )
        # A publication requested later may have been generated first: it stays in force.
        newer = [other for other in in_force if other.pk > locked.pk]
        PublishedFigure.objects.filter(publication=locked).delete()
        PublishedFigure.objects.bulk_create(rows, batch_size=2000)
        locked.members = len(members)
        locked.countries = len([code for code in sent.columns if code != "??"])
        locked.persons = headline_persons(persons_view)
        locked.status = PublicationStatus.SUPERSEDED if newer else PublicationStatus.PUBLISHED
        locked.progress = 100
        locked.published_at = timezone.now()
        if keys != locked.tables:
            locked.tables = keys
        locked.save()
        audit.record(
            "reporting.publication_generated",
            actor=locked.requested_by,
            organisation=locked.network.organisation,
            target=locked,
            details={"period": period.pk, "figures": len(rows), "members": len(members)},
        )
        replaced = [(locked, newer[-1])] if newer else [(other, locked) for other in in_force]
        if not newer:
            Publication.objects.filter(pk__in=[other.pk for other in in_force]).update(
                status=PublicationStatus.SUPERSEDED
            )
        for earlier, by in replaced:
            audit.record(
                "reporting.publication_superseded",
                actor=locked.requested_by,
                organisation=locked.network.organisation,
                target=earlier,
                details={"period": period.pk, "by": by.pk},
            )
    return locked


def fail(publication_id: int) -> None:
    Publication.objects.filter(pk=publication_id).update(status=PublicationStatus.FAILED)
