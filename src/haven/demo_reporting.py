"""Fictional coalition reporting for the demo: monthly periods of the global coalition, its
members' sent figures (computed from their demo casework, or typed in by hand by the few
that keep casework elsewhere), and a publication of every month but the latest.

Called by ``haven.demo.build_demo``: two years of months with the demo casework, three
months without it (the test suite skips the heavy casework, see tests/settings.py).
Figures are noised with OpenDP exactly as a member's sending noises them, and each
member's privacy budget records what was spent; the rows are written in bulk, like the
demo's casework, rather than through one audited action per submission.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.organisations.access import member_countries
from haven.organisations.models import Network, Organisation
from haven.privacy import audit
from haven.reporting import actions, publishing
from haven.reporting.compute import compute_figures
from haven.reporting.disclosure import add_noise
from haven.reporting.models import (
    Figure,
    PeriodKind,
    PrivacyBudget,
    Publication,
    Revision,
    Source,
    Submission,
    SubmissionStatus,
)
from haven.reporting.periods import period_end, previous_periods
from haven.reporting.schema import Figures, cell_key, empty_figures

NETWORK = "global-coalition"
COORDINATOR = "gcae-coordinator"
# Members that keep their casework in another system and type their figures in.
BY_HAND = 3
# In the latest month, this many members have not sent yet (one of them has a draft).
LATE = 3


def _hand_figures(rng: random.Random, organisation: Organisation) -> Figures:
    """Plausible figures for a month of a small frontline member."""
    figures = empty_figures()
    persons = rng.randint(25, 160)
    new = rng.randint(persons // 6, persons // 3)
    figures["persons.status", "new"] = Decimal(new)
    figures["persons.status", "continuing"] = Decimal(persons - new)

    def split(table: str, weights: dict[str, int], total: int = persons) -> None:
        left = total
        codes = list(weights)
        for code in codes[:-1]:
            share = min(left, round(total * weights[code] / sum(weights.values())))
            share = max(0, share + rng.randint(-2, 2))
            share = min(share, left)
            figures[table, code] = Decimal(share)
            left -= share
        figures[table, codes[-1]] = Decimal(left)

    split(
        "persons.gender",
        {"Masculine": 9, "TransgenderFeminine": 5, "NonSpecifiedUnknown": 4, "Feminine": 82},
    )
    split(
        "persons.age_band",
        {"12-17": 4, "18-24": 25, "35-49": 22, "50-64": 8, "unknown": 6, "25-34": 35},
    )
    split(
        "persons.trafficking",
        {
            "PossibleVictimOfTrafficking": 20,
            "ActualVictimOfTrafficking": 15,
            "NotAVictimOfTrafficking": 10,
            "unrecorded": 55,
        },
    )
    split("persons.sex_work", {"yes": 45, "no": 30, "unrecorded": 25})
    split(
        "persons.sector",
        {
            "S_OtherServiceActivities": 30,
            "A_AgricultureForestryAndFishing": 8,
            "T_ActivitiesOfHouseholdsAsEmployers": 6,
            "unrecorded": 56,
        },
    )
    home = organisation.country.code or "unknown"
    split("persons.citizenship", {"NG": 8, "RO": 10, "unknown": 7, home: 75})
    split(
        "persons.exploitation",
        {"SexualExploitation": 30, "ForcedLabour": 12, "Servitude": 5, "none": 53},
    )
    for code, low, high in (
        ("food_parcel", 40, 300),
        ("psychological_support", 10, 90),
        ("legal_support", 5, 40),
        ("hygiene_pack", 10, 120),
    ):
        given = rng.randint(low, high)
        figures["services.deliveries", code] = Decimal(given)
        figures["services.quantity", code] = Decimal(given)
        figures["services.persons", code] = Decimal(min(persons, given // 2 + 1))
    paid = rng.randint(3, 25)
    figures["services.deliveries", "emergency_rent"] = Decimal(paid)
    figures["services.quantity", "emergency_rent"] = Decimal(paid)
    figures["services.persons", "emergency_rent"] = Decimal(paid)
    figures["services.amount", "emergency_rent:EUR"] = Decimal(paid * rng.randint(150, 400))
    figures["reach.people", "support_group"] = Decimal(rng.randint(10, 80))
    for channel, share in (("phone", 70), ("messaging", 20), ("chat", 10)):
        figures["calls.channel", channel] = Decimal(rng.randint(0, share * 2))
    calls = int(sum(v for (t, _c), v in figures.items() if t == "calls.channel"))
    figures["calls.caller_type", "person_concerned"] = Decimal(calls * 2 // 3)
    figures["calls.caller_type", "relative"] = Decimal(calls - calls * 2 // 3)
    figures["calls.topic", "housing"] = Decimal(calls // 3)
    figures["calls.topic", "money"] = Decimal(calls // 4)
    return figures


def build_reporting(
    seed: int, *, months: int = 24, today: datetime.date | None = None
) -> dict[str, int]:
    """Monthly periods, sent figures and publications for the global coalition's members."""
    network = Network.objects.select_related("organisation").filter(slug=NETWORK).first()
    coordinator = User.objects.filter(username=COORDINATOR).first()
    if network is None or coordinator is None:
        return {}
    rng = random.Random(seed * 104_729 + 11)  # noqa: S311 - demo data, not secrets
    today = today or timezone.localdate()
    starts = previous_periods(PeriodKind.MONTH, today, months)
    periods = [
        actions.create_period(
            actor=coordinator,
            network=network,
            kind=PeriodKind.MONTH,
            starts_on=start,
            deadline=period_end(PeriodKind.MONTH, start) + datetime.timedelta(days=15),
            today=today,
        )
        for start in starts
    ]
    counts = {"periods": len(periods), "sent": 0, "by_hand": 0, "figures": 0, "publications": 0}
    with scopes_disabled():
        members = sorted(
            {s.organisation for s in Submission.objects.filter(period__in=periods)},
            key=lambda organisation: organisation.slug,
        )
        has_casework = {organisation.pk for organisation in members if _has_persons(organisation)}
        by_hand = set(rng.sample([m.pk for m in members], k=min(BY_HAND, len(members) // 4)))
        late = set(rng.sample([m.pk for m in members], k=min(LATE, len(members))))
        now = timezone.now()
        countries = member_countries(network)
        for period in periods:
            latest = period is periods[-1]
            submissions = Submission.objects.filter(period=period).select_related("organisation")
            figure_rows: list[Figure] = []
            for submission in submissions:
                organisation = submission.organisation
                manual = organisation.pk in by_hand or organisation.pk not in has_casework
                if manual:
                    figures, left_out = _hand_figures(rng, organisation), {}
                else:
                    computed = compute_figures(organisation, period.starts_on, period.ends_on)
                    figures, left_out = computed.figures, computed.left_out
                submission.draft = {cell_key(cell): str(v) for cell, v in figures.items() if v}
                submission.left_out = left_out
                submission.source = Source.MANUAL if manual else Source.COMPUTED
                submission.prepared_at = now
                submission.status = SubmissionStatus.DRAFT
                if latest and organisation.pk in late:
                    if organisation.pk != min(late):
                        submission.draft, submission.status, submission.source = (
                            {},
                            SubmissionStatus.DUE,
                            "",
                        )
                    submission.save()
                    continue
                submission.status = SubmissionStatus.SENT
                submission.save()
                noised = add_noise(figures, period.epsilon, countries)
                # What was sent has been sent: a period that just ended has sendings up to
                # now, not after it.
                sent_at = min(
                    timezone.make_aware(datetime.datetime.combine(period.ends_on, datetime.time(9)))
                    + datetime.timedelta(days=rng.randint(1, 14)),
                    timezone.now() - datetime.timedelta(minutes=rng.randint(1, 600)),
                )
                revision = Revision.objects.create(
                    organisation=organisation,
                    submission=submission,
                    period=period,
                    number=1,
                    source=submission.source,
                    epsilon=noised.epsilon,
                    noise_scale=noised.scale,
                    sent_at=sent_at,
                    # The demo's history: its coordinators are not e-mailed about it.
                    coordinators_told_at=sent_at,
                )
                PrivacyBudget.objects.filter(organisation=organisation, period=period).update(
                    spent=noised.epsilon
                )
                figure_rows.extend(
                    Figure(
                        organisation=organisation, revision=revision, table=t, category=c, value=v
                    )
                    for (t, c), v in noised.figures.items()
                    if v
                )
                counts["sent"] += 1
                counts["by_hand"] += int(manual)
            Figure.objects.bulk_create(figure_rows, batch_size=5000)
            counts["figures"] += len(figure_rows)
    # One late member of the latest month was given more time (its data officer is away).
    if late:
        actions.change_deadline(
            actor=coordinator,
            period=periods[-1],
            deadline=periods[-1].deadline + datetime.timedelta(days=14),
            organisation=next(m for m in members if m.pk == max(late)),
            reason="Our data officer is away; take two more weeks.",
            today=today,
        )
    for period in periods[:-1]:
        publication = Publication.objects.create(
            network=network, period=period, tables=list(_PUBLISHED), requested_by=coordinator
        )
        publishing.generate(publication)
        counts["publications"] += 1
    audit.record("demo.reporting_loaded", actor=None, details={"seed": seed, **counts})
    return counts


_PUBLISHED = (
    "persons.status",
    "persons.gender",
    "persons.age_band",
    "persons.trafficking",
    "persons.exploitation",
    "services.deliveries",
    "services.persons",
    "reach.people",
    "calls.channel",
    "shelter.households",
    "shelter.nights",
)


def _has_persons(organisation: Organisation) -> bool:
    from haven.casework.models import Person

    return Person.objects.filter(organisation=organisation).exists()
