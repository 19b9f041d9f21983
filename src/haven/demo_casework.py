"""Fictional casework for the demo's frontline members: people, consent, cases, services,
helpline calls and shelter stays over the last two years.

Called by ``haven.demo.build_demo``. Everything comes from ``random.Random(seed)`` and
today's date, so the same seed on the same day gives the same records. Names are
invented and marked as demo data, phone numbers use the unassigned +000 prefix, and
notes never name anyone. Rows are written with ``bulk_create`` (encrypted fields are
sealed per row in ``pre_save``), which keeps the first ``make run`` short.

The organisations' words differ (survivor, sex worker, person in prostitution, client,
beneficiary) because members of the two networks disagree; Haven stores neutral facts
and records each situation separately: a person in sex work is never marked trafficked
unless staff recorded it, and exploitation appears in every sector.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock

from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.actions import CODE_DIGITS, refresh_first_activity
from haven.casework.htcds import (
    CaseStatus,
    Exploitation,
    Gender,
    MeansOfControl,
    Sector,
    TraffickingStatus,
    Vulnerability,
)
from haven.casework.models import (
    AgeBand,
    Case,
    CaseNote,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Household,
    MigrationStatus,
    Need,
    OrganisationSettings,
    Person,
    RiskLevel,
    Terminology,
)
from haven.helpline.models import CallChannel, CallerType, CallOutcome, CallTopic, HelplineCall
from haven.organisations.models import Organisation
from haven.privacy import audit, crypto
from haven.services.models import Channel, ServiceDelivery, ServiceType
from haven.shelter.models import Facility, Stay

DAYS = 730
BATCH = 2000

# Local currency of each demo country, for amounts of money given.
CURRENCIES = {
    "GB": "GBP", "ES": "EUR", "FR": "EUR", "NL": "EUR", "DE": "EUR", "IT": "EUR", "PT": "EUR",
    "PL": "PLN", "RO": "RON", "HR": "EUR", "SE": "SEK", "GR": "EUR", "IE": "EUR", "KE": "KES",
    "NG": "NGN", "MX": "MXN", "BR": "BRL", "CO": "COP", "PH": "PHP", "IN": "INR", "TH": "THB",
    "AU": "AUD", "CA": "CAD", "ZA": "ZAR", "US": "USD",
}  # fmt: skip
# Roughly what 100 euros are in each currency, so amounts look local.
PER_100_EUR = {
    "EUR": 100, "GBP": 85, "PLN": 430, "RON": 500, "SEK": 1150, "KES": 14000, "NGN": 150000,
    "MXN": 1900, "BRL": 550, "COP": 440000, "PHP": 6200, "INR": 9000, "THB": 3800, "AUD": 165,
    "CAD": 150, "ZAR": 2000, "USD": 110,
}  # fmt: skip

# Members that run a helpline (calls over two years), and the one whose helpline took
# about a thousand calls in four weeks, as a member reported in a crisis.
HELPLINES = {"harbour-light": 900, "puerta-abierta": 500, "nid-des-hirondelles": 300,
             "amanecer-andino": 250, "northern-lantern": 200, "jasny-brzeg": 150}  # fmt: skip
BUSY_HELPLINE = "harbour-light"
BUSY_CALLS = 1064
# Members with shelters: (name, city or "", beds, family rooms).
SHELTERS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "harbour-light": (("Harbour House", 12, 3), ("Quay Street flats", 6, 2)),
    "puerta-abierta": (("Casa Puerta Abierta", 10, 2),),
    "bayanihan-shelter": (("Bayanihan House", 14, 4),),
    "blue-gum-refuge": (("Blue Gum House", 8, 3),),
    "nyumba-salama": (("Nyumba ya Amani", 10, 2),),
    "casa-colibri": (("Casa Colibrí", 8, 2),),
    "thandeka-passage": (("Thandeka House", 9, 3),),
}
# Bulk distributions and group sessions some members are known for.
BIG_DISTRIBUTIONS: dict[str, tuple[str, int, str]] = {
    "lantern-path": ("cooked_meals", 2500, "Kolkata"),
    "amanecer-andino": ("emergency_rent", 600, "Medellín"),
    "compass-rose": ("hygiene_pack", 400, "Cork"),
}
# Terminology: the global coalition's members and the European platform's members tend
# to use different words; a few use neutral ones.
WORDS_GLOBAL = (Terminology.PERSON_IN_PROSTITUTION, Terminology.SURVIVOR, Terminology.BENEFICIARY)
WORDS_EUROPE = (Terminology.SEX_WORKER, Terminology.CLIENT, Terminology.SURVIVOR)
WORDS_BOTH = (Terminology.PERSON, Terminology.CLIENT, Terminology.BENEFICIARY)

GIVEN_NAMES = (
    "Amina", "Ioana", "Marta", "Chloé", "Lucía", "Grace", "Nneka", "Priya", "Mei", "Ana",
    "Fatou", "Olena", "Sadia", "Rosa", "Thandi", "Maya", "Leila", "Elena", "Joy", "Ayesha",
    "Tomás", "Karim", "Daniel", "Samir", "Alex", "Noor", "Sofia", "Nadia", "Irina", "Bea",
)  # fmt: skip
FAMILY_NAMES = (
    "Quill", "Marrow", "Thistle", "Ember", "Larkin", "Wren", "Fable", "Solace", "Brook",
    "Harrow", "Vale", "Pike", "Morrow", "Tamsin", "Cove", "Rook", "Sable", "Linden",
)  # fmt: skip
NOTE_TEXTS = (
    "First meeting at the drop-in. Needs assessed together; agreed next steps.",
    "Accompanied to the health centre; follow-up appointment in two weeks.",
    "Called to check in. Feels safer since moving; asked about language classes.",
    "Legal appointment about residence papers; documents copied and returned.",
    "Discussed options for leaving; no decision yet, will meet again next week.",
    "Emergency rent paid directly to the landlord after the request was reviewed.",
    "Referred to the psychologist; first session booked by phone.",
    "Missed appointment; reached by phone, rescheduled.",
    "Support group attended; said it helped to meet others.",
    "Safety plan reviewed; emergency numbers saved on the new SIM card.",
)


@dataclass
class _Member:
    organisation: Organisation
    rng: random.Random
    today: datetime.date
    staff: list[User]
    operators: list[User]
    persons: list[Person] = field(default_factory=list)
    consented: list[Person] = field(default_factory=list)
    last_activity: dict[object, datetime.date] = field(default_factory=dict)
    first_seen: dict[object, datetime.date] = field(default_factory=dict)

    def day(self, first: int = DAYS, last: int = 0) -> datetime.date:
        """A day between ``first`` and ``last`` days ago."""
        return self.today - datetime.timedelta(days=self.rng.randint(last, first))

    def moment(self, day: datetime.date) -> datetime.datetime:
        hour, minute = self.rng.randint(8, 21), self.rng.randint(0, 59)
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        now = timezone.now()
        if moment > now:
            # What is recorded has happened: today's moments lie before now.
            moment = now - datetime.timedelta(minutes=self.rng.randint(1, 120))
        return moment

    def day_for(self, person: Person) -> datetime.date:
        """A day between the person's first contact and today."""
        first = self.first_seen[person.pk]
        return first + datetime.timedelta(days=self.rng.randint(0, (self.today - first).days))

    def touch(self, person: Person | None, day: datetime.date) -> None:
        if person is not None and day > self.last_activity.get(person.pk, datetime.date.min):
            self.last_activity[person.pk] = day

    def staff_member(self) -> User | None:
        return self.rng.choice(self.staff) if self.staff else None


@dataclass
class _Rows:
    households: list[Household] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    notes: list[CaseNote] = field(default_factory=list)
    services: list[ServiceDelivery] = field(default_factory=list)
    calls: list[HelplineCall] = field(default_factory=list)
    facilities: list[Facility] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    settings: list[OrganisationSettings] = field(default_factory=list)


def _prefix(organisation: Organisation) -> str:
    letters = "".join(part[0] for part in organisation.slug.split("-") if part)
    return (letters or organisation.slug[:3]).upper()[:6]


def _terminology(rng: random.Random, networks: set[str]) -> str:
    if networks == {"global-coalition"}:
        return rng.choice(WORDS_GLOBAL)
    if networks == {"european-platform"}:
        return rng.choice(WORDS_EUROPE)
    return rng.choice(WORDS_BOTH)


def _situation(rng: random.Random, person: Person, country: str) -> None:
    """Separate facts, each as staff would record it; none implies another."""
    roll = rng.random()
    if roll < 0.35:
        # In sex work; trafficking not recorded (or assessed as not trafficked).
        person.in_sex_work = True
        person.trafficking_status = rng.choice(["", "", TraffickingStatus.NOT])
    elif roll < 0.55:
        person.in_sex_work = rng.choice([True, None])
        person.trafficking_status = rng.choice(
            [TraffickingStatus.POSSIBLE, TraffickingStatus.ACTUAL]
        )
        person.exploitation_types = [Exploitation.SEXUAL]
        person.sector = Sector.OTHER_SERVICES
    elif roll < 0.75:
        # Labour exploitation: fields, building sites, homes, kitchens, factories.
        person.in_sex_work = rng.choice([False, None])
        person.trafficking_status = rng.choice(
            [TraffickingStatus.POSSIBLE, TraffickingStatus.ACTUAL]
        )
        sector, kind = rng.choice(
            [
                (Sector.AGRICULTURE, Exploitation.FORCED_LABOUR),
                (Sector.CONSTRUCTION, Exploitation.FORCED_LABOUR),
                (Sector.HOUSEHOLDS, Exploitation.SERVITUDE),
                (Sector.HOSPITALITY, Exploitation.FORCED_LABOUR),
                (Sector.MANUFACTURING, Exploitation.FORCED_LABOUR),
                (Sector.OTHER_SERVICES, Exploitation.FORCED_BEGGING),
            ]
        )
        person.sector = sector
        person.exploitation_types = [kind]
    else:
        person.in_sex_work = rng.choice([False, None])
    if person.trafficking_status in (TraffickingStatus.POSSIBLE, TraffickingStatus.ACTUAL):
        person.exploitation_country = (
            country
            if rng.random() < 0.6
            else rng.choice(["RO", "NG", "TH", "BR", "UA", "VN", "AL", "CN"])
        )
        person.means_of_control = rng.sample(list(MeansOfControl.values), k=rng.randint(1, 3))
    person.vulnerabilities = rng.sample(list(Vulnerability.values), k=rng.randint(0, 3))


def _persons(member: _Member, rows: _Rows, count: int, prefix: str) -> None:
    rng, organisation = member.rng, member.organisation
    languages = list(organisation.languages) or ["en"]
    households: list[Household] = []
    for number in range(1, count + 1):
        person = Person(
            organisation=organisation,
            # As the app allocates them: a new person follows on in the same width.
            code=f"{prefix}-{number:0{CODE_DIGITS}d}",
            gender=rng.choices(
                [Gender.FEMININE, Gender.TRANSGENDER_FEMININE, Gender.MASCULINE, Gender.UNKNOWN],
                weights=[80, 6, 10, 4],
            )[0],
            age_band=rng.choices(
                [
                    AgeBand.CHILD_12_17,
                    AgeBand.ADULT_18_24,
                    AgeBand.ADULT_25_34,
                    AgeBand.ADULT_35_49,
                    AgeBand.ADULT_50_64,
                    AgeBand.UNKNOWN,
                ],
                weights=[4, 25, 35, 22, 8, 6],
            )[0],
            citizenship=[rng.choice([organisation.country.code, "RO", "NG", "UA", "BR", "VN"])],
            languages=rng.sample(languages, k=min(len(languages), rng.randint(1, 2))),
            migration_status=rng.choice(MigrationStatus.values),
            created_by=member.staff_member(),
        )
        if rng.random() < 0.7:
            person.given_name = f"{rng.choice(GIVEN_NAMES)} (demo)"
            person.family_name = f"{rng.choice(FAMILY_NAMES)}-Fictional"
        if rng.random() < 0.5:
            person.phone = f"+000 555 {rng.randint(0, 9999):04d}"
        if rng.random() < 0.3:
            person.estimated_age = str(rng.randint(17, 60))
        _situation(rng, person, organisation.country.code)
        if rng.random() < 0.25:
            if households and rng.random() < 0.3:
                person.household = rng.choice(households)
            else:
                household = Household(
                    organisation=organisation,
                    code=f"H-{len(households) + 1:0{CODE_DIGITS}d}",
                    other_members=rng.randint(0, 4),
                )
                households.append(household)
                person.household = household
        member.persons.append(person)
        first_seen = member.day()
        member.first_seen[person.pk] = first_seen
        member.touch(person, first_seen)
        if rng.random() < 0.92:
            member.consented.append(person)
            rows.consents.append(_consent(member, person, ConsentPurpose.CASEWORK, first_seen))
            if rng.random() < 0.65:
                rows.consents.append(
                    _consent(member, person, ConsentPurpose.STATISTICS, first_seen)
                )
            if rng.random() < 0.15:
                rows.consents.append(_consent(member, person, ConsentPurpose.LINKAGE, first_seen))
    rows.households.extend(households)
    rows.persons.extend(member.persons)


def _consent(member: _Member, person: Person, purpose: str, given_on: datetime.date) -> Consent:
    consent = Consent(
        organisation=member.organisation,
        person=person,
        purpose=purpose,
        given_on=given_on,
        method=member.rng.choice(ConsentMethod.values[:3]),
        recorded_by=member.staff_member(),
    )
    if purpose != ConsentPurpose.CASEWORK and member.rng.random() < 0.08:
        consent.withdrawn_on = min(
            given_on + datetime.timedelta(days=member.rng.randint(10, 300)), member.today
        )
        consent.withdrawn_by = consent.recorded_by
    return consent


def _cases(member: _Member, rows: _Rows) -> None:
    rng = member.rng
    for person in member.consented:
        if rng.random() > 0.6:
            continue
        opened = max(member.day_for(person), member.first_seen[person.pk])
        status = rng.choices(CaseStatus.values, weights=[45, 15, 30, 10])[0]
        case = Case(
            organisation=member.organisation,
            person=person,
            status=status,
            opened_on=opened,
            assigned_to=member.staff_member(),
            needs=rng.sample(list(Need.values), k=rng.randint(1, 4)),
            risk_level=rng.choices(RiskLevel.values, weights=[40, 35, 20, 5])[0],
        )
        if status in (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED):
            case.closed_on = min(
                opened + datetime.timedelta(days=rng.randint(20, 300)), member.today
            )
        elif rng.random() < 0.5:
            # Some follow-ups are due today or overdue, so the home page has work on it.
            # Never before the case opened, which the app refuses.
            case.follow_up_on = max(
                opened, member.today + datetime.timedelta(days=rng.randint(-10, 20))
            )
        rows.cases.append(case)
        for _ in range(rng.randint(0, 4)):
            day = opened + datetime.timedelta(
                days=rng.randint(0, max((member.today - opened).days, 0))
            )
            rows.notes.append(
                CaseNote(
                    organisation=member.organisation,
                    case=case,
                    text=rng.choice(NOTE_TEXTS),
                    author=member.staff_member(),
                    written_at=member.moment(day),
                )
            )
            member.touch(person, day)


def _amount(rng: random.Random, currency: str, euros: tuple[int, int]) -> Decimal:
    per_100 = PER_100_EUR.get(currency, 100)
    value = rng.randint(*euros) * per_100 / 100
    step = 1 if per_100 < 1000 else 100
    return Decimal(max(step, round(value / step) * step))


def _services(
    member: _Member, rows: _Rows, types: dict[str, ServiceType], count: int, everything: bool
) -> None:
    rng, organisation = member.rng, member.organisation
    currency = CURRENCIES.get(organisation.country.code, "EUR")
    languages = list(organisation.languages) or ["en"]
    weights = {
        "food_parcel": 14, "cooked_meals": 10, "hygiene_pack": 8, "clothing": 3, "voucher": 7,
        "emergency_rent": 3, "financial_aid": 3, "transport": 4, "shelter_night": 2,
        "housing_support": 3, "medical_support": 4, "health_test": 4,
        "psychological_support": 7, "support_group": 3, "legal_support": 5, "accompaniment": 5,
        "interpretation": 3, "social_support": 6, "outreach_contact": 8, "information": 5,
        "training": 2, "prepaid_sim": 3,
    }  # fmt: skip
    codes = [code for code in weights if code in types]
    if not everything:
        codes = rng.sample(codes, k=max(12, len(codes) - rng.randint(0, 8)))
    chosen = rng.choices(codes, weights=[weights[code] for code in codes], k=count)
    if everything:
        chosen[: len(codes)] = codes  # every default service at least once
    people = member.consented or member.persons
    for code in chosen:
        service_type = types[code]
        day = member.day()
        delivery = ServiceDelivery(
            organisation=organisation,
            service_type=service_type,
            delivered_on=day,
            channel=Channel.IN_PERSON,
            language=rng.choice(languages),
            city=organisation.city if rng.random() < 0.8 else "",
            staff=member.staff_member(),
        )
        if code in {"psychological_support", "legal_support", "information"}:
            delivery.channel = rng.choice([Channel.PHONE, Channel.PHONE, Channel.IN_PERSON])
        elif code in {"support_group", "training"}:
            delivery.channel = rng.choice([Channel.ONLINE, Channel.IN_PERSON])
        elif code == "outreach_contact":
            delivery.channel = Channel.OUTREACH
        if code in {"support_group", "training"} or (
            code == "outreach_contact" and rng.random() < 0.5
        ):
            # A group session or a night's outreach: counted, not named.
            delivery.people_reached = rng.randint(4, 25)
        elif code in {"food_parcel", "cooked_meals", "hygiene_pack"} and rng.random() < 0.06:
            delivery.households_reached = rng.randint(20, 300)
            delivery.quantity = Decimal(delivery.households_reached)
        else:
            person = rng.choice(people)
            day = delivery.delivered_on = member.day_for(person)
            if person.household is not None and code in {"food_parcel", "emergency_rent"}:
                delivery.household = person.household
            else:
                delivery.person = person
            member.touch(person, day)
            if code in {"cooked_meals", "interpretation"}:
                delivery.quantity = Decimal(rng.randint(1, 6))
        if service_type.counts_money:
            euros = {"emergency_rent": (150, 700), "financial_aid": (50, 300)}.get(code, (10, 80))
            delivery.amount = _amount(rng, currency, euros)
            delivery.currency = currency
        rows.services.append(delivery)
    big = BIG_DISTRIBUTIONS.get(organisation.slug)
    if big is not None:
        code, households, city = big
        for weeks_ago in range(0, 104, 2):
            delivery = ServiceDelivery(
                organisation=organisation,
                service_type=types[code],
                delivered_on=member.today - datetime.timedelta(weeks=weeks_ago, days=1),
                households_reached=households + rng.randint(-50, 50),
                city=city,
                staff=member.staff_member(),
            )
            delivery.quantity = Decimal(delivery.households_reached or 1)
            if types[code].counts_money:
                delivery.amount = _amount(rng, currency, (100, 150)) * (
                    delivery.households_reached or 1
                )
                delivery.currency = currency
            rows.services.append(delivery)


def _calls(member: _Member, rows: _Rows, count: int) -> None:
    rng, organisation = member.rng, member.organisation
    languages = list(organisation.languages) or ["en"]
    operators = member.operators or member.staff
    starts: list[datetime.date] = [member.day() for _ in range(count)]
    if organisation.slug == BUSY_HELPLINE:
        # A crisis: about a thousand calls in four weeks, some months ago.
        crisis = member.today - datetime.timedelta(days=200)
        starts += [crisis + datetime.timedelta(days=rng.randint(0, 27)) for _ in range(BUSY_CALLS)]
    for day in starts:
        person = rng.choice(member.consented) if member.consented and rng.random() < 0.25 else None
        if person is not None and day < member.first_seen[person.pk]:
            day = member.day_for(person)
        call = HelplineCall(
            organisation=organisation,
            started_at=member.moment(day),
            duration_minutes=rng.choice([2, 4, 6, 8, 10, 15, 20, 30, 45]),
            channel=rng.choices(CallChannel.values, weights=[70, 8, 12, 6, 4])[0],
            language=rng.choice(languages),
            caller_type=rng.choices(CallerType.values, weights=[60, 15, 15, 8, 2])[0],
            topics=rng.sample(CallTopic.values, k=rng.randint(1, 3)),
            outcome=rng.choices(CallOutcome.values, weights=[30, 35, 15, 10, 2, 6, 2])[0],
            person=person,
            operator=rng.choice(operators) if operators else None,
        )
        if rng.random() < 0.1:
            call.follow_up_on = day + datetime.timedelta(days=rng.randint(1, 7))
            call.follow_up_done = call.follow_up_on < member.today - datetime.timedelta(days=3)
        member.touch(person, day)
        rows.calls.append(call)


def _free_guest(
    rng: random.Random,
    guests: Sequence[Person],
    away: Mapping[Any, list[tuple[datetime.date, datetime.date]]],
    starts: datetime.date,
    ends: datetime.date,
) -> Person | None:
    """A guest with no other stay between ``starts`` and ``ends`` (a few tries, or none)."""
    for _try in range(20):
        person = rng.choice(guests)
        if all(ends <= begun or ended <= starts for begun, ended in away.get(person.pk, [])):
            return person
    return None


def _shelters(member: _Member, rows: _Rows, places: Sequence[tuple[str, int, int]]) -> None:
    """Stays chained per bed and per family room, so capacity is never exceeded."""
    rng, organisation = member.rng, member.organisation
    guests = member.consented
    if not guests:
        return
    # Where each guest sleeps, across the member's shelters: one bed a night, as booking
    # a stay requires.
    away: dict[Any, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for name, beds, rooms in places:
        facility = Facility(
            organisation=organisation,
            name=name,
            city=organisation.city,
            beds=beds,
            family_rooms=rooms,
        )
        rows.facilities.append(facility)
        slots = [False] * beds + [True] * rooms
        for family_room in slots:
            day = member.today - datetime.timedelta(days=DAYS - rng.randint(0, 40))
            while day <= member.today:
                length = rng.randint(7, 120)
                ends = day + datetime.timedelta(days=length)
                person = _free_guest(rng, guests, away, day, ends)
                if person is None:
                    day = ends
                    continue
                stay = Stay(
                    organisation=organisation,
                    facility=facility,
                    person=person,
                    family_room=family_room,
                    accompanying=rng.randint(1, 4) if family_room else 0,
                    starts_on=day,
                )
                if ends <= member.today:
                    stay.ends_on = ends
                elif rng.random() < 0.5:
                    stay.ends_on = ends  # a planned departure
                # A stay with no departure yet holds the person from now on.
                away[person.pk].append((day, ends if stay.ends_on else datetime.date.max))
                member.touch(person, min(ends, member.today))
                rows.stays.append(stay)
                day = ends + datetime.timedelta(days=rng.randint(0, 20))


@contextmanager
def keys_held_in_memory() -> Iterator[None]:
    """Hold each organisation's keys in memory while many rows are written at once.

    ``crypto`` caches a key only after its row is committed and reads the current data
    key on every encryption, which costs one query per value inside the demo's single
    transaction (thousands of them). Nothing rotates keys during the build (or the
    benchmark's load), so holding them for its duration is safe; they are forgotten when
    it ends.
    """
    data_keys: dict[tuple[int, int | None], tuple[int, bytes]] = {}
    index_keys: dict[int, bytes] = {}
    read_data_key, read_index_key = crypto.data_key, crypto._index_key

    def data_key(organisation_id: int, version: int | None = None) -> tuple[int, bytes]:
        if (organisation_id, version) not in data_keys:
            data_keys[organisation_id, version] = read_data_key(organisation_id, version)
        return data_keys[organisation_id, version]

    def index_key(organisation_id: int) -> bytes:
        if organisation_id not in index_keys:
            index_keys[organisation_id] = read_index_key(organisation_id)
        return index_keys[organisation_id]

    with (
        mock.patch.object(crypto, "data_key", data_key),
        mock.patch.object(crypto, "_index_key", index_key),
    ):
        yield


def frontline_members() -> list[Organisation]:
    """The demo's NGOs that work directly with people (supporters and funders excluded)."""
    return list(
        Organisation.objects.filter(
            kind="ngo", memberships__category__in=["member", "domestic_ngo"]
        )
        .distinct()
        .order_by("slug")
    )


def build_casework(seed: int, *, today: datetime.date | None = None) -> dict[str, int]:
    """Generate casework for every frontline member; returns row counts per kind."""
    rng = random.Random(seed * 7919 + 3)  # noqa: S311 - demo data, not secrets
    today = today or timezone.localdate()
    types = {service.code: service for service in ServiceType.objects.filter(organisation=None)}
    rows = _Rows()
    users = {user.username: user for user in User.objects.filter(username__contains="-")}
    with scopes_disabled(), keys_held_in_memory():
        members = frontline_members()
        for organisation in members:
            networks = set(organisation.memberships.values_list("network__slug", flat=True))
            member_rng = random.Random(rng.getrandbits(64))  # noqa: S311
            staff, operators = _staff_of(organisation, users)
            member = _Member(organisation, member_rng, today, staff, operators)
            prefix = _prefix(organisation)
            rows.settings.append(
                OrganisationSettings(
                    organisation=organisation,
                    terminology=_terminology(member_rng, networks),
                    code_prefix=prefix,
                )
            )
            big = organisation.slug in {"harbour-light", "puerta-abierta"}
            _persons(member, rows, 150 if big else member_rng.randint(40, 120), prefix)
            _cases(member, rows)
            count = 3000 if big else member_rng.randint(1000, 2200)
            _services(member, rows, types, count, everything=big or member_rng.random() < 0.3)
            if organisation.slug in HELPLINES:
                _calls(member, rows, HELPLINES[organisation.slug])
            if organisation.slug in SHELTERS:
                _shelters(member, rows, SHELTERS[organisation.slug])
            for person in member.persons:
                last = member.last_activity[person.pk]
                person.last_activity_at = member.moment(last)
            settings_row = rows.settings[-1]
            settings_row.next_person_number = len(member.persons) + 1
            settings_row.next_household_number = (
                sum(1 for h in rows.households if h.organisation_id == organisation.pk) + 1
            )
        _write(rows)
        for organisation in members:
            refresh_first_activity(organisation.pk, Q())
    counts = {
        "members": len(members),
        "persons": len(rows.persons),
        "households": len(rows.households),
        "consents": len(rows.consents),
        "cases": len(rows.cases),
        "notes": len(rows.notes),
        "services": len(rows.services),
        "calls": len(rows.calls),
        "facilities": len(rows.facilities),
        "stays": len(rows.stays),
    }
    audit.record("demo.casework_loaded", actor=None, details={"seed": seed, **counts})
    return counts


def _staff_of(organisation: Organisation, users: dict[str, User]) -> tuple[list[User], list[User]]:
    prefix = {"harbour-light": "hl-", "puerta-abierta": "fpa-"}.get(organisation.slug)
    if prefix is None:
        return [], []
    staff = [user for name, user in users.items() if name in {f"{prefix}caseworker"}]
    operators = [user for name, user in users.items() if name == f"{prefix}helpline"]
    return staff, operators or staff


def _write(rows: _Rows) -> None:
    OrganisationSettings.objects.bulk_create(rows.settings, batch_size=BATCH)
    Household.objects.bulk_create(rows.households, batch_size=BATCH)
    Person.objects.bulk_create(rows.persons, batch_size=BATCH)
    Consent.objects.bulk_create(rows.consents, batch_size=BATCH)
    Case.objects.bulk_create(rows.cases, batch_size=BATCH)
    CaseNote.objects.bulk_create(rows.notes, batch_size=BATCH)
    ServiceDelivery.objects.bulk_create(rows.services, batch_size=BATCH)
    HelplineCall.objects.bulk_create(rows.calls, batch_size=BATCH)
    Facility.objects.bulk_create(rows.facilities, batch_size=BATCH)
    for stay in rows.stays:
        stay.facility_id = stay.facility.pk
    Stay.objects.bulk_create(rows.stays, batch_size=BATCH)
