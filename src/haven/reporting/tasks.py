"""Background work of reporting: generating a network's publication."""

from __future__ import annotations

from django_tasks import task

from haven.reporting import publishing
from haven.reporting.models import Publication, PublicationStatus


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
