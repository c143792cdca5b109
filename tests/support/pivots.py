"""Pivot figures three ways, as {(row label, column label): shown text}, to compare them cell by cell.

pandas on the published text is the reference; LibreOffice's export and the pre-filled cells are
checked against it.
Totals use the label "Total"; blanks "(blank)", whichever application's wording the sheet used.
"""

from __future__ import annotations

import pandas as pd

from tasks.shared.excel.pivots import PIVOT_TOP_ROW, PivotSpec

TOTAL_LABELS = {"Total Result": "Total", "Grand Total": "Total"}
BLANK_LABELS = {"(empty)": "(blank)", "(blank)": "(blank)"}


def shown(value) -> str:
    """A figure in one spelling whatever the sheet's number format: 1365 for 1,365 and 12 for 12.0."""
    number = float(str(value).replace(",", ""))
    return str(int(number)) if number.is_integer() else repr(number)


def pandas_pivot(text: pd.DataFrame, spec: PivotSpec) -> dict[tuple[str, str], str]:
    """pandas pivot_table over the published text: counts of rows or sums of a column, with margins."""
    frame = text[[spec.rows, spec.columns]].replace("", "(blank)")
    if spec.values:
        frame["amount"] = pd.to_numeric(text[spec.values].mask(text[spec.values] == ""), errors="coerce")
    else:
        frame["amount"] = 1
    table = pd.pivot_table(
        frame,
        index=spec.rows,
        columns=spec.columns,
        values="amount",
        aggfunc=lambda amounts: amounts.sum(min_count=1),  # as Excel: empty when nothing to add
        margins=True,
        margins_name="Total",
        dropna=False,
    )
    cells = {}
    for row in table.index:
        for col in table.columns:
            value = table.loc[row, col]
            if pd.notna(value):
                cells[(str(row), str(col))] = shown(value)
    return cells


def sheet_pivot(rows: list[list]) -> dict[tuple[str, str], str]:
    """The pivot on a sheet (LibreOffice's CSV export, or cells read with openpyxl) in the same shape."""
    header = rows[PIVOT_TOP_ROW]  # the row of column items, just below the caption row
    labels = [_label(v) for v in header]
    last_col = labels.index("Total")
    cells = {}
    for row in rows[PIVOT_TOP_ROW + 1 :]:
        label = _label(row[0])
        for index in range(1, last_col + 1):
            if row[index] not in ("", None):
                cells[(label, labels[index])] = shown(row[index])
        if label == "Total":
            return cells
    raise AssertionError("no grand total row under the pivot")


def _label(value) -> str:
    text = "" if value is None else str(value)
    return TOTAL_LABELS.get(text, BLANK_LABELS.get(text, text))
