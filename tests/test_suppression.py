"""Small-cell suppression (welfarepoint.insights.suppression): what a published table must not give away.

Welfare Point publishes anonymous counts with their row, column and grand totals. A count from 1 to T-1
(T = 5, or 10 for care and disability needs) could point at a few people, so it must not be readable:
neither printed nor computable from the printed numbers. These tests check that:

* the visible numbers and the totals are true, every small count is hidden and zeros are shown;
* an attacker cannot pin any hidden small count ("<T") to a single value. Three attackers, each knowing
  every visible cell and published total: one who only knows that hidden counts are whole numbers >= 0;
  one who also reads "<T" as "from 1 to T-1"; one who also reads "*" as "0 or at least T" (it is not
  small, else it would say "<T"). Each feasible set holds the next, so each attack is stronger. The only
  exception allowed: cells that the labels alone give away, i.e. that the attacker would pin even if
  every non-zero number were hidden (four "<5" adding up to a total shown "<5" are all 1).

The attacks are brute force and independent of the module's own audit: a complete search over fillings
of the hidden cells, narrowing each cell to the values its rows and columns still allow and splitting,
for one consistent with everything published in which the attacked cell differs from the truth. To make
the search finite every hidden number is capped at the largest true number plus one. The cap gives the
attacker nothing: if any other filling exists, then one exists that moves every hidden number by at most
one (the difference of two fillings splits into +1/-1 cycles of hidden cells that agree with it in sign,
and one such cycle through the attacked cell is itself a valid move), and it is under the cap. (For the
attacker who reads "*", whose "*" is not a range, the cap can only make the attacker stronger.)
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from welfarepoint.insights.suppression import (
    COMPLEMENTARY_LABEL,
    Cell,
    SuppressedTable,
    suppress,
    suppress_counts,
)

# ----------------------------------------------------------------------------------------------------------
# The brute-force attacker


def _has_other_solution(
    domains: list[list[int]], truth: list[int], lines: list[tuple[int, list[tuple[int, int]]]], target: int
) -> bool:
    """Whether the unknowns can be filled, each from its sorted domain, so that every line holds
    (``constant + sum(coefficient * unknown) == 0``) with unknown ``target`` different from its truth.

    A complete search: each unknown keeps a range of its domain, the lines narrow the ranges (the rest of a
    line bounds each of its unknowns) until nothing changes, then the open unknown with the fewest values
    left is split, the part nearest its truth first."""
    domains = [list(domain) for domain in domains]
    domains[target] = [value for value in domains[target] if value != truth[target]]
    if not domains[target]:
        return False

    def narrow(ranges: list[list[int]]) -> bool:
        """Narrow ``ranges`` (first and last index into each domain) in place; False if a line fails."""
        changed = True
        while changed:
            changed = False
            for constant, terms in lines:
                least = most = constant
                for unknown, coefficient in terms:
                    ends = (
                        coefficient * domains[unknown][ranges[unknown][0]],
                        coefficient * domains[unknown][ranges[unknown][1]],
                    )
                    least, most = least + min(ends), most + max(ends)
                if least > 0 or most < 0:
                    return False
                for unknown, coefficient in terms:
                    domain, (first, last) = domains[unknown], ranges[unknown]
                    ends = (coefficient * domain[first], coefficient * domain[last])
                    # coefficient * value must bring the rest of the line back to zero
                    low, high = -(most - max(ends)), -(least - min(ends))
                    if coefficient == -1:
                        low, high = -high, -low
                    new_first = max(first, bisect_left(domain, low))
                    new_last = min(last, bisect_right(domain, high) - 1)
                    if new_first > new_last:
                        return False
                    if (new_first, new_last) != (first, last):
                        ranges[unknown] = [new_first, new_last]
                        changed = True
        return True

    def search(ranges: list[list[int]]) -> bool:
        if not narrow(ranges):
            return False
        open_ = [(last - first, unknown) for unknown, (first, last) in enumerate(ranges) if last > first]
        if not open_:
            return True
        _, unknown = min(open_)
        domain, (first, last) = domains[unknown], ranges[unknown]
        if last - first < 4:
            parts = [(index, index) for index in range(first, last + 1)]
            parts.sort(key=lambda part: abs(domain[part[0]] - truth[unknown]))
        else:
            middle = min(max(bisect_left(domain, truth[unknown]), first), last - 1)
            parts = [(first, middle), (middle + 1, last)]
        for part in parts:
            branch = [list(item) for item in ranges]
            branch[unknown] = list(part)
            if search(branch):
                return True
        return False

    return search([[0, len(domain) - 1] for domain in domains])


ATTACKERS = ("non-negative", "reads-small", "reads-star")
# Not one of the attackers above: reads "*" as "at least T" (it can only be so when no zero is hidden).
KNOWS_STAR = "knows-star"


def _domain(cell: Cell, threshold: int, cap: int, attacker: str) -> list[int]:
    """What ``attacker`` believes a hidden cell can be, from its label."""
    if attacker != "non-negative" and cell.label.startswith("<"):
        return list(range(1, min(int(cell.label[1:]) - 1, cap) + 1))
    if attacker == "reads-star" and cell.label == COMPLEMENTARY_LABEL:
        return [0, *range(threshold, cap + 1)]
    if attacker == KNOWS_STAR and cell.label == COMPLEMENTARY_LABEL:
        return list(range(threshold, cap + 1))
    return list(range(cap + 1))


def _pinned_cells(
    published: list[list[Cell]], truth: list[list[int]], limits: list[list[int]], attacker: str
) -> list[tuple[int, int]]:
    """The "<T" cells of a published grid (cells plus totals row and column) that ``attacker`` can pin."""
    last_row, last_column = len(truth) - 1, len(truth[0]) - 1
    cap = max(max(row) for row in truth) + 1
    unknowns = [(i, j) for i, row in enumerate(published) for j, cell in enumerate(row) if cell.hidden]
    number = {place: index for index, place in enumerate(unknowns)}
    lines = []
    for places in (
        *([(i, j) for j in range(last_column + 1)] for i in range(last_row + 1)),
        *([(i, j) for i in range(last_row + 1)] for j in range(last_column + 1)),
    ):
        constant, terms = 0, []
        for i, j in places:
            coefficient = -1 if (i, j) == places[-1] else 1  # the line's own total is at its end
            if (i, j) in number:
                terms.append((number[(i, j)], coefficient))
            else:
                constant += coefficient * published[i][j].value
        lines.append((constant, terms))
    domains = [_domain(published[i][j], limits[i][j], cap, attacker) for i, j in unknowns]
    values = [truth[i][j] for i, j in unknowns]
    return [
        place
        for index, place in enumerate(unknowns)
        if published[place[0]][place[1]].primary and not _has_other_solution(domains, values, lines, index)
    ]


# ----------------------------------------------------------------------------------------------------------
# Helpers


def _names(count: int, prefix: str) -> list[str]:
    return [f"{prefix}{index}" for index in range(count)]


def _grid(table: SuppressedTable) -> list[list[Cell]]:
    """The published table with its totals as one grid: the totals row last, the totals column last."""
    rows = [[*cells, total] for cells, total in zip(table.cells, table.row_totals, strict=True)]
    return [*rows, [*table.column_totals, table.total]]


def _true_grid(values: list[list[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in values]
    return [*rows, [sum(column) for column in zip(*rows, strict=True)]]


def _limit_grid(values: list[list[int]], thresholds: int | list[int] | list[list[int]]) -> list[list[int]]:
    """The threshold of every cell of the grid; a total's is the smallest of the cells it adds up."""
    if isinstance(thresholds, int):
        cells = [[thresholds] * len(row) for row in values]
    elif all(isinstance(item, int) for item in thresholds):
        cells = [list(thresholds) for _ in values]
    else:
        cells = [list(row) for row in thresholds]
    rows = [[*row, min(row)] for row in cells]
    return [*rows, [min(column) for column in zip(*rows, strict=True)]]


def _labels(table: SuppressedTable) -> list[list[str]]:
    return [[cell.label for cell in row] for row in _grid(table)]


# ----------------------------------------------------------------------------------------------------------
# Examples


def test_one_small_cell_gets_a_rectangle_of_complementary_cells() -> None:
    table = suppress(["r1", "r2", "r3"], ["A", "B", "C"], [[2, 10, 20], [15, 12, 30], [25, 40, 50]])
    assert _labels(table) == [
        ["<5", "*", "20", "32"],
        ["*", "*", "30", "57"],
        ["25", "40", "50", "115"],
        ["42", "62", "100", "204"],
    ]
    assert table.cells[0][0] == Cell(None, "<5", True, True)
    assert table.cells[0][1] == Cell(None, "*", True, False)
    assert table.cells[2][2] == Cell(50, "50", False, False)
    assert table.rows == ["r1", "r2", "r3"] and table.columns == ["A", "B", "C"]


def test_an_all_zero_table_shows_zeros() -> None:
    table = suppress(["r1", "r2"], ["A", "B", "C"], [[0, 0, 0], [0, 0, 0]])
    assert _labels(table) == [["0"] * 4] * 3
    assert all(not cell.hidden and cell.value == 0 for row in _grid(table) for cell in row)


def test_a_table_without_small_counts_hides_nothing() -> None:
    values = [[5, 0, 12], [30, 7, 5]]
    table = suppress(["r1", "r2"], ["A", "B", "C"], values)
    assert [[cell.value for cell in row] for row in _grid(table)] == _true_grid(values)
    assert not any(cell.hidden for row in _grid(table) for cell in row)


def test_care_column_has_threshold_ten() -> None:
    table = suppress(["r1", "r2"], ["food", "care"], [[7, 7], [20, 30]], [5, 10])
    assert table.cells[0][1] == Cell(None, "<10", True, True)
    assert not table.cells[1][1].primary and table.cells[0][0].label in ("7", COMPLEMENTARY_LABEL)
    assert all(cell.label != "<5" for row in _grid(table) for cell in row)
    assert _pinned_cells(_grid(table), _true_grid([[7, 7], [20, 30]]), [[5, 10, 5]] * 3, "reads-star") == []
    # Per cell, the same thing.
    assert suppress(["r1", "r2"], ["food", "care"], [[7, 7], [20, 30]], [[5, 10], [5, 10]]) == table


def test_labels() -> None:
    table = suppress(["r1", "r2"], ["A", "B"], [[1, 9], [12, 40]], [[5, 10], [5, 5]])
    assert table.cells[0][0].label == "<5" and table.cells[0][1].label == "<10"
    assert COMPLEMENTARY_LABEL == "*"
    for cell in (cell for row in _grid(table) for cell in row):
        assert cell.hidden == (cell.value is None)
        if cell.primary:
            assert cell.hidden and cell.label in ("<5", "<10")
        else:
            assert cell.label == (COMPLEMENTARY_LABEL if cell.hidden else str(cell.value))


def test_a_small_total_is_hidden_and_protected() -> None:
    values = [[1, 2], [20, 30]]
    table = suppress(["r1", "r2"], ["A", "B"], values)
    assert table.row_totals[0] == Cell(None, "<5", True, True)
    assert table.total == Cell(53, "53", False, False)
    for attacker in ATTACKERS:
        assert _pinned_cells(_grid(table), _true_grid(values), [[5] * 3] * 3, attacker) == []


def test_a_single_small_count_hides_every_number() -> None:
    table = suppress(["r"], ["c"], [[3]])
    assert _labels(table) == [["<5", "<5"], ["<5", "<5"]]


def test_the_attacker_sees_through_primary_suppression_alone() -> None:
    """A check of the attack itself: with only the small count hidden, the totals give it away."""
    truth = _true_grid([[3, 20], [10, 10]])
    published = [[Cell(value, str(value), False, False) for value in row] for row in truth]
    published[0][0] = Cell(None, "<5", True, True)
    assert _pinned_cells(published, truth, [[5] * 3] * 3, "non-negative") == [(0, 0)]


def test_two_hidden_cells_per_line_are_not_always_enough() -> None:
    """ "<5" + "<5" = 2 gives both away although every line has two hidden cells; the audit sees it."""
    values = [[1, 1, 20], [10, 10, 10]]
    truth, limits = _true_grid(values), [[5] * 4] * 3
    star, small = Cell(None, COMPLEMENTARY_LABEL, True, False), Cell(None, "<5", True, True)
    two_per_line = [[Cell(v, str(v), False, False) for v in row] for row in truth]
    two_per_line[0][0] = two_per_line[0][1] = small
    two_per_line[1][0] = two_per_line[1][1] = star
    assert _pinned_cells(two_per_line, truth, limits, "non-negative") == []
    assert _pinned_cells(two_per_line, truth, limits, "reads-small") == [(0, 0), (0, 1)]
    published = _grid(suppress(["r1", "r2"], ["A", "B", "C"], values))
    for attacker in ATTACKERS:
        assert _pinned_cells(published, truth, limits, attacker) == []


def test_labels_alone_can_give_counts_away() -> None:
    """Four "<5" adding up to a total shown "<5" are all 1: no suppression can prevent it (module docstring).
    The rest of the table is still protected as well as it can be."""
    values = [[1, 1, 1, 1], [4, 0, 9, 11]]
    truth, limits = _true_grid(values), [[5] * 5] * 3
    published = _grid(suppress(["r1", "r2"], ["A", "B", "C", "D"], values))
    assert published[0] == [Cell(None, "<5", True, True)] * 5
    assert _pinned_cells(published, truth, limits, "non-negative") == []
    # Row r1, its total, and the total of column B (which is just the 1 of r1).
    row_r1 = [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (2, 1)]
    assert _pinned_cells(published, truth, limits, "reads-small") == row_r1
    # Reading "*" as "0 or at least 5", the total of column A (at least 1 + 4) pins its other "<5" to 4: also
    # the case when every non-zero number is hidden. Against "reads-small" that cell was freed.
    row_r1_and_a = [*row_r1[:5], (1, 0), (2, 1)]
    assert _pinned_cells(published, truth, limits, "reads-star") == row_r1_and_a
    assert _pinned_cells(_everything_hidden(published), truth, limits, "reads-star") == row_r1_and_a


def test_counts_list() -> None:
    shown = suppress_counts({"x": 3, "y": 12, "z": 20})
    assert {key: cell.label for key, cell in shown.items()} == {
        "x": "<5",
        "y": COMPLEMENTARY_LABEL,
        "z": "20",
    }
    assert shown.total == Cell(35, "35", False, False)
    assert list(shown) == ["x", "y", "z"]


def test_counts_list_hides_the_total_when_a_star_would_give_it_away() -> None:
    # With the total 6 shown, "*" (0 or at least 5) would have to be 5, and "<5" would be 1.
    shown = suppress_counts({"a": 1, "b": 5})
    assert (shown["a"].label, shown["b"].label, shown.total.label) == ("<5", COMPLEMENTARY_LABEL, "*")


def test_counts_list_thresholds_per_key() -> None:
    shown = suppress_counts({"care": 7, "food": 7, "housing": 40}, {"care": 10, "food": 5, "housing": 5})
    assert shown["care"].label == "<10" and shown["food"].label == COMPLEMENTARY_LABEL
    with pytest.raises(ValueError):
        suppress_counts({"care": 7, "food": 7}, {"care": 10})
    assert suppress_counts({}).total == Cell(0, "0", False, False)


@pytest.mark.parametrize(
    ("rows", "columns", "values", "thresholds"),
    [
        (["r"], ["a", "b"], [[1]], 5),
        (["r"], ["a"], [[-1]], 5),
        (["r"], ["a"], [[1]], 0),
        (["r"], ["a", "b"], [[1, 2]], [5, 5, 5]),
        (["r"], ["a"], [[1.5]], 5),
    ],
)
def test_bad_input_is_refused(rows, columns, values, thresholds) -> None:
    with pytest.raises(ValueError):
        suppress(rows, columns, values, thresholds)


# ----------------------------------------------------------------------------------------------------------
# Properties

COUNTS = st.one_of(st.integers(0, 30), st.sampled_from([0, 1, 2, 3, 4, 5, 6, 9, 10, 11]))
THRESHOLDS = st.sampled_from([5, 10])


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[list[int]], int | list[int] | list[list[int]]]:
    """A table of 1..4 x 1..4 counts, with one threshold, one per column or one per cell."""
    n_rows, n_columns = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    values = draw(
        st.lists(st.lists(COUNTS, min_size=n_columns, max_size=n_columns), min_size=n_rows, max_size=n_rows)
    )
    kind = draw(st.sampled_from(["table", "column", "cell"]))
    if kind == "table":
        return values, draw(THRESHOLDS)
    if kind == "column":
        return values, draw(st.lists(THRESHOLDS, min_size=n_columns, max_size=n_columns))
    cells = st.lists(THRESHOLDS, min_size=n_columns, max_size=n_columns)
    return values, draw(st.lists(cells, min_size=n_rows, max_size=n_rows))


def _assert_published(cell: Cell, true: int, limit: int) -> None:
    """A count below its limit shows as "<limit"; a count hidden to protect another shows the complementary
    label (and is not zero); any other shows as itself."""
    if 0 < true < limit:
        assert cell == Cell(None, f"<{limit}", True, True)
    elif cell.hidden:
        assert cell == Cell(None, COMPLEMENTARY_LABEL, True, False) and true > 0
    else:
        assert cell == Cell(true, str(true), False, False)


def _suppressed(values: list[list[int]], thresholds) -> SuppressedTable:
    return suppress(_names(len(values), "r"), _names(len(values[0]), "c"), values, thresholds)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(tables())
def test_visible_cells_are_true_and_small_counts_are_hidden(table) -> None:
    values, thresholds = table
    grid, truth, limits = (
        _grid(_suppressed(values, thresholds)),
        _true_grid(values),
        _limit_grid(values, thresholds),
    )
    for published_row, true_row, limit_row in zip(grid, truth, limits, strict=True):
        for cell, true, limit in zip(published_row, true_row, limit_row, strict=True):
            _assert_published(cell, true, limit)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(tables())
def test_published_totals_are_the_true_totals(table) -> None:
    values, thresholds = table
    published = _suppressed(values, thresholds)
    truth = _true_grid(values)
    for cell, true in zip(published.row_totals, (row[-1] for row in truth), strict=False):
        assert cell.hidden or cell.value == true
    for cell, true in zip(published.column_totals, truth[-1], strict=False):
        assert cell.hidden or cell.value == true
    assert published.total.hidden or published.total.value == truth[-1][-1]
    assert truth[-1][-1] == sum(map(sum, values))


def _everything_hidden(grid: list[list[Cell]]) -> list[list[Cell]]:
    """The same grid with every non-zero number hidden ("*" unless already "<T")."""
    star = Cell(None, COMPLEMENTARY_LABEL, True, False)
    return [[star if cell.value else cell for cell in row] for row in grid]


def _check_attack(
    grid: list[list[Cell]], truth: list[list[int]], limits: list[list[int]], attacker: str
) -> None:
    """No small count can be worked out, except those that the labels alone give away: those that could be
    worked out even if every non-zero number were hidden (say four "<5" adding up to "<5"). For the attacker
    who reads "*", that baseline is the stronger attacker who takes each "*" to be at least T, the one that
    the module protects against first (it cannot do better without hiding zeros)."""
    pinned = _pinned_cells(grid, truth, limits, attacker)
    if attacker == "non-negative":
        assert pinned == []
    elif pinned:
        baseline = KNOWS_STAR if attacker == "reads-star" else attacker
        assert set(pinned) <= set(_pinned_cells(_everything_hidden(grid), truth, limits, baseline))


@pytest.mark.slow
@pytest.mark.parametrize("attacker", ATTACKERS)
@settings(max_examples=300, deadline=None)
@given(table=tables())
def test_no_small_count_can_be_worked_out(attacker: str, table) -> None:
    values, thresholds = table
    grid = _grid(_suppressed(values, thresholds))
    _check_attack(grid, _true_grid(values), _limit_grid(values, thresholds), attacker)


@pytest.mark.slow
@pytest.mark.parametrize("attacker", ATTACKERS)
@settings(max_examples=300, deadline=None)
@given(counts=st.lists(COUNTS, min_size=0, max_size=6), limits=st.lists(THRESHOLDS, min_size=6, max_size=6))
def test_no_small_count_of_a_list_can_be_worked_out(
    attacker: str, counts: list[int], limits: list[int]
) -> None:
    keys = _names(len(counts), "k")
    shown = suppress_counts(dict(zip(keys, counts, strict=True)), dict(zip(keys, limits, strict=False)))
    total_limit = min(limits[: len(counts)], default=5)
    for key, count, limit in [*zip(keys, counts, limits, strict=False), (None, sum(counts), total_limit)]:
        _assert_published(shown[key] if key is not None else shown.total, count, limit)
    # A list is a one-row table whose column totals are hidden exactly like its cells.
    cells = [*shown.values(), shown.total]
    published = [cells, cells]
    truth = [[*counts, sum(counts)]] * 2
    _check_attack(published, truth, [[*limits[: len(counts)], total_limit]] * 2, attacker)
