"""Background work of the records app: the daily retention run."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import TaskResultStatus, task

from haven.casework.models import OrganisationSettings
from haven.organisations.models import Organisation
from haven.records.actions import apply_retention_to

# Runs at night, local time, when few people work.
RUN_AT = time(3, 0)


def next_run_after(moment: datetime) -> datetime:
    """The next nightly run time after ``moment``."""
    # In the server's zone (UTC), not the organisation's a request runs in: there is one
    # run for every organisation.
    zone = timezone.get_default_timezone()
    local = timezone.localtime(moment, zone)
    candidate = timezone.make_aware(datetime.combine(local.date(), RUN_AT), zone)
    if candidate <= moment:
        following = local.date() + timedelta(days=1)
        candidate = timezone.make_aware(datetime.combine(following, RUN_AT), zone)
    return candidate


def run_retention(now: datetime | None = None) -> dict[str, int]:
    """Apply every organisation's retention periods now; the totals across them."""
    now = now or timezone.now()
    field = OrganisationSettings._meta
    default_persons = field.get_field("person_retention_months").get_default()
    default_calls = field.get_field("call_retention_months").get_default()
    totals = {"organisations": 0, "persons_deleted": 0, "calls_anonymised": 0}
    with scopes_disabled():
        periods = {
            row.organisation_id: (row.person_retention_months, row.call_retention_months)
            for row in OrganisationSettings.objects.all()
        }
        organisations = list(Organisation.objects.order_by("pk"))
    for organisation in organisations:
        person_months, call_months = periods.get(organisation.pk, (default_persons, default_calls))
        counts = apply_retention_to(
            organisation=organisation,
            person_months=person_months,
            call_months=call_months,
            now=now,
        )
        totals["organisations"] += 1
        totals["persons_deleted"] += counts["persons_deleted"]
        totals["calls_anonymised"] += counts["calls_anonymised"]
    return totals


def pending_run() -> datetime | None:
    """When the next queued retention run is due, if one is queued (database backend)."""
    backend = apply_retention.get_backend()
    if not backend.supports_defer:
        return None
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - another deferring backend
        return None
    queued = (
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=apply_retention.module_path
        )
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    return queued


def schedule_retention(run_after: datetime | None = None) -> datetime | None:
    """Queue the next run unless one is queued; None where the backend cannot defer."""
    if not apply_retention.get_backend().supports_defer:
        return None
    queued = pending_run()
    if queued is not None:
        return queued
    when = run_after or next_run_after(timezone.now())
    apply_retention.using(run_after=when).enqueue()
    return when


@task()
def apply_retention() -> dict[str, int]:
    """Apply retention periods, then queue tomorrow's run."""
    totals = run_retention()
    schedule_retention()
    return totals
