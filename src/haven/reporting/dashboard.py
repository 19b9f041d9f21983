"""The coordinator's dashboard and the public figures, built from what members sent.

Persons are counted once per period by each member, so persons figures are never added
up across periods (a person supported all year would count four times in four quarters):
trends show each period, breakdowns show one. Services, calls and nights are activity
and do add up. Until members' records are linked, a person supported by two members
counts twice; every page says so.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from haven.organisations.models import Network
from haven.reporting import access
from haven.reporting.charts import Chart, bar_chart
from haven.reporting.disclosure import TOTAL
from haven.reporting.models import PeriodKind, Publication, ReportingPeriod
from haven.reporting.report import (
    DISCLOSURE_VERSION,
    Shown,
    TableView,
    build_views,
    country_name,
    format_number,
    headline_persons,
    member_totals,
    reviewed_views,
)
from haven.reporting.schema import BY_KEY, TABLES, categories_of, label_of

DEFAULT_PERIODS = 8
MAX_PERIODS = 60
TREND_TABLES = ("persons.status", "services.deliveries", "calls.channel", "shelter.households")
SITUATION_TABLES = ("persons.trafficking", "persons.sex_work", "persons.exploitation")
# The latest period's breakdowns by country, in the order the dashboard shows them.
PLACE_TABLES = ("persons.status", "services.deliveries", *SITUATION_TABLES)


@dataclass
class Headline:
    members: int
    persons: int
    countries: int
    period: str
    threshold: int

    @property
    def sentence(self) -> str:
        return headline_sentence(self.period, self.members, self.persons, self.countries)


def headline_sentence(period: str, members: int, persons: int, countries: int) -> str:
    """ "In Q3 2026, 25 member organisations supported more than 15,000 persons in 18
    countries.", in the current language; each count agrees with its own noun."""
    if not persons:
        return ngettext(
            "In %(period)s, %(members)d member organisation reported figures; the number of "
            "persons is too small to be shown.",
            "In %(period)s, %(members)d member organisations reported figures; the number of "
            "persons is too small to be shown.",
            members,
        ) % {"period": period, "members": members}
    # The countries are a phrase of their own: one sentence can agree with one count only.
    in_countries = ngettext("%(count)d country", "%(count)d countries", countries) % {
        "count": countries
    }
    return ngettext(
        "In %(period)s, %(members)d member organisation supported more than %(persons)s "
        "persons in %(countries)s.",
        "In %(period)s, %(members)d member organisations supported more than %(persons)s "
        "persons in %(countries)s.",
        members,
    ) % {
        "period": period,
        "members": members,
        "persons": format_number(persons),
        "countries": in_countries,
    }


@dataclass
class Section:
    title: str
    view: TableView
    chart: Chart | None = None


@dataclass
class Dashboard:
    network: Network
    kind: str
    periods: list[ReportingPeriod]
    latest: ReportingPeriod | None
    headline: Headline | None = None
    trends: list[Section] = field(default_factory=list)
    by_country: Section | None = None
    by_member: Section | None = None
    services: list[Section] = field(default_factory=list)
    situation: list[Section] = field(default_factory=list)
    # Each period's threshold, for the periods with figures: the trends withhold what each
    # period's own review withholds, so the note names every threshold when they differ.
    thresholds: list[tuple[str, int]] = field(default_factory=list)

    @property
    def thresholds_named(self) -> str:
        """The periods' thresholds, each with its period, when they are not all the same."""
        if len({threshold for _label, threshold in self.thresholds}) < 2:
            return ""
        return "; ".join(
            _("%(period)s: %(threshold)d") % {"period": label, "threshold": threshold}
            for label, threshold in self.thresholds
        )

    @property
    def place_sections(self) -> list[Section]:
        return [section for section in (self.by_country, self.by_member) if section is not None]

    def all_views(self) -> list[TableView]:
        sections = [
            *self.trends,
            *[s for s in (self.by_country, self.by_member) if s is not None],
            *self.services,
            *self.situation,
        ]
        return [section.view for section in sections]


def _chart_of(view: TableView, title: str) -> Chart:
    return bar_chart(title, [(label, view.cell(code, TOTAL)) for code, label in view.rows])


def _column_chart(view: TableView, title: str) -> Chart:
    return bar_chart(title, list(zip([name for _key, name in view.columns],
                                     view.column_totals(), strict=True)))  # fmt: skip


def dashboard_periods(
    network: Network, kind: str, start: datetime.date | None, end: datetime.date | None
) -> tuple[str, list[ReportingPeriod]]:
    """The kind of period shown (the latest period's by default) and the periods, oldest first."""
    periods = access.periods_of(network)
    if not kind:
        latest = periods.first()
        kind = latest.kind if latest is not None else PeriodKind.QUARTER
    periods = periods.filter(kind=kind)
    if start is not None:
        periods = periods.filter(starts_on__gte=start)
    if end is not None:
        periods = periods.filter(ends_on__lte=end)
    limit = MAX_PERIODS if start is not None or end is not None else DEFAULT_PERIODS
    return kind, list(reversed(list(periods.order_by("-starts_on")[:limit])))


def dashboard_version(network: Network, kind: str, periods: list[ReportingPeriod]) -> str:
    """What the dashboard of these periods is drawn from: it changes when a member sends or
    corrects figures, when a period or its threshold changes, or a member its name or country."""
    return hashlib.sha256(
        repr(
            (
                # The way figures are withheld: a change to it draws every dashboard anew.
                DISCLOSURE_VERSION,
                network.pk,
                kind,
                get_language(),
                [(p.pk, p.threshold, p.starts_on, p.ends_on, p.label) for p in periods],
                access.current_revisions(periods),
            )
        ).encode()
    ).hexdigest()


def draw_views_of(period: ReportingPeriod) -> None:
    """Draw into the reviews' cache what a dashboard shows of the period: its totals by
    member, which the trends follow, and its breakdowns by country (when it is the latest)."""
    member_totals([period], [BY_KEY[key] for key in TREND_TABLES])
    reviewed_views(period, "country", PLACE_TABLES)


def build_dashboard(network: Network, kind: str, periods: list[ReportingPeriod]) -> Dashboard:
    """Trends over the periods (``dashboard_periods``), and breakdowns of the latest one with
    figures."""
    trend_tables = [BY_KEY[key] for key in TREND_TABLES]
    by_period = access.sent_figures(periods, by="period", tables=trend_tables)
    with_figures = [period for period in periods if str(period.pk) in by_period.members]
    latest = with_figures[-1] if with_figures else None
    result = Dashboard(
        network=network,
        kind=kind,
        periods=periods,
        latest=latest,
        thresholds=[(period.label, period.threshold) for period in with_figures],
    )
    if latest is None:
        return result
    threshold = latest.threshold
    labels = {str(period.pk): period.label for period in periods}
    order = {str(period.pk): index for index, period in enumerate(periods)}
    trend_views = build_views(
        by_period,
        trend_tables,
        threshold,
        column_label=lambda key: f"{order.get(key, 0):03d}|{labels.get(key, key)}",
        periods=member_totals(with_figures, trend_tables),
    )
    for view in trend_views:
        view.columns = [(key, name.split("|", 1)[1]) for key, name in view.columns]
        if view.table.private:
            view.row_totals = False
            view.cells = {
                position: shown for position, shown in view.cells.items() if position[1] != TOTAL
            }
        result.trends.append(
            Section(str(view.table.title), view, _column_chart(view, str(view.table.title)))
        )
    # The latest period's breakdowns are its reviews' own views: controlled apart, a view
    # withholding other cells than the review's, set beside it, could give a cell back.
    by_country = access.sent_figures([latest], by="country", tables=[BY_KEY["persons.status"]])
    country_views = reviewed_views(latest, "country", PLACE_TABLES)
    country_view = country_views[0]
    result.by_country = Section(
        _("Persons supported by country"),
        country_view,
        _column_chart(country_view, _("Persons supported by country")),
    )
    [member_view] = reviewed_views(latest, "member", ["persons.status"])
    result.by_member = Section(_("Persons supported by member"), member_view)
    services_view = country_views[1]
    result.services = [
        Section(
            str(services_view.table.title),
            services_view,
            _chart_of(services_view, str(services_view.table.title)),
        )
    ]
    for view in country_views[2:]:
        result.situation.append(
            Section(str(view.table.title), view, _chart_of(view, str(view.table.title)))
        )
    result.headline = Headline(
        members=len(set().union(*by_country.members.values())),
        persons=headline_persons(country_view),
        countries=len([code for code in by_country.columns if code != "??"]),
        period=latest.label,
        threshold=threshold,
    )
    return result


# --- Published figures --------------------------------------------------------------


@dataclass
class PublicFigures:
    publication: Publication
    headline: Headline
    views: list[TableView]
    sections: list[tuple[str, list[Section]]]


def _views_of(publication: Publication) -> list[TableView]:
    rows = access.published_figures(publication)
    by_table: dict[str, dict[tuple[str, str], Shown]] = {}
    for row in rows:
        by_table.setdefault(row.table, {})[row.category, row.column] = Shown(
            row.value, row.accuracy
        )
    views = []
    for table_ in TABLES:
        cells = by_table.get(table_.key)
        if cells is None:
            continue
        present = {(table_.key, category): Decimal(0) for category, _column in cells if category}
        categories = categories_of(table_, present)
        columns = sorted({column for _category, column in cells if column}, key=country_name)
        views.append(
            TableView(
                table=table_,
                rows=[(code, label_of(table_, code)) for code in categories],
                columns=[(code, country_name(code)) for code in columns],
                cells=cells,
                threshold=publication.period.threshold,
            )
        )
    return views


def public_figures(publication: Publication) -> PublicFigures:
    """A publication's tables, as generated, grouped by section, with charts."""
    from haven.reporting.schema import SECTIONS

    views = _views_of(publication)
    sections: dict[str, list[Section]] = {}
    for view in views:
        title = str(view.table.title)
        chart = _chart_of(view, title) if len(view.rows) > 1 else None
        sections.setdefault(view.table.section, []).append(Section(title, view, chart))
    return PublicFigures(
        publication=publication,
        headline=Headline(
            members=publication.members,
            persons=publication.persons,
            countries=publication.countries,
            period=publication.period.label,
            threshold=publication.period.threshold,
        ),
        views=views,
        sections=[(str(SECTIONS[key]), found) for key, found in sections.items()],
    )


def headline_text(publication: Publication) -> str:
    """The headline sentence of a publication, in the current language."""
    return headline_sentence(
        publication.period.label, publication.members, publication.persons, publication.countries
    )
