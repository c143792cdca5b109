"""Protected two-way tables as published text, whatever the domain: figures rounded, rates from the unrounded
figures, the GSS symbols for what is not shown, and the evidence a disclosure gate needs.

Works on the ProtectedTable of cell_suppression.py: a domain says which figures a table shows and how each is
worked out from its cells; this module turns them into the text of the table's CSV, audits tables published
together, and counts the distinct units behind every cell (a margin over a dimension whose units repeat,
such as several reasons given by one service, counts each unit once).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from carestats.dictionary import Column
from tasks.shared.cell_suppression import (
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    SUPPRESSION,
    TOTAL,
    ProtectedTable,
    TableSpec,
    audit,
    round_to_base,
)
from tasks.shared.published_text import neutralise_formulae

SUPPRESSED = "[c]"  # the GSS symbol for a figure withheld to protect confidentiality
NOT_APPLICABLE = "[x]"  # the GSS symbol for a figure that cannot exist, such as a percentage of nothing


def percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    """`part` as a percentage of `whole`, one decimal place; missing where the whole is zero."""
    share = part.astype("Float64") / whole.astype("Float64").replace(0, pd.NA)
    return (share * 100).round(1)


def too_small(units: pd.Series, threshold: int) -> pd.Series:
    """Cells of 1 to threshold-1 units: what primary suppression hides (a cell of none describes no one)."""
    counts = pd.to_numeric(units)
    return (counts > 0) & (counts < threshold)


def multiple_of(figures: pd.Series, base: float) -> pd.Series:
    """Whether each published figure is a multiple of `base`, as rounding to it leaves it; a blank or a
    symbol is not a figure and passes.
    """
    values = pd.to_numeric(figures, errors="coerce")
    return ((values / base).round(9) % 1 == 0).where(values.notna(), True).astype(bool)


def rounded(cells: pd.DataFrame, rounding: dict[str, float]) -> dict[str, pd.Series]:
    """Every figure the rounding names that the cells hold, rounded to its base (halves away from zero)."""
    return {
        figure: round_to_base(cells[figure].astype("Float64"), base)
        for figure, base in rounding.items()
        if figure in cells.columns
    }


def published_table(
    table: ProtectedTable,
    columns: Sequence[Column],
    figures: dict[str, pd.Series],
    *,
    not_applicable: str = NOT_APPLICABLE,
) -> pd.DataFrame:
    """A protected table as the text of its CSV: the row and column labels, then each of `columns` (its
    Suppressed column from the cells' suppression, any other from `figures`, in the cells' order): integers
    whole, decimals to one place, SUPPRESSED in every figure of a suppressed cell, `not_applicable` where a
    figure does not exist (a rate over nothing).
    """
    cells, spec = table.cells.reset_index(drop=True), table.spec
    hidden = cells[SUPPRESSION] != PUBLISHED
    out = {
        spec.row: neutralise_formulae(cells[spec.row].astype("string")),
        spec.column: neutralise_formulae(cells[spec.column].astype("string")),
    }
    for column in columns:
        if column.name == "Suppressed":
            out[column.name] = cells[SUPPRESSION].astype("string")
            continue
        values = figures[column.name].reset_index(drop=True)
        shown = (
            values.round(1).astype("string")
            if column.type == "decimal"
            else values.round(0).astype("Int64").astype("string")
        )
        out[column.name] = shown.fillna(not_applicable).mask(hidden, SUPPRESSED)
    return pd.DataFrame(out)


def suppression_counts(table: ProtectedTable) -> dict[str, int]:
    """How many of a table's cells (margins included) are suppressed, primary and secondary: what a run and
    a disclosure report say disclosure control did."""
    status = table.cells[SUPPRESSION]
    return {PRIMARY: int((status == PRIMARY).sum()), SECONDARY: int((status == SECONDARY).sum())}


def audits(protected: Sequence[ProtectedTable], protection: float) -> dict[str, pd.DataFrame]:
    """The audit of every table published together, each with the others as what an intruder also knows."""
    return {
        table.spec.name: audit(table, protection, [other for other in protected if other is not table])
        for table in protected
    }


def units_behind(units: pd.DataFrame, spec: TableSpec, unit: str, cells: pd.DataFrame) -> pd.Series:
    """How many distinct units (`unit`: a column naming them, such as CSNumber) each cell of a
    table_with_margins frame is made of, margins included, in the cells' order.

    Equal to the table's count where every unit is one row; smaller in a margin over rows that repeat a unit
    (a service giving several reasons), which is the number a threshold on units must be held to.
    """
    labels = units[[spec.row, spec.column]].astype(str).assign(**{unit: units[unit].to_numpy()})
    counted = {
        **{(r, c): n for (r, c), n in labels.groupby([spec.row, spec.column])[unit].nunique().items()},
        **{(r, TOTAL): n for r, n in labels.groupby(spec.row)[unit].nunique().items()},
        **{(TOTAL, c): n for c, n in labels.groupby(spec.column)[unit].nunique().items()},
        (TOTAL, TOTAL): labels[unit].nunique(),
    }
    keys = zip(cells[spec.row].astype(str), cells[spec.column].astype(str), strict=True)
    return pd.Series([counted.get(key, 0) for key in keys], dtype="int64")
