"""Disclosure control: no withheld cell follows from the published totals, and the noise
is what OpenDP says, with the accuracy the pages print."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import opendp.prelude as dp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.reporting.disclosure import (
    TOTAL,
    Grid,
    _bridges,
    accuracy,
    add_noise,
    control,
    private_domain,
    suppress,
)
from haven.reporting.report import round_down
from haven.reporting.schema import PERSON_CONTRIBUTION, empty_figures

THRESHOLD = 10

# OpenDP is the tests' oracle here, used directly; Haven enables the same on first use.
dp.enable_features("contrib")


def _rank(rows: list[list[Fraction]]) -> int:
    matrix = [row[:] for row in rows]
    rank, columns = 0, len(matrix[0]) if matrix else 0
    for column in range(columns):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][column] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for i in range(len(matrix)):
            if i != rank and matrix[i][column] != 0:
                factor = matrix[i][column] / matrix[rank][column]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[rank], strict=True)]
        rank += 1
    return rank


def derivable(grid: Grid, withheld: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Withheld cells an attacker can compute exactly from every published figure.

    Independent of the code under test: each published line (a row or a column, totals
    included) says that its cells add up to its total; a withheld cell is derivable when
    its unit vector lies in the span of those equations over the withheld cells.
    """
    unknowns = sorted(withheld)
    index = {position: i for i, position in enumerate(unknowns)}
    equations: list[list[Fraction]] = []
    rows, columns = [*grid.rows, TOTAL], [*grid.columns, TOTAL]
    lines = [[(row, column) for column in columns] for row in rows]
    lines += [[(row, column) for row in rows] for column in columns]
    for line in lines:
        coefficients = [Fraction(0)] * len(unknowns)
        for position in line:
            if position in index:
                is_total = position == line[-1]
                coefficients[index[position]] += Fraction(-1 if is_total else 1)
        if any(coefficients):
            equations.append(coefficients)
    if not equations:
        return set(unknowns)
    base = _rank(equations)
    found = set()
    for position, i in index.items():
        unit = [Fraction(0)] * len(unknowns)
        unit[i] = Fraction(1)
        if _rank([*equations, unit]) == base:
            found.add(position)
    return found


grids = st.builds(
    lambda rows, columns, values: Grid(
        rows=[f"r{i}" for i in range(rows)],
        columns=[f"c{j}" for j in range(columns)],
        values={
            (f"r{i}", f"c{j}"): Decimal(values[(i * columns + j) % len(values)])
            for i in range(rows)
            for j in range(columns)
        },
    ),
    st.integers(1, 6),
    st.integers(1, 6),
    st.lists(st.integers(0, 60) | st.integers(1, 9), min_size=1, max_size=36),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids)
def test_no_withheld_cell_can_be_derived_from_the_published_totals(grid: Grid) -> None:
    withheld = suppress(grid, THRESHOLD)
    small = {position for position in grid.positions() if 0 < grid.value(position) < THRESHOLD}
    assert small <= withheld
    assert not derivable(grid, withheld)


def test_the_derivability_check_notices_a_cell_alone_in_its_row() -> None:
    grid = Grid(rows=["a", "b"], columns=["x", "y"], values={
        ("a", "x"): Decimal(3), ("a", "y"): Decimal(30),
        ("b", "x"): Decimal(40), ("b", "y"): Decimal(50),
    })  # fmt: skip
    assert derivable(grid, {("a", "x")}) == {("a", "x")}
    assert not derivable(grid, suppress(grid, THRESHOLD))


def _suppress_plainly(grid: Grid, forced: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Complementary suppression as its rule reads, one cell at a time, searching again."""
    withheld = {p for p in grid.positions() if 0 < grid.value(p) < THRESHOLD} | forced
    while bridges := _bridges(withheld):
        candidates = set()
        for row, column in bridges:
            for position in [*((row, c) for c in [*grid.columns, TOTAL]),
                             *((r, column) for r in [*grid.rows, TOTAL])]:  # fmt: skip
                if position not in withheld:
                    closes = (row, column) not in _bridges(withheld | {position})
                    value = grid.value(position)
                    grand_total = position == (TOTAL, TOTAL)
                    # A cell that closes a cycle through a bridge, one not zero, never the
                    # grand total while another is left, the smallest, the first by position.
                    candidates.add(
                        (2 * grand_total + (not closes), value == 0, abs(value), position)
                    )
        withheld.add(min(candidates)[3])
    return withheld


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids, st.sets(st.integers(0, 5), max_size=3))
def test_complementary_suppression_chooses_the_cells_its_rule_says(
    grid: Grid, forced_columns: set[int]
) -> None:
    forced = {(TOTAL, grid.columns[j]) for j in forced_columns if j < len(grid.columns)}
    assert suppress(grid, THRESHOLD, forced=forced) == _suppress_plainly(grid, forced)


def test_tables_of_one_group_withhold_the_same_column_totals() -> None:
    figures = {
        "FR": {
            ("persons.gender", "Feminine"): Decimal(4),
            ("persons.age_band", "18-24"): Decimal(4),
        },
        "ES": {
            ("persons.gender", "Feminine"): Decimal(30),
            ("persons.age_band", "18-24"): Decimal(30),
        },
        "IT": {
            ("persons.gender", "Feminine"): Decimal(25),
            ("persons.age_band", "25-34"): Decimal(25),
        },
    }
    grids = {
        key: Grid(
            rows=rows,
            columns=list(figures),
            values={
                (row, c): v
                for c, cells in figures.items()
                for (t, row), v in cells.items()
                if t == key
            },
        )
        for key, rows in (
            ("persons.gender", ["Feminine"]),
            ("persons.age_band", ["18-24", "25-34"]),
        )
    }
    controlled = control(grids, THRESHOLD)
    totals = [
        {p for p in controlled[key].withheld if p[0] == TOTAL}
        for key in ("persons.gender", "persons.age_band")
    ]
    assert totals[0] == totals[1]
    assert (TOTAL, "FR") in totals[0]


def test_volume_figures_are_withheld_where_their_counts_are() -> None:
    grids = {
        "services.deliveries": Grid(rows=["food_parcel", "voucher"], columns=["FR", "ES"], values={
            ("food_parcel", "FR"): Decimal(3), ("food_parcel", "ES"): Decimal(40),
            ("voucher", "FR"): Decimal(20), ("voucher", "ES"): Decimal(30),
        }),
        "services.amount": Grid(rows=["voucher:EUR"], columns=["FR", "ES"], values={
            ("voucher:EUR", "FR"): Decimal(900), ("voucher:EUR", "ES"): Decimal(1500),
        }),
    }  # fmt: skip
    controlled = control(grids, THRESHOLD)
    counts, money = controlled["services.deliveries"], controlled["services.amount"]
    for column in ("FR", "ES"):
        assert (("voucher:EUR", column) in money.withheld) == (
            ("voucher", column) in counts.withheld
        )


def test_noise_is_added_to_every_private_cell_and_nowhere_else() -> None:
    figures = empty_figures()
    figures["services.deliveries", "food_parcel"] = Decimal(500)
    figures["persons.citizenship", "VN"] = Decimal(12)
    figures["persons.citizenship", "FR"] = Decimal(30)
    noised = add_noise(figures, Decimal("0.5"), ["FR", "ES"])
    domain = private_domain(("ES", "FR"))
    assert noised.scale == Decimal(PERSON_CONTRIBUTION * 2)
    assert set(domain) == {cell for cell in noised.figures if cell[0].startswith("persons.")}
    assert noised.figures["services.deliveries", "food_parcel"] == 500
    changed = sum(1 for cell in domain if noised.figures[cell] != 0)
    # Noise of scale 18 leaves a cell at exactly zero rarely (about 3% of the time).
    assert changed > len(domain) * 0.8
    # A country outside the network's counts as "other" before the noise; none is named.
    assert ("persons.citizenship", "VN") not in noised.figures
    assert ("persons.citizenship", "other") in noised.figures


def test_one_sending_costs_exactly_its_epsilon_by_opendps_own_privacy_map() -> None:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = dp.m.make_laplace(*space, scale=float(PERSON_CONTRIBUTION))
    assert measurement.map(d_in=PERSON_CONTRIBUTION) == pytest.approx(1.0)


def test_the_accuracy_of_one_noised_figure_is_opendps() -> None:
    expected = dp.discrete_laplacian_scale_to_accuracy(scale=9.0, alpha=0.05)
    assert accuracy(9.0, 1) == int(-(-expected // 1))


def test_the_accuracy_of_a_sum_covers_95_percent_of_real_opendp_noise() -> None:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    members, draws, scale = 5, 4000, 9.0
    measurement = dp.m.make_laplace(*space, scale=scale)
    half_width = accuracy(scale, members)
    inside = 0
    for _ in range(draws // 100):
        noise = measurement([0] * (members * 100))
        for start in range(0, members * 100, members):
            inside += abs(sum(noise[start : start + members])) <= half_width
    coverage = inside / draws
    # Exact 95% (at least) of the time; 4,000 draws put the estimate within about ±1%.
    assert 0.935 <= coverage <= 0.975


def test_the_accuracy_grows_with_the_number_of_noised_figures_but_slower() -> None:
    assert accuracy(9.0, 1) < accuracy(9.0, 4) < 2 * accuracy(9.0, 1) * 2
    assert accuracy(9.0, 30) < accuracy(9.0, 31) * 1.05
    assert accuracy(9.0, 0) == 0


@pytest.mark.parametrize(
    ("number", "expected"),
    [(15_234, 15_000), (987, 980), (64, 64), (1_064, 1_000), (0, 0), (-5, 0), (100, 100)],
)
def test_the_headline_rounds_down_to_two_significant_figures(number: int, expected: int) -> None:
    assert round_down(number) == expected
