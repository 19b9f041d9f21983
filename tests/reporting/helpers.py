"""Reporting objects built through actions, shared by the reporting tests and the
authorisation matrix (tests/security/conftest.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from django_scopes import scope

from haven.accounts.models import User
from haven.organisations.models import Network, Organisation
from haven.reporting import actions, publishing
from haven.reporting.models import Publication, ReportingPeriod, Source, Submission
from haven.reporting.periods import period_end, previous_periods
from haven.reporting.schema import Figures


def quarters_back(count: int) -> list[datetime.date]:
    """Starts of the last ``count`` whole quarters, oldest first."""
    return previous_periods("quarter", timezone.localdate(), count)


def open_period(
    coordinator: User, network: Network, start: datetime.date, **options: object
) -> ReportingPeriod:
    return actions.create_period(
        actor=coordinator,
        network=network,
        kind="quarter",
        starts_on=start,
        deadline=period_end("quarter", start) + datetime.timedelta(days=30),
        **options,  # type: ignore[arg-type]
    )


def submission_of(organisation: Organisation, period: ReportingPeriod) -> Submission:
    with scope(organisation=organisation):
        return Submission.objects.select_related("period", "organisation").get(
            organisation=organisation, period=period
        )


def sample_figures(persons: int = 40) -> Figures:
    return {
        ("persons.status", "new"): Decimal(persons // 2),
        ("persons.status", "continuing"): Decimal(persons - persons // 2),
        ("persons.gender", "Feminine"): Decimal(persons - 3),
        ("persons.gender", "Masculine"): Decimal(3),
        ("services.deliveries", "food_parcel"): Decimal(120),
        ("services.quantity", "food_parcel"): Decimal(130),
        ("services.amount", "emergency_rent:EUR"): Decimal("4500.50"),
        ("calls.channel", "phone"): Decimal(64),
    }


def send_figures(
    admin: User, organisation: Organisation, period: ReportingPeriod, figures: Figures
) -> Submission:
    submission = submission_of(organisation, period)
    actions.save_figures(actor=admin, submission=submission, figures=figures, source=Source.MANUAL)
    actions.send_submission(actor=admin, submission=submission_of(organisation, period))
    return submission_of(organisation, period)


def publish(coordinator: User, period: ReportingPeriod) -> Publication:
    """Request a publication and generate it at once (tests never commit, so the task the
    request queues on commit does not run by itself), however few members sent figures."""
    publication = actions.request_publication(
        actor=coordinator, period=period, few_members_confirmed=True
    )
    return publishing.generate(publication)


def reporting_objects(
    network: Network, member: Organisation, coordinator: User, admin: User
) -> dict[str, object]:
    """A period with the member's draft, and an earlier one sent and published."""
    earlier, latest = quarters_back(2)
    published_period = open_period(
        coordinator, network, earlier, epsilon=Decimal(0), budget=Decimal(0)
    )
    send_figures(admin, member, published_period, sample_figures())
    publication = publish(coordinator, published_period)
    period = open_period(coordinator, network, latest)
    submission = submission_of(member, period)
    actions.save_figures(
        actor=admin, submission=submission, figures=sample_figures(), source=Source.MANUAL
    )
    return {
        "period_id": period.pk,
        "submission_id": submission.pk,
        "publication_id": publication.pk,
    }


def ask(
    coordinator: User,
    network: Network,
    start: datetime.date,
    deadline: datetime.date,
    *,
    kind: str = "quarter",
    **options: object,
) -> ReportingPeriod:
    """Open a period of ``kind`` starting on ``start`` with this deadline."""
    return actions.create_period(
        actor=coordinator,
        network=network,
        kind=kind,
        starts_on=start,
        deadline=deadline,
        **options,  # type: ignore[arg-type]
    )


def days(count: int) -> datetime.date:
    """The day ``count`` days from today (before it when negative)."""
    return timezone.localdate() + datetime.timedelta(days=count)


def last_month() -> datetime.date:
    """The start of the latest whole month."""
    return previous_periods("month", timezone.localdate(), 1)[0]


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    """That day at that hour, in Haven's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def api_headers(user: User) -> dict[str, str]:
    """Headers of an API request with a new personal token of ``user``."""
    from haven.accounts.actions import create_api_token

    return {"Authorization": f"Bearer {create_api_token(actor=user, name='test')[1]}"}
