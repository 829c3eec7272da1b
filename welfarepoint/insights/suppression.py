"""Small-cell suppression for the anonymous counts Welfare Point publishes (pure: standard library only).

What is protected
-----------------
A published count from 1 to T-1 could point at a handful of people, so it is never shown: it is labelled
"<T". T, the threshold, is 5 normally and 10 for care and disability needs; the caller gives it per cell,
per column or for the whole table. A zero is shown as 0: it reveals nobody. Row totals, column totals and
the grand total are published, computed from the true values, so hiding the small cells is not enough: a
hidden cell must not be computable from the published numbers either. Other cells are therefore hidden
too ("complementary" suppression); they are labelled ``COMPLEMENTARY_LABEL`` ("*"), which the page
explains as "hidden so that other hidden numbers cannot be worked out". A total that is itself from 1 to
T-1 (T: the smallest threshold of the cells it adds up) is a small count and is hidden like a cell.

The table as a whole
--------------------
The table and its totals form one (R+1) x (C+1) grid: the totals row and the totals column are lines like
the others and the grand total is a cell of both. Each line (every row and every column of the grid) says
"these cells add up to the number at the end of the line". Suppression works on that whole grid.

1. Primary cells. Every cell of the grid, totals included, from 1 to T-1 is hidden and labelled "<T".
   Zeros are never hidden, not even as complementary cells: shown, a zero reveals nobody; hidden, it
   would protect little, since a "*" is read as "0, or at least T" (step 3).
2. Two per line. Repeat until nothing changes: in every line with exactly one hidden cell, hide one more:
   the smallest non-zero visible cell of the line, preferring a cell whose crossing line also has a single
   hidden cell (one cell then mends two lines); ties go to the first cell in reading order. When the line
   has no such cell left, its total is hidden instead.
3. Exact audit. "Two per line" is a heuristic with well-known holes (a hidden cell can still follow from a
   combination of lines, or from the known ranges of the hidden cells: "<5" + "<5" = 2 means 1 and 1).
   Every primary cell is therefore checked exactly against an attacker who knows every published number,
   knows that a "<T" cell is from 1 to T-1 and reads "*" as "0, or at least T" (its label says it is not
   small). The audit is conservative: it assumes the attacker also knows which of the two a "*" is (zeros
   are never hidden, so a "*" is taken to be at least T). A primary cell that the attacker could pin to
   one value is mended by hiding the cheapest set of extra cells (smallest total of hidden counts) that
   frees it, and steps 2 and 3 are repeated until nothing changes. When no set of cells can free it from
   that attacker, it is freed at least from one who reads "*" only as "a count, 0 or more".

How the audit decides, exactly
------------------------------
Write y = x for ordinary cells and the grand total and y = -x for row and column totals: every line of the
grid then adds up to zero. Take one node per line and one edge per cell (a cell joins its row and its
column): the hidden cells can change, all published numbers staying the same, exactly by circulations on
the edges of the hidden cells, that is by sums of cycles along which y goes +1, -1, +1, ... in turn.

* Without ranges, a hidden cell is determined by the published numbers exactly when no cycle of hidden
  cells goes through it (it is a bridge of the graph). This is the same as its unit vector lying in the
  row space of the linear equations, which is what an exact Gaussian elimination would test, but in
  linear time and without fractions.
* With ranges (each hidden cell within [lo, hi]), a hidden cell can take a second value if and only if it
  lies on a cycle of hidden cells along which a step of one unit keeps every cell of the cycle within its
  range. "If" is plain. "Only if": the difference between two solutions is an integer circulation, which
  splits into unit cycles that agree with it in sign (conformal decomposition); the one through the cell,
  taken alone, moves every cell by one unit towards the other solution, so it stays within the ranges.
  Directed by which way each cell may move, this is a reachability question in a small directed graph.
* A pinned cell is freed by the cheapest directed path closing such a cycle (Dijkstra), where a hidden
  cell costs nothing and a visible non-zero cell costs its count; the visible cells on the path are hidden.
  Hiding more never pins a freed cell again, so one pass over the primary cells is enough.

One-dimensional lists (``suppress_counts``) are the same problem with a single line: the counts and their
published total. As a graph: two nodes joined by one edge per count and one for the total.

What this cannot or does not protect against
--------------------------------------------
* The labels themselves carry information that no suppression can take back: a row 1, 1, 1, 1 has the
  small total 4, shown "<5", and four counts of at least 1 adding up to at most 4 are all 1, whatever else
  is hidden (the audit then does what it can and moves on). Tables where many small counts add up to a
  small total are best not published at that level of detail (merge rows or columns, or a longer period).
* Several tables made from the same counts (by week and by month, an ATS and the district that contains
  it) can be subtracted from one another. Each call protects one table only: related tables must be
  designed so that they do not overlap in small numbers.
* The attacker is assumed not to exploit the choice rules above ("a '*' was the smallest visible cell of
  its row"), and the protection level is "at least two possible values" for every small count.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

DEFAULT_THRESHOLD = 5
COMPLEMENTARY_LABEL = "*"

__all__ = [
    "COMPLEMENTARY_LABEL",
    "DEFAULT_THRESHOLD",
    "Cell",
    "SuppressedCounts",
    "SuppressedTable",
    "suppress",
    "suppress_counts",
]


@dataclass(frozen=True)
class Cell:
    """How to display one published number.

    ``value`` is the true count, or None when hidden. ``label`` is what to print: the number ("12", "0"),
    "<T" for a small count (T its threshold: "<5", "<10") or ``COMPLEMENTARY_LABEL`` ("*") for a cell hidden
    only so that small counts cannot be worked out. ``primary`` is true for the small counts.
    """

    value: int | None
    label: str
    hidden: bool
    primary: bool


@dataclass(frozen=True)
class SuppressedTable:
    """A table ready to publish: ``cells[i][j]`` is row ``rows[i]`` and column ``columns[j]``."""

    rows: list[str]
    columns: list[str]
    cells: list[list[Cell]]
    row_totals: list[Cell]
    column_totals: list[Cell]
    total: Cell


class SuppressedCounts(dict[str, Cell]):
    """The cells of a one-dimensional list by key (a plain dict), plus ``total``: how to show its total."""

    total: Cell

    def __init__(self, cells: dict[str, Cell], total: Cell) -> None:
        """Keep ``cells`` as the dict's items and ``total`` as an attribute."""
        super().__init__(cells)
        self.total = total


@dataclass
class _Entry:
    """One number of the grid: a cell or a total, seen as an edge from line node ``left`` to ``right``."""

    value: int
    threshold: int
    left: int
    right: int
    sign: int  # +1 if the edge carries the number itself, -1 if it carries minus the number
    hidden: bool = False
    primary: bool = False


def _arcs(entry: _Entry, strict: bool) -> list[tuple[int, int]]:
    """The directions (from node, to node) in which ``entry``, once hidden, may move by one unit.

    A "<T" entry ranges over 1..T-1. Any other hidden entry ranges over T and more when ``strict`` (it is
    non-zero and not small: see the module docstring), over 0 and more otherwise. Moving the number up moves
    the edge's y by ``sign``; y + 1 is the arc left -> right.
    """
    if entry.primary:
        low, high = 1, entry.threshold - 1
    else:
        low, high = (entry.threshold if strict else 0), None
    forward, backward = (entry.left, entry.right), (entry.right, entry.left)
    arcs = []
    if high is None or entry.value + 1 <= high:
        arcs.append(forward if entry.sign > 0 else backward)
    if entry.value - 1 >= low:
        arcs.append(backward if entry.sign > 0 else forward)
    return arcs


def _is_free(entries: list[_Entry], index: int, nodes: int, strict: bool) -> bool:
    """Whether hidden entry ``index`` can take a second value: a feasible unit cycle goes through it."""
    graph: list[list[int]] = [[] for _ in range(nodes)]
    for other, entry in enumerate(entries):
        if entry.hidden and other != index:
            for start, end in _arcs(entry, strict):
                graph[start].append(end)
    for start, end in _arcs(entries[index], strict):
        # The cycle goes start -> end through the entry, then must come back from end to start.
        seen = {end}
        queue = deque([end])
        while queue:
            node = queue.popleft()
            if node == start:
                return True
            for following in graph[node]:
                if following not in seen:
                    seen.add(following)
                    queue.append(following)
    return False


def _cheapest_release(entries: list[_Entry], index: int, nodes: int, strict: bool) -> list[int] | None:
    """The visible entries whose hiding frees entry ``index`` at the least cost (None if nothing can)."""
    graph: list[list[tuple[int, int]]] = [[] for _ in range(nodes)]
    for other, entry in enumerate(entries):
        if other != index and (entry.hidden or entry.value > 0):
            if not entry.hidden:  # as it would be once hidden
                entry = _Entry(entry.value, entry.threshold, entry.left, entry.right, entry.sign, hidden=True)
            for start, end in _arcs(entry, strict):
                graph[start].append((end, other))
    best: tuple[tuple[int, int], list[int]] | None = None
    for start, end in _arcs(entries[index], strict):
        found = _shortest_path(entries, graph, end, start)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    return None if best is None else best[1]


def _shortest_path(
    entries: list[_Entry], graph: list[list[tuple[int, int]]], source: int, target: int
) -> tuple[tuple[int, int], list[int]] | None:
    """Dijkstra from ``source`` to ``target``: cost (counts newly hidden, entries newly hidden) and them."""
    costs: dict[int, tuple[int, int]] = {source: (0, 0)}
    through: dict[int, tuple[int, int]] = {}  # node -> (previous node, entry used)
    heap = [(0, 0, source)]
    while heap:
        value, count, node = heapq.heappop(heap)
        if (value, count) > costs[node]:
            continue
        if node == target:
            path = []
            while node != source:
                node, used = through[node]
                if not entries[used].hidden:
                    path.append(used)
            return (value, count), sorted(path)
        for following, used in graph[node]:
            entry = entries[used]
            cost = (value, count) if entry.hidden else (value + entry.value, count + 1)
            if following not in costs or cost < costs[following]:
                costs[following] = cost
                through[following] = (node, used)
                heapq.heappush(heap, (*cost, following))
    return None


def _crossing(entry: _Entry, node: int) -> int:
    """The other line of ``entry``, seen from line ``node``."""
    return entry.right if entry.left == node else entry.left


def _pair_lines(entries: list[_Entry], lines: list[list[int]], line_totals: list[int]) -> bool:
    """Step 2: give every line with a single hidden entry a second one, until stable; True if any."""
    hidden_in = [sum(entries[index].hidden for index in line) for line in lines]
    changed = False
    while True:
        progress = False
        for node, line in enumerate(lines):
            if hidden_in[node] != 1:
                continue
            candidates = [
                index
                for index in line
                if not entries[index].hidden and entries[index].value > 0 and index != line_totals[node]
            ]
            if candidates:
                choice = min(
                    candidates,
                    key=lambda index, node=node: (
                        hidden_in[_crossing(entries[index], node)] != 1,
                        entries[index].value,
                        index,
                    ),
                )
            elif not entries[line_totals[node]].hidden and entries[line_totals[node]].value > 0:
                choice = line_totals[node]
            else:
                continue  # cannot happen with non-zero hidden entries; the audit would mend it anyway
            entry = entries[choice]
            entry.hidden = True
            hidden_in[entry.left] += 1
            hidden_in[entry.right] += 1
            changed = progress = True
        if not progress:
            return changed


def _audit(entries: list[_Entry], nodes: int) -> bool:
    """Step 3: free every primary entry that the published numbers would pin; True if anything was hidden.

    First against the attacker who reads "*" as "at least T"; when even hiding every non-zero number would
    not free the entry from that one (the labels alone give it away), at least against the attacker who
    only knows that a "*" is a count.
    """
    changed = False
    for index, entry in enumerate(entries):
        if not entry.primary or _is_free(entries, index, nodes, strict=True):
            continue
        release = _cheapest_release(entries, index, nodes, strict=True)
        if release is None and not _is_free(entries, index, nodes, strict=False):
            release = _cheapest_release(entries, index, nodes, strict=False)
        for other in release or []:  # still None: nothing can free it from any attacker who reads "<T"
            entries[other].hidden = True
            changed = True
    return changed


def _protect(entries: list[_Entry], lines: list[list[int]], line_totals: list[int]) -> None:
    """Mark the entries to hide: small ones (primary), then complementary ones until the audit passes."""
    for entry in entries:
        if 0 < entry.value < entry.threshold:
            entry.hidden = entry.primary = True
    while True:
        paired = _pair_lines(entries, lines, line_totals)
        audited = _audit(entries, len(lines))
        if not (paired or audited):
            return


def _cell(entry: _Entry) -> Cell:
    """How to display an entry."""
    if not entry.hidden:
        return Cell(entry.value, str(entry.value), False, False)
    if entry.primary:
        return Cell(None, f"<{entry.threshold}", True, True)
    return Cell(None, COMPLEMENTARY_LABEL, True, False)


def _check_count(value: object, what: str) -> int:
    """``value`` if it is a count (an int >= 0), else ValueError."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a whole number >= 0, not {value!r}")
    return value


def _check_threshold(value: object) -> int:
    """``value`` if it is a threshold (an int >= 1), else ValueError."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"a threshold must be a whole number >= 1, not {value!r}")
    return value


def _cell_thresholds(
    thresholds: list[list[int]] | list[int] | int, n_rows: int, n_columns: int
) -> list[list[int]]:
    """One threshold per cell, from one for the table, one per column or one per cell."""
    if isinstance(thresholds, int):
        return [[_check_threshold(thresholds)] * n_columns for _ in range(n_rows)]
    if len(thresholds) == n_columns and all(isinstance(item, int) for item in thresholds):
        per_column = [_check_threshold(item) for item in thresholds]
        return [list(per_column) for _ in range(n_rows)]
    if len(thresholds) != n_rows or any(isinstance(row, int) or len(row) != n_columns for row in thresholds):
        raise ValueError("thresholds must be one number, one per column, or one per cell (rows x columns)")
    return [[_check_threshold(item) for item in row] for row in thresholds]


def suppress(
    rows: list[str],
    columns: list[str],
    values: list[list[int]],
    thresholds: list[list[int]] | list[int] | int = DEFAULT_THRESHOLD,
) -> SuppressedTable:
    """Decide what to show of a table of counts with published row, column and grand totals.

    ``values[i][j]`` is the count of row ``rows[i]`` and column ``columns[j]``. ``thresholds`` is one
    threshold for the whole table, one per column or one per cell (e.g. 10 for care and disability needs).
    Counts from 1 to T-1 are hidden as "<T", and other cells as "*" where needed so that no small count can
    be worked out from the rest; see the module docstring for the method.
    """
    n_rows, n_columns = len(rows), len(columns)
    if len(values) != n_rows or any(len(row) != n_columns for row in values):
        raise ValueError("values must have one row per row label and one count per column label")
    counts = [[_check_count(value, "a count") for value in row] for row in values]
    limits = _cell_thresholds(thresholds, n_rows, n_columns)

    grid = [[*row, sum(row)] for row in counts]
    grid.append([sum(column) for column in zip(*grid, strict=True)] if grid else [0] * (n_columns + 1))
    limit_grid = [[*row, min(row, default=DEFAULT_THRESHOLD)] for row in limits]
    limit_grid.append(
        [min(column, default=DEFAULT_THRESHOLD) for column in zip(*limit_grid, strict=True)]
        if limit_grid
        else [DEFAULT_THRESHOLD] * (n_columns + 1)
    )
    width = n_columns + 1
    entries = [
        _Entry(
            value=grid[i][j],
            threshold=limit_grid[i][j],
            left=i,
            right=n_rows + 1 + j,
            sign=-1 if (i == n_rows) != (j == n_columns) else 1,
        )
        for i in range(n_rows + 1)
        for j in range(width)
    ]
    lines = [[i * width + j for j in range(width)] for i in range(n_rows + 1)]
    lines += [[i * width + j for i in range(n_rows + 1)] for j in range(width)]
    line_totals = [i * width + n_columns for i in range(n_rows + 1)]
    line_totals += [n_rows * width + j for j in range(width)]
    _protect(entries, lines, line_totals)

    shown = [[_cell(entries[i * width + j]) for j in range(width)] for i in range(n_rows + 1)]
    return SuppressedTable(
        rows=list(rows),
        columns=list(columns),
        cells=[row[:n_columns] for row in shown[:n_rows]],
        row_totals=[row[n_columns] for row in shown[:n_rows]],
        column_totals=shown[n_rows][:n_columns],
        total=shown[n_rows][n_columns],
    )


def suppress_counts(
    counts: dict[str, int], threshold: int | dict[str, int] = DEFAULT_THRESHOLD
) -> SuppressedCounts:
    """Decide what to show of a one-dimensional list of counts whose total is published.

    ``threshold`` is one threshold for all, or one per key (every key needed). The result is a dict of
    cells by key, with the total's cell as ``.total``: the total too may have to be hidden (for example
    {"a": 1, "b": 5}: with the total 6 shown, "*" for b would have to be 5, so a would be 1).
    """
    keys = list(counts)
    if isinstance(threshold, dict):
        missing = [key for key in keys if key not in threshold]
        if missing:
            raise ValueError(f"no threshold for {missing!r}")
        limits = [_check_threshold(threshold[key]) for key in keys]
    else:
        limits = [_check_threshold(threshold)] * len(keys)
    values = [_check_count(counts[key], f"the count of {key!r}") for key in keys]
    entries = [_Entry(value, limit, 0, 1, 1) for value, limit in zip(values, limits, strict=True)]
    entries.append(_Entry(sum(values), min(limits, default=DEFAULT_THRESHOLD), 0, 1, -1))
    everything = list(range(len(entries)))
    _protect(entries, [everything, everything], [len(keys), len(keys)])
    return SuppressedCounts(
        {key: _cell(entry) for key, entry in zip(keys, entries, strict=False)}, _cell(entries[-1])
    )
