"""Background work of reporting: members' drafts once a period is over, and generating a
network's publication."""

from __future__ import annotations

from django_tasks import task

from haven.reporting import actions, publishing
from haven.reporting.models import Publication, PublicationStatus, ReportingPeriod


@task()
def generate_publication(publication_id: int) -> None:
    """Generate the figures of a publication requested by its coordinator (idempotent)."""
    publication = (
        Publication.objects.select_related("period", "network__organisation")
        .filter(pk=publication_id, status=PublicationStatus.GENERATING)
        .first()
    )
    if publication is None:
        return
    try:
        publishing.generate(publication)
    except Exception:
        publishing.fail(publication_id)
        raise


@task()
def compute_drafts(period_id: int) -> int:
    """Compute the drafts of the period's members still due, in one run (idempotent)."""
    period = ReportingPeriod.objects.select_related("network").filter(pk=period_id).first()
    if period is None:
        return 0
    return actions.prepare_drafts(period=period)
