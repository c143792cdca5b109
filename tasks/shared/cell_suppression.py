"""Cell suppression for two-way tables with margins, proved by linear programming.

A table crosses a row dimension with a column dimension; besides its interior cells it has a margin for
each row and each column and the grand total. Every cell holds a contributor count (the units that make
it up) and additive measures. The method:

- primary: a cell (margins included) of 1 to threshold-1 contributors is suppressed. A cell of no
  contributors is a structural zero and is published: it describes no unit, so there is nothing in it to
  protect, and it is a weak hiding place, as readers often know which combinations cannot occur;
- secondary: a line (a row with its margin, a column with its margin, the margins with the grand total)
  holding one suppressed cell gives it away by subtraction, so another cell of the line is suppressed:
  an interior cell before a margin; not one sharing a zero figure with it (the pair would add up to a
  known zero); one that also pairs a lone cell of its other line (suppressions close into rectangles
  rather than run across the table); then the fewest contributors, the smallest first measure, the first
  in table order. The grand total is suppressed only when it is itself small;
- audit, the proof: for every suppressed cell and every figure, the smallest and largest values that
  agree with the published cells, the additivity and non-negativity, by linear programming (HiGHS).
  A cell is recoverable when that interval is narrower than `protection` times its value, or is a single
  point (a value known exactly, zero included). `protect` audits after pairing and suppresses one more
  cell near the first exposed one (in its lines first; an interior cell that can carry the missing width,
  with the fewest contributors), again and again until the audit finds nothing recoverable or nothing
  left that could help;
- linked tables: a margin several tables share (same dimension and category) and the grand total are one
  cell, with one status in all of them, and `protect` audits the tables together, as an intruder would.

Limits: the choice of secondary cells is a heuristic, not an optimum like Tau-Argus' modular method, and
may hide more than needed. The audit assumes the intruder knows that figures are non-negative and knows
the exact unrounded published values; that is conservative, as rounding only widens the intervals. It
holds secondary cells to the same protection as primary ones, and models no other knowledge (a unit's
own figures, dominance). Zero figures cost suppression: a hidden zero is protected only with a hidden
non-zero in its lines, and where a published total is zero, by hiding that total. A cell that only the
grand total could protect (a figure that is zero in the whole table) stays exposed, for the audit to report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

TOTAL = "Total"
SUPPRESSION = "Suppression"
PRIMARY = "primary"
SECONDARY = "secondary"
PUBLISHED = ""
AUDIT_COLUMNS = ["row", "column", "measure", "value", "lower", "upper", "width", "required", "recoverable"]
# An interval narrower than this share of a value (of 1, for values below 1) is a single point: the value is
# determined exactly. Far above the linear programming solver's own error.
EXACT = 1e-6

# The most unknowns in one linear programme of stacked copies: HiGHS takes longer per copy beyond that
STACKED_UNKNOWNS = 2000

Key = tuple[str, ...]  # a cell across linked tables: (table, row, column), (dimension, category) or (TOTAL,)
GRAND_TOTAL: Key = (TOTAL,)


@dataclass(frozen=True)
class TableSpec:
    """What a two-way table is made of, so that the tables of every domain go through one suppression."""

    name: str  # e.g. "by_sub_sector_and_employer_type"; unique among the tables protected together
    row: str  # the row dimension's column
    column: str  # the column dimension's column
    count: str  # the contributor count, e.g. "Services"
    measures: list[str]  # additive, non-negative figures

    @property
    def figures(self) -> list[str]:
        """The count, then the measures: every figure a cell publishes and the audit must prove."""
        return [self.count, *(m for m in self.measures if m != self.count)]


@dataclass(frozen=True)
class ProtectedTable:
    """A table with the suppression of each cell: what a publication blanks and what an audit checks."""

    spec: TableSpec
    cells: pd.DataFrame  # the frame of table_with_margins plus SUPPRESSION: PUBLISHED, PRIMARY or SECONDARY


def table_with_margins(units: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The table of some units, with its margins: the one layout protect() and audit() work on.

    `units` holds one row per unit or pre-aggregated cells (rows of the same cell are added up); without
    a spec.count column each row counts as one unit. Every combination of the row and column categories
    seen is a cell, zero when no unit has it, so that a table's shape does not reveal where units are.
    Categories become text, in sorted order. Rows: each row category's cells then its margin, then the
    column margins and the grand total. Columns: spec.row, spec.column, spec.count (integer), the measures.
    """
    figures = spec.figures
    missing = [c for c in (spec.row, spec.column, *spec.measures) if c not in units.columns]
    if missing:
        raise ValueError(f"{spec.name}: no column {missing}")
    frame = units if spec.count in units.columns else units.assign(**{spec.count: 1})
    categories = frame[[spec.row, spec.column]]
    if categories.isna().any().any():
        raise ValueError(f"{spec.name}: a unit without a {spec.row} or a {spec.column}")
    labels = categories.astype(str)
    if (labels == TOTAL).any().any():
        raise ValueError(f"{spec.name}: {TOTAL!r} names the margins, not a category")
    numbers = _figures(frame, figures, spec.name)
    if not np.array_equal(numbers[:, 0], np.round(numbers[:, 0])):
        raise ValueError(f"{spec.name}: {spec.count} must be whole numbers")

    rows, columns = sorted(labels[spec.row].unique()), sorted(labels[spec.column].unique())
    at_row = pd.Categorical(labels[spec.row], categories=rows).codes
    at_column = pd.Categorical(labels[spec.column], categories=columns).codes
    grid = np.zeros((len(rows) + 1, len(columns) + 1, len(figures)))
    np.add.at(grid, (at_row, at_column), numbers)
    grid[:-1, -1] = grid[:-1, :-1].sum(axis=1)
    grid[-1, :] = grid[:-1, :].sum(axis=0)

    table = pd.DataFrame(
        {
            spec.row: np.repeat([*rows, TOTAL], len(columns) + 1).astype(object),
            spec.column: np.tile([*columns, TOTAL], len(rows) + 1).astype(object),
        }
    )
    flat = grid.reshape(-1, len(figures))
    table[spec.count] = np.round(flat[:, 0]).astype("int64")
    for i, measure in enumerate(figures[1:], start=1):
        table[measure] = flat[:, i]
    return table


def protect(
    tables: Sequence[tuple[TableSpec, pd.DataFrame]], threshold: int, protection: float
) -> list[ProtectedTable]:
    """Tables published together, with every cell an intruder could work out too closely suppressed.

    Each frame is a table_with_margins; a cell of 1 to threshold-1 contributors is suppressed (primary),
    then further cells (secondary) until the joint audit of the tables finds no suppressed cell known to
    within `protection` of its value (see the module's docstring). Deterministic: the same tables give
    the same suppression.
    """
    if threshold < 1 or protection < 0:
        raise ValueError("the threshold must be at least 1 and the protection not negative")
    cells = _LinkedCells(tables)
    status = {key: PRIMARY if 0 < cells.count[key] < threshold else PUBLISHED for key in cells.order}
    # (cell, figure) pairs proved protected, which stay so as suppressing more only widens intervals, or
    # beyond help
    settled: set[tuple[Key, str]] = set()
    while True:
        _pair_lone_cells(cells, status)
        exposed = _exposed(cells, status, protection, settled)
        if not exposed:
            break
        # one cell at a time: hiding it can widen other exposed cells too, which the next audit sees
        for key, figure, missing_width in exposed:
            candidate = _widening_candidate(cells, status, key, figure, missing_width)
            if candidate is not None:
                status[candidate] = SECONDARY
                break
            settled.add((key, figure))
    return [
        ProtectedTable(spec, frame.reset_index(drop=True).assign(**{SUPPRESSION: [status[k] for k in keys]}))
        for (spec, frame), keys in zip(tables, cells.keys_of_table, strict=True)
    ]


def audit(table: ProtectedTable, protection: float, linked: Sequence[ProtectedTable] = ()) -> pd.DataFrame:
    """What an intruder can learn of each suppressed cell of a table: the evidence that it is protected.

    For every suppressed cell (margins too) and every figure: the smallest and largest value consistent
    with the published cells, rows and columns adding up to their margins, margins to the grand total and
    no figure below zero (linear programming). `linked`: the tables published with it, whose shared
    margins the intruder can combine with it. A cell is recoverable when its interval (width) is
    narrower than required: `protection` times its value, or any width at all when that is 0.
    Columns: AUDIT_COLUMNS, one row per suppressed cell and figure; no row when nothing is suppressed.
    """
    group = [table, *linked]
    cells = _LinkedCells([(t.spec, t.cells) for t in group])
    shown = {
        key
        for t, keys in zip(group, cells.keys_of_table, strict=True)
        for key, status in zip(keys, t.cells[SUPPRESSION], strict=True)
        if status == PUBLISHED
    }
    hidden = set(cells.order) - shown  # a cell published in any linked table is known
    spec, frame = table.spec, table.cells.reset_index(drop=True)
    targets = [i for i, status in enumerate(frame[SUPPRESSION]) if status != PUBLISHED]
    keys = [cells.keys_of_table[0][i] for i in targets]
    found = cells.bounds(hidden, {figure: keys for figure in spec.figures})
    records = []
    for i, key in zip(targets, keys, strict=True):
        for figure in spec.figures:
            value = cells.values[figure][key]
            lower, upper = found[figure, key]
            width, required = upper - lower, _required(value, protection)
            where = (frame.at[i, spec.row], frame.at[i, spec.column], figure)
            records.append((*where, value, lower, upper, width, required, width < required))
    types = dict.fromkeys(AUDIT_COLUMNS[:3], object) | dict.fromkeys(AUDIT_COLUMNS[3:8], float)
    return pd.DataFrame(records, columns=AUDIT_COLUMNS).astype(types | {"recoverable": bool})


def round_to_base(values: pd.Series, base: float) -> pd.Series:
    """Figures rounded to the nearest multiple of `base`, halves away from zero as readers expect (12.5
    to 15 with base 5, not Python's round-half-to-even); missing stays missing; a base of 0 or less leaves
    the figures as they are. Returned as nullable Float64.
    """
    numbers = values.astype("Float64")
    if base <= 0:
        return numbers
    # rounding the quotient first keeps 0.15 / 0.1 = 1.4999999999999998 a half
    multiples = np.floor((numbers.abs() / base).round(9) + 0.5)
    return (np.sign(numbers) * multiples * base).round(10) + 0.0  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class _Line:
    """An additive relation of a table: its total is the sum of its parts (a row, a column or the margins)."""

    total: Key
    parts: tuple[Key, ...]
    figures: frozenset[str]  # the figures of the tables it comes from

    @property
    def cells(self) -> tuple[Key, ...]:
        """The total and its parts."""
        return (self.total, *self.parts)


class _LinkedCells:
    """The cells and lines of tables published together: a margin they share is one cell."""

    def __init__(self, tables: Sequence[tuple[TableSpec, pd.DataFrame]]):
        names = [spec.name for spec, _ in tables]
        if len(set(names)) != len(names):
            raise ValueError(f"table names must be unique: {names}")
        self.order: dict[Key, int] = {}  # the first table's cells in order, then the next table's new ones
        self.count: dict[Key, float] = {}
        self.first_measure: dict[Key, float] = {}
        self.values: dict[str, dict[Key, float]] = defaultdict(dict)
        self.keys_of_table: list[list[Key]] = []
        figures_of_line: dict[tuple[Key, tuple[Key, ...]], set[str]] = {}
        for spec, frame in tables:
            keys, lines = _layout(spec, frame)
            self.keys_of_table.append(keys)
            numbers = _figures(frame, spec.figures, spec.name)
            for key, row in zip(keys, numbers, strict=True):
                self.order.setdefault(key, len(self.order))
                self._agree(self.count, key, row[0], spec.name, spec.count)
                self.first_measure.setdefault(key, row[1] if len(row) > 1 else 0.0)
                for figure, number in zip(spec.figures, row, strict=True):
                    self._agree(self.values[figure], key, number, spec.name, figure)
            for line in lines:
                figures_of_line.setdefault(line, set()).update(spec.figures)
        self.figures = list(dict.fromkeys(f for spec, _ in tables for f in spec.figures))
        self.lines = [_Line(total, parts, frozenset(f)) for (total, parts), f in figures_of_line.items()]
        self.lines_of: dict[Key, list[int]] = defaultdict(list)  # the index of every line holding a cell
        for i, line in enumerate(self.lines):
            for key in line.cells:
                self.lines_of[key].append(i)
            for figure in line.figures:
                total = self.values[figure][line.total]
                if not _close(total, sum(self.values[figure][k] for k in line.parts)):
                    raise ValueError(f"{figure} of {line.total} is not the sum of its cells")

    @staticmethod
    def _agree(known: dict[Key, float], key: Key, number: float, table: str, figure: str) -> None:
        """Records a cell's figure, refusing linked tables that disagree on a margin they share."""
        if not _close(known.setdefault(key, number), number):
            raise ValueError(f"{table}: {figure} of the margin {key} differs from another table's")

    def bounds(
        self, hidden: set[Key], targets: dict[str, list[Key]]
    ) -> dict[tuple[str, Key], tuple[float, float]]:
        """The smallest and largest value of each figure of its target cells, given every cell not hidden."""
        # a target published in a linked table is known; the others are solved for below
        found = {(f, key): (self.values[f][key],) * 2 for f, keys in targets.items() for key in keys}
        by_lines: dict[tuple[int, ...], list[str]] = defaultdict(list)  # figures sharing their lines
        for figure, keys in targets.items():
            if keys:
                lines = (i for i, line in enumerate(self.lines) if figure in line.figures)
                by_lines[tuple(i for i in lines if not hidden.isdisjoint(self.lines[i].cells))].append(figure)
        for lines, figures in by_lines.items():
            unknown = {k for i in lines for k in self.lines[i].cells if k in hidden}
            column_of = {key: j for j, key in enumerate(sorted(unknown, key=self.order.__getitem__))}
            matrix, published = np.zeros((len(lines), len(column_of))), np.zeros((len(figures), len(lines)))
            for row, i in enumerate(lines):
                line = self.lines[i]
                for key, sign in ((line.total, 1.0), *((part, -1.0) for part in line.parts)):
                    if key in column_of:
                        matrix[row, column_of[key]] += sign
                    else:
                        published[:, row] -= [sign * self.values[figure][key] for figure in figures]
            wanted = [(f, key) for f in figures for key in targets[f] if key in column_of]
            programmes = [figures.index(f) for f, _ in wanted]
            columns = [column_of[key] for _, key in wanted]
            lowest, highest = np.split(
                _optima(matrix, published[programmes * 2], columns * 2, len(wanted)), 2
            )
            for (figure, key), lower, upper in zip(wanted, lowest, highest, strict=True):
                value = self.values[figure][key]
                found[figure, key] = (_snap(min(lower, value), value), _snap(max(upper, value), value))
        return found


def _layout(spec: TableSpec, cells: pd.DataFrame) -> tuple[list[Key], list[tuple[Key, tuple[Key, ...]]]]:
    """The key of each cell of a table_with_margins frame, in its order, and the table's lines."""
    missing = [c for c in (spec.row, spec.column, *spec.figures) if c not in cells.columns]
    if missing:
        raise ValueError(f"{spec.name}: no column {missing}")
    pairs = list(zip(cells[spec.row].astype(str), cells[spec.column].astype(str), strict=True))
    rows = list(dict.fromkeys(r for r, _ in pairs if r != TOTAL))
    columns = list(dict.fromkeys(c for _, c in pairs if c != TOTAL))
    if len(pairs) != (len(rows) + 1) * (len(columns) + 1) or set(pairs) != {
        (r, c) for r in [*rows, TOTAL] for c in [*columns, TOTAL]
    }:
        raise ValueError(f"{spec.name}: not every cell and margin once (see table_with_margins)")

    def key(row: str, column: str) -> Key:
        if row == TOTAL and column == TOTAL:
            return GRAND_TOTAL
        if column == TOTAL:
            return (spec.row, row)
        if row == TOTAL:
            return (spec.column, column)
        return (spec.name, row, column)

    lines = [(key(r, TOTAL), tuple(key(r, c) for c in columns)) for r in rows]
    lines += [(key(TOTAL, c), tuple(key(r, c) for r in rows)) for c in columns]
    lines.append((GRAND_TOTAL, tuple(key(TOTAL, c) for c in columns)))
    lines.append((GRAND_TOTAL, tuple(key(r, TOTAL) for r in rows)))
    return [key(r, c) for r, c in pairs], lines


def _figures(frame: pd.DataFrame, figures: list[str], table: str) -> np.ndarray:
    """The figures of every row as floats, refusing missing or negative ones (the audit assumes neither)."""
    numbers = np.column_stack(
        [frame[f].astype("Float64").to_numpy(dtype=float, na_value=np.nan) for f in figures]
    )
    if np.isnan(numbers).any() or (numbers < 0).any():
        raise ValueError(f"{table}: figures must be present and not negative")
    return numbers


def _pair_lone_cells(cells: _LinkedCells, status: dict[Key, str]) -> None:
    """Suppresses a second cell in every line holding a single suppressed one, which subtraction reveals."""
    suppressed_in = [sum(status[k] != PUBLISHED for k in line.cells) for line in cells.lines]

    def pairs_another(key: Key, line: int) -> bool:
        return any(suppressed_in[other] == 1 for other in cells.lines_of[key] if other != line)

    def shares_a_zero(key: Key, lone: Key) -> bool:
        return any(values[key] == 0 == values[lone] for values in cells.values.values() if key in values)

    changed = True
    while changed:
        changed = False
        for i, line in enumerate(cells.lines):
            if suppressed_in[i] != 1:
                continue
            options = [k for k in line.cells if _can_hide(cells, status, k)]
            if not options:
                continue
            [lone] = [k for k in line.cells if status[k] != PUBLISHED]
            chosen = min(
                options,
                key=lambda k: (
                    len(k) != 3,  # interior cells, keyed (table, row, column), before margins
                    shares_a_zero(k, lone),
                    not pairs_another(k, i),
                    cells.count[k],
                    cells.first_measure[k],
                    cells.order[k],
                ),
            )
            status[chosen] = SECONDARY
            for other in cells.lines_of[chosen]:
                suppressed_in[other] += 1
            changed = True


def _exposed(
    cells: _LinkedCells, status: dict[Key, str], protection: float, settled: set[tuple[Key, str]]
) -> list[tuple[Key, str, float]]:
    """The suppressed cells and figures not yet settled that the audit finds too narrowly bounded, in table
    order, each with the width it lacks."""
    hidden = {key for key, s in status.items() if s != PUBLISHED}
    targets = {}
    for figure in cells.figures:
        holding = {k for line in cells.lines if figure in line.figures for k in line.cells}
        unsettled = (hidden & holding) - {k for k, f in settled if f == figure}
        targets[figure] = sorted(unsettled, key=cells.order.__getitem__)
    exposed = []
    for (figure, key), (lower, upper) in cells.bounds(hidden, targets).items():
        required = _required(cells.values[figure][key], protection)
        if upper - lower >= required:
            settled.add((key, figure))
        else:
            rank = (cells.order[key], cells.figures.index(figure))
            exposed.append((rank, key, figure, required - (upper - lower)))
    return [(key, figure, missing) for _, key, figure, missing in sorted(exposed)]


def _widening_candidate(
    cells: _LinkedCells, status: dict[Key, str], key: Key, figure: str, missing_width: float
) -> Key | None:
    """The published cell to suppress for an exposed one, nearest first: in its lines, else in the lines of
    the suppressed cells met so far. Among the nearest: an interior cell before a margin, then one whose
    own figure could carry the missing width, then the fewest contributors. None when nothing can help: a
    published total of zero pins every cell of its line to zero, so it is the one candidate, and a
    published grand total of zero pins the whole table.
    """
    values = cells.values[figure]
    if status[GRAND_TOTAL] == PUBLISHED and values.get(GRAND_TOTAL) == 0:
        return None
    lines = [cells.lines[i] for i in cells.lines_of[key] if figure in cells.lines[i].figures]
    pinning = [line.total for line in lines if line.total != key and status[line.total] == PUBLISHED]
    pinning = [total for total in pinning if values[total] == 0]
    if pinning:
        return min(pinning, key=cells.order.__getitem__) if GRAND_TOTAL not in pinning else None
    reached, ring = {key}, {key}
    while ring:
        near = {
            k
            for r in ring
            for i in cells.lines_of[r]
            if figure in cells.lines[i].figures
            for k in cells.lines[i].cells
        }
        options = {k for k in near if _can_hide(cells, status, k)}
        if options:
            return min(
                options,
                key=lambda k: (
                    len(k) != 3,
                    values[k] < missing_width,
                    cells.count[k],
                    cells.first_measure[k],
                    cells.order[k],
                ),
            )
        ring = {k for k in near - reached if status[k] != PUBLISHED}
        reached |= near
    return None


def _can_hide(cells: _LinkedCells, status: dict[Key, str], key: Key) -> bool:
    """A published cell of some contributors, not the grand total: what secondary suppression may take."""
    return status[key] == PUBLISHED and cells.count[key] > 0 and key != GRAND_TOTAL


def _optima(matrix: np.ndarray, published: np.ndarray, columns: list[int], least: int) -> np.ndarray:
    """Extremes of unknowns over the non-negative solutions of some lines: the least value of the first
    `least` columns given, the greatest of the others (inf when unbounded, as when the grand total is
    hidden); each with its own published values (a row of `published`). One linear programme holds an
    independent copy of the lines per extreme, each optimising its own: its optimum is every copy's
    optimum, at a fraction of the cost of a programme per extreme.
    """
    if not columns:
        return np.zeros(0)
    copies, size = len(columns), matrix.shape[1]
    if copies * size > STACKED_UNKNOWNS and copies > 1:
        half = copies // 2
        return np.concatenate(
            [
                _optima(matrix, published[:half], columns[:half], least),
                _optima(matrix, published[half:], columns[half:], max(0, least - half)),
            ]
        )
    at = np.arange(copies) * size + np.asarray(columns)
    sign = np.where(np.arange(copies) < least, 1.0, -1.0)
    objective = np.zeros(copies * size)
    objective[at] = sign
    solution = linprog(
        objective,
        A_eq=_copies(sparse.csc_array(matrix), copies),
        b_eq=published.ravel(),
        bounds=(0, None),
        method="highs",
        options={"presolve": False},
    )
    if solution.status == 0:
        return solution.x[at]
    # The true figures are a solution, so "unbounded or infeasible" (4) is unbounded: in one copy at least
    if solution.status in (3, 4):
        if copies == 1:
            return np.array([np.inf])
        return np.array(
            [_optima(matrix, published[[i]], [c], int(i < least))[0] for i, c in enumerate(columns)]
        )
    raise RuntimeError(f"linear programming failed: {solution.message}")


def _copies(matrix: sparse.csc_array, copies: int) -> sparse.csc_array:
    """A block-diagonal matrix of copies of a matrix (what sparse.kron builds, without its overhead)."""
    rows, nonzero = matrix.shape[0], matrix.nnz
    shift = np.arange(copies)[:, None]
    indices = (matrix.indices[None, :] + rows * shift).ravel()
    indptr = np.concatenate([[0], (matrix.indptr[None, 1:] + nonzero * shift).ravel()])
    shape = (rows * copies, matrix.shape[1] * copies)
    return sparse.csc_array((np.tile(matrix.data, copies), indices, indptr), shape=shape)


def _required(value: float, protection: float) -> float:
    """The narrowest interval an intruder may be left with for a value."""
    return max(protection * value, EXACT * max(1.0, abs(value)))


def _snap(bound: float, value: float) -> float:
    """A bound the solver left a hair from the value, put on it: the value is then known exactly."""
    return value if abs(bound - value) < EXACT * max(1.0, abs(value)) else bound


def _close(a: float, b: float) -> bool:
    """Equal up to floating-point sums."""
    return abs(a - b) <= EXACT * max(1.0, abs(a), abs(b))
