"""Disclosure control: small-cell suppression with complementary suppression, and the
differential privacy noise each member adds before its figures leave it.

Suppression works on a ``Grid`` (categories by columns, with row and column totals). A
cell below the threshold is withheld (primary suppression); then, as long as some
withheld cell could be worked out from the published totals, another cell is withheld
(complementary suppression). Each cell of the grid, totals included, lies on one row and
one column, and each line says "the cells add up to the total": withheld cells are edges
of a graph between lines, and a withheld cell can be worked out exactly when its edge is
a bridge of that graph (it lies on no cycle). So complementary suppression runs until
no withheld cell is a bridge. See docs/decisions/0031.

Noise is discrete Laplace noise from OpenDP (``make_laplace`` over integers): a person
adds at most ``PERSON_CONTRIBUTION`` to a member's private tables, so noise of scale
``PERSON_CONTRIBUTION / ε`` makes one sending ε-differentially private.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from haven.reporting.schema import PERSON_CONTRIBUTION, Cell, Figures, table

TOTAL = ""
ZERO = Decimal(0)
CITIZENSHIP = "persons.citizenship"
OTHER = "other"
Position = tuple[str, str]


@lru_cache(maxsize=1)
def _opendp() -> Any:
    """OpenDP, loaded on first use rather than with the URL conf: its prelude brings Polars
    along wherever Polars is installed (the benchmarks' extra), which doubled every
    worker's memory for pages that never add noise (bench/memory.py)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


# --- Suppression ---------------------------------------------------------------------


@dataclass
class Grid:
    """A table of counts: ``rows`` by ``columns``, with totals (the ``TOTAL`` row and column).

    Missing cells are zero. ``values`` may hold the totals too (noised figures need not add
    up); otherwise they are the sums of the cells.
    """

    rows: list[str]
    columns: list[str]
    values: dict[Position, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Totals in one pass over the cells (a review's grids have thousands of positions,
        # most of them empty).
        rows, columns = set(self.rows), set(self.columns)
        by_row: dict[str, Decimal] = {}
        by_column: dict[str, Decimal] = {}
        for (row, column), value in list(self.values.items()):
            if row in rows and column in columns:
                by_row[row] = by_row.get(row, ZERO) + value
                by_column[column] = by_column.get(column, ZERO) + value
        for row in self.rows:
            self.values.setdefault((row, TOTAL), by_row.get(row, ZERO))
        for column in self.columns:
            self.values.setdefault((TOTAL, column), by_column.get(column, ZERO))
        self.values.setdefault(
            (TOTAL, TOTAL), sum((self.values[row, TOTAL] for row in self.rows), ZERO)
        )

    def value(self, position: Position) -> Decimal:
        return self.values.get(position, ZERO)

    def positions(self) -> list[Position]:
        return [(row, column) for row in [*self.rows, TOTAL] for column in [*self.columns, TOTAL]]


Vertex = tuple[str, str]


@dataclass
class _Search:
    """A depth-first search of the withheld cells' graph: its bridges, and for each bridge
    the child end, whose subtree (by discovery order) is one side of the bridge."""

    bridges: dict[Position, Vertex] = field(default_factory=dict)
    order: dict[Vertex, int] = field(default_factory=dict)
    size: dict[Vertex, int] = field(default_factory=dict)
    root: dict[Vertex, Vertex] = field(default_factory=dict)


def _search(edges: Iterable[Position]) -> _Search:
    adjacent: dict[Vertex, list[tuple[Vertex, Position]]] = {}
    for row, column in edges:
        a, b = ("r", row), ("c", column)
        adjacent.setdefault(a, []).append((b, (row, column)))
        adjacent.setdefault(b, []).append((a, (row, column)))
    found = _Search()
    low: dict[Vertex, int] = {}
    counter = 0
    for start in adjacent:
        if start in found.order:
            continue
        found.order[start] = low[start] = counter
        found.root[start] = start
        counter += 1
        # Iterative depth-first search: (vertex, edge used to reach it, neighbour iterator).
        stack: list[tuple[Vertex, Position | None, Any]] = [(start, None, iter(adjacent[start]))]
        while stack:
            vertex, via, neighbours = stack[-1]
            advanced = False
            for neighbour, edge in neighbours:
                if edge == via:
                    continue
                if neighbour in found.order:
                    low[vertex] = min(low[vertex], found.order[neighbour])
                    continue
                found.order[neighbour] = low[neighbour] = counter
                found.root[neighbour] = start
                counter += 1
                stack.append((neighbour, edge, iter(adjacent[neighbour])))
                advanced = True
                break
            if advanced:
                continue
            stack.pop()
            found.size[vertex] = counter - found.order[vertex]
            if stack and via is not None:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[vertex])
                if low[vertex] > found.order[parent]:
                    found.bridges[via] = vertex
    return found


def _bridges(edges: Iterable[Position]) -> set[Position]:
    """Edges (row line, column line) of the graph that lie on no cycle."""
    return set(_search(edges).bridges)


def suppress(
    grid: Grid, threshold: int, *, forced: Iterable[Position] = (), zero_is_small: bool = False
) -> set[Position]:
    """The positions to withhold so that none of them follows from what is published.

    The cell withheld next lies on a line through a bridge. Preferred, in this order: one
    that closes a cycle through that bridge at once; one that is not zero (a zero next to a
    small cell protects little); never the grand total unless nothing else is left; then
    the smallest, so that as little as possible is lost; then the first by position.
    """
    values = grid.values
    withheld = set(forced)
    for position in grid.positions():
        value = values.get(position, ZERO)
        if value < threshold and (zero_is_small or value != 0):
            withheld.add(position)
    if not grid.rows or not grid.columns:
        # Totals of nothing (a citizenship nobody sent): all zero, nothing to work out, and
        # a single line has no cell to protect a total with.
        return withheld
    search = _search(withheld)
    if not search.bridges:
        return withheld
    by_row, by_column = _ranked_lines(grid)
    while True:
        order, size, root = search.order, search.size, search.root
        spans = {
            bridge: (order[child], order[child] + size[child], root[child])
            for bridge, child in search.bridges.items()
        }
        closing = {
            bridge: _closing(search, span, bridge, withheld, by_row, by_column)
            for bridge, span in spans.items()
        }
        # Withholding a cell that closes a cycle ends exactly the bridges on that cycle (those
        # that separate its row's line from its column's) and changes no other bridge or its
        # sides, so the next cell can be chosen without searching the graph again.
        while closing:
            found = [key for key in closing.values() if key is not None]
            if not found:
                withheld.add(_least(closing, withheld, by_row, by_column))
                break
            position = min(found)[2]
            withheld.add(position)
            ends = ("r", position[0]), ("c", position[1])
            for bridge in list(closing):
                span = spans[bridge]
                if _side(order, root, span, ends[0]) != _side(order, root, span, ends[1]):
                    del closing[bridge]
                elif (key := closing[bridge]) is not None and key[2] == position:
                    closing[bridge] = _closing(search, span, bridge, withheld, by_row, by_column)
        search = _search(withheld)
        if not search.bridges:
            return withheld


_Key = tuple[int, Decimal, Position]
_Span = tuple[int, int, Vertex]


def _closing(
    search: _Search,
    span: _Span,
    bridge: Position,
    withheld: set[Position],
    by_row: dict[str, list[_Key]],
    by_column: dict[str, list[_Key]],
) -> _Key | None:
    """The least cell (by ``_ranked_lines``' order, the grand total aside) on the bridge's
    row or column that would close a cycle through it; None if none is left."""
    best: _Key | None = None
    order, root = search.order, search.root
    row, column = bridge
    child_side = span[1] - span[0]
    sizes = {True: child_side, False: search.size[span[2]] - child_side}
    # Withholding (row, other) closes a cycle through the bridge when the other column's
    # line is on the far side of the bridge from this row's line; likewise down a column.
    for own, keys, across in (
        (_side(order, root, span, ("r", row)), by_row[row], True),
        (_side(order, root, span, ("c", column)), by_column[column], False),
    ):
        if sizes[not own] == 1:
            continue  # the far side is the bridge's other line alone: nothing there closes
        for key in _trimmed(keys, withheld):
            if best is not None and key >= best:
                break
            position = key[2]
            if position in withheld:
                continue
            line = ("c", position[1]) if across else ("r", position[0])
            other = _side(order, root, span, line)
            if other is not None and other != own:
                best = key
                break
    return best


def _ranked_lines(grid: Grid) -> tuple[dict[str, list[_Key]], dict[str, list[_Key]]]:
    """Each row's and each column's cells, the grand total aside, in the order of preference
    (not zero, smallest, position): a walk along a line can stop at the first that will do."""
    by_row: dict[str, list[_Key]] = {}
    by_column: dict[str, list[_Key]] = {}
    for position in grid.positions():
        if position != (TOTAL, TOTAL):
            value = grid.values.get(position, ZERO)
            key = (int(value == 0), abs(value), position)
            by_row.setdefault(position[0], []).append(key)
            by_column.setdefault(position[1], []).append(key)
    for keys in [*by_row.values(), *by_column.values()]:
        keys.sort()
    return by_row, by_column


def _trimmed(keys: list[_Key], withheld: set[Position]) -> list[_Key]:
    """``keys`` without the withheld cells it starts with (a cell once withheld stays so)."""
    first = 0
    while first < len(keys) and keys[first][2] in withheld:
        first += 1
    del keys[:first]
    return keys


def _least(
    bridges: Iterable[Position],
    withheld: set[Position],
    by_row: dict[str, list[_Key]],
    by_column: dict[str, list[_Key]],
) -> Position:
    """The cell to withhold when none but perhaps the grand total closes a cycle: the least
    cell on a line through a bridge, the grand total only when no other is left."""
    best: _Key | None = None
    crosses_totals = False
    for row, column in bridges:
        crosses_totals = crosses_totals or TOTAL in (row, column)
        for keys in (by_row[row], by_column[column]):
            if _trimmed(keys, withheld) and (best is None or keys[0] < best):
                best = keys[0]
    if best is not None:
        return best[2]
    if crosses_totals and (TOTAL, TOTAL) not in withheld:
        return (TOTAL, TOTAL)
    # Cannot happen: a full grid of two lines or more has no bridge.
    raise AssertionError("complementary suppression found no cell to withhold")


def _side(
    order: dict[Vertex, int],
    root: dict[Vertex, Vertex],
    span: tuple[int, int, Vertex],
    vertex: Vertex,
) -> bool | None:
    """True if ``vertex`` is on a bridge's child side, False on the other, None if it is in
    another component (or in none); ``span`` is the child side: its discovery order from,
    to, and its component's root."""
    place = order.get(vertex)
    if place is None or root[vertex] != span[2]:
        return None
    return span[0] <= place < span[1]


def grid_for(table_key: str, columns: Mapping[str, Figures], rows: list[str]) -> Grid:
    """The grid of one table: ``rows`` (categories), one column per key of ``columns``."""
    values: dict[Position, Decimal] = {}
    for column, figures in columns.items():
        for row in rows:
            value = figures.get((table_key, row))
            if value is not None:
                values[row, column] = value
    return Grid(rows=list(rows), columns=list(columns), values=values)


@dataclass
class Controlled:
    """A grid after suppression: what may be shown, by position."""

    grid: Grid
    withheld: set[Position]
    threshold: int

    def shown(self, position: Position) -> Decimal | None:
        return None if position in self.withheld else self.grid.value(position)


def control(grids: Mapping[str, Grid], threshold: int) -> dict[str, Controlled]:
    """Suppression for several tables' grids at once.

    Tables of one group count the same persons or calls, so they share their column totals:
    a column total withheld in one is withheld in all of them (repeated until they agree).
    Volume tables withhold exactly what the count table they follow withholds.
    """
    result: dict[str, Controlled] = {}
    counts = {key: grid for key, grid in grids.items() if table(key).kind == "count"}
    groups: dict[str, list[str]] = {}
    for key in counts:
        groups.setdefault(table(key).group or key, []).append(key)
    for members in groups.values():
        forced: set[Position] = set()
        while True:
            withheld = {key: suppress(counts[key], threshold, forced=forced) for key in members}
            shared = {
                position for key in members for position in withheld[key] if position[0] == TOTAL
            }
            if shared <= forced:
                break
            forced |= shared
        for key in members:
            result[key] = Controlled(counts[key], withheld[key], threshold)
    for key, grid in grids.items():
        table_ = table(key)
        if table_.kind != "volume":
            continue
        followed = result.get(table_.follows)
        withheld_volume: set[Position] = set()
        for position in grid.positions():
            row, column = position
            if row == TOTAL:
                continue  # volume tables publish no column totals
            source = (_followed(table_.key, row), column)
            if followed is None or source in followed.withheld:
                withheld_volume.add(position)
        result[key] = Controlled(grid, withheld_volume, threshold)
    return result


def _followed(table_key: str, row: str) -> str:
    from haven.reporting.schema import followed_category

    return followed_category(table(table_key), row)


# --- Differential privacy ------------------------------------------------------------


def noise_scale(epsilon: Decimal) -> Decimal:
    """The scale of the discrete Laplace noise that makes one sending ε-private."""
    return (Decimal(PERSON_CONTRIBUTION) / epsilon).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Noised:
    figures: Figures
    scale: Decimal
    epsilon: Decimal


def add_noise(figures: Figures, epsilon: Decimal, countries: Iterable[str]) -> Noised:
    """The figures with OpenDP's discrete Laplace noise on every cell of the private tables.

    Citizenship is released over a fixed domain, ``countries`` (those of the network's
    members, which depend on no person) with "other" and "unknown": a person's country
    outside it counts as "other" first. The measurement is built over the vector of private
    cells with the L1 distance, and its privacy map is checked: a person's at most
    ``PERSON_CONTRIBUTION`` must cost at most ε. Other cells are returned unchanged.
    """
    scale = noise_scale(epsilon)
    domain = private_domain(tuple(sorted(set(countries))))
    folded = fold_countries(figures, domain)
    dp = _opendp()
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = dp.m.make_laplace(*space, scale=float(scale))
    spent = Decimal(str(measurement.map(d_in=PERSON_CONTRIBUTION)))
    if spent > epsilon:
        raise AssertionError(f"noise of scale {scale} costs {spent}, more than ε = {epsilon}")
    noised = measurement([int(folded.get(cell, 0)) for cell in domain])
    result = {cell: value for cell, value in folded.items() if not table(cell[0]).private}
    for cell, value in zip(domain, noised, strict=True):
        result[cell] = Decimal(int(value))
    return Noised(figures=result, scale=scale, epsilon=epsilon)


def fold_countries(figures: Figures, domain: Iterable[Cell]) -> Figures:
    """Citizenship outside the domain's countries counted as "other"."""
    inside = {category for key, category in domain if key == CITIZENSHIP}
    folded: Figures = {}
    for (key, category), value in figures.items():
        if key == CITIZENSHIP and category not in inside:
            category = OTHER
        folded[key, category] = folded.get((key, category), Decimal(0)) + value
    return folded


ALPHA = 0.05
EXACT_UP_TO = 30


@lru_cache(maxsize=4096)
def accuracy(scale: float, contributions: int) -> int:
    """Half-width ``a`` such that a sum of ``contributions`` independent discrete Laplace
    noises of this scale lies within ±a with probability at least 95%.

    One discrete Laplace noise is the difference of two geometric variables, so a sum of n
    of them is the difference of two negative binomial ones; the probability of each value
    follows from that exactly, and ``a`` is the smallest integer that reaches 95%. For one
    contribution this is OpenDP's own ``discrete_laplacian_scale_to_accuracy``; beyond
    ``EXACT_UP_TO``, the normal approximation.
    """
    if contributions <= 0 or scale <= 0:
        return 0
    if contributions == 1:
        found: float = _opendp().discrete_laplacian_scale_to_accuracy(scale=scale, alpha=ALPHA)
        return math.ceil(found)
    q = math.exp(-1.0 / scale)
    n = contributions
    if n > EXACT_UP_TO:
        # The exact sum costs time in n; past this many, the normal approximation (the sum
        # of 30 such noises is within a fraction of a percent of normal) is used.
        variance = n * 2 * q / (1 - q) ** 2
        return math.ceil(1.959964 * math.sqrt(variance))
    log_q, log_p = math.log(q), math.log1p(-q)
    # Negative binomial probabilities P(X = j), far enough into the tail to be exact here.
    mean = n * q / (1 - q)
    spread = math.sqrt(n * q) / (1 - q)
    limit = int(mean + 40 * spread + 50)
    weights = [
        math.exp(math.lgamma(j + n) - math.lgamma(j + 1) - math.lgamma(n) + n * log_p + j * log_q)
        for j in range(limit)
    ]

    def probability(k: int) -> float:
        return sum(weights[j + k] * weights[j] for j in range(limit - k))

    covered = probability(0)
    a = 0
    while covered < 1 - ALPHA and a < limit - 1:
        a += 1
        covered += 2 * probability(a)
    return a


def cell_accuracy(scales: Iterable[Decimal], cells: int = 1) -> Decimal | None:
    """The 95% accuracy of a sum of noised figures: ``cells`` cells of each revision whose
    noise scale is given (None: no noise).

    Figures noised with different scales are counted as if all had the largest one, which
    can only widen the interval.
    """
    noised = [scale for scale in scales if scale > 0]
    if not noised:
        return None
    return Decimal(accuracy(float(max(noised)), len(noised) * cells))


def domain_size(table_key: str, rows: int) -> int:
    """How many noised cells of one revision a table's total adds up (for citizenship, the
    categories the revisions hold: every cell of its domain, as noised, that is not 0)."""
    table_ = table(table_key)
    return rows if table_.open_category == "country" else len(table_.category_codes())


@lru_cache(maxsize=64)
def private_domain(countries: tuple[str, ...]) -> tuple[Cell, ...]:
    """Every cell of the private tables, citizenship over ``countries``, "other", "unknown".

    Noise goes on every one of them, zeros included: leaving out a zero, or a country
    nobody had, would tell which cells are empty.
    """
    from haven.reporting.schema import TABLES

    cells: list[Cell] = []
    for table_ in TABLES:
        if not table_.private:
            continue
        if table_.open_category == "country":
            codes = [*countries, OTHER, "unknown"]
        else:
            codes = table_.category_codes()
        cells.extend((table_.key, code) for code in codes)
    return tuple(cells)
