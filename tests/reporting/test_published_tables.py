"""A publication's tables are controlled as the coordinator's review by country controls them:
each with the rest of its section, so tables that count the same persons withhold the same
totals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from haven.accounts.permissions import Role
from haven.organisations.models import Membership
from haven.reporting.disclosure import TOTAL
from haven.reporting.report import reviewed_views
from tests.conftest import client_for, make_organisation, make_user
from tests.reporting.helpers import (
    open_period,
    publish,
    quarters_back,
    sample_figures,
    send_figures,
)

pytestmark = pytest.mark.django_db

# Two members in France, one in Germany, one in Spain. Each persons table controlled alone
# showed every country's persons in the status table and withheld them in the gender one:
# without noise both are the same persons, so the status table gave the gender one's totals.
FIGURES = {
    "north": ("FR", 8, 20, 15, 13),
    "east": ("FR", 8, 20, 7, 21),
    "west": ("DE", 15, 0, 13, 2),
    "middle": ("ES", 8, 2, 10, 0),
}


def test_a_publication_withholds_what_the_review_by_country_withholds(
    coalition, north, alice, cora
):
    admins = {"north": (north, alice)}
    for slug, (country, *_figures) in FIGURES.items():
        if slug != "north":
            member = make_organisation(slug, country=country)
            Membership.objects.create(network=coalition, organisation=member, category="member")
            admins[slug] = (member, make_user(f"{slug}-admin", member, Role.ORGANISATION_ADMIN))
    period = open_period(cora, coalition, quarters_back(1)[0], epsilon=Decimal(0), budget=0)
    for slug, (_country, new, continuing, feminine, masculine) in FIGURES.items():
        member, admin = admins[slug]
        figures = {
            ("persons.status", "new"): Decimal(new),
            ("persons.status", "continuing"): Decimal(continuing),
            ("persons.gender", "Feminine"): Decimal(feminine),
            ("persons.gender", "Masculine"): Decimal(masculine),
        }
        send_figures(admin, member, period, figures)
    # No member sent citizenship: its table has no rows, and the totals the gender table
    # withholds are withheld in it too. The review drew that with a KeyError (a 500).
    for by in ("member", "country"):
        review = client_for(cora).get(
            reverse("period_review", kwargs={"org": "coalition", "period_id": period.pk}),
            {"by": by},
        )
        assert review.status_code == 200, by
    publication = publish(cora, period)
    published = {
        (figure.table, figure.category, figure.column): figure.value
        for figure in publication.figures.all()
    }
    totals = {
        table: {column for (key, row, column), value in published.items()
                if key == table and row == "" and value is None}
        for table in ("persons.status", "persons.gender")
    }  # fmt: skip
    assert totals["persons.gender"], "the gender table withholds some country's persons"
    assert totals["persons.status"] == totals["persons.gender"]
    # And what is published is what the coordinator's review by country shows.
    for view in reviewed_views(period, "country", ["persons.status", "persons.gender"]):
        for (row, column), shown in view.cells.items():
            key = (view.table.key, row, "" if column == TOTAL else column)
            assert published[key] == shown.value, key


@pytest.mark.parametrize(("language", "money"), [("en", "4,500.50"), ("fr", "4\xa0500,50")])
def test_money_reads_the_reader_s_way_on_the_public_page(
    plain_period, north, alice, cora, client, language, money
):
    send_figures(alice, north, plain_period, sample_figures())
    publish(cora, plain_period)
    page = client.get(
        reverse("network_figures", kwargs={"network": "coalition"}),
        headers={"Accept-Language": language},
    ).content.decode()
    assert f">{money}<" in page
    assert ">4,500.50<" not in page or language == "en"
