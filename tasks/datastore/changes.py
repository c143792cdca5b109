"""What changed between two Datastore editions: the changes file and its counts.

Every file is a pure function of its inputs, so a rerun writes the same bytes: no timestamps, stable
row and column order, fixed encodings and line endings.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tasks.datastore.derive import service_rows

GRADE_FIELDS_PREFIXES = ("KQ_", "MinGrade", "MaxGrade", "GradeSpread", "Publication_of_Latest_Grading")
CHANGE_ORDER = ["Registered", "Cancelled", "Grades changed", "Details changed"]
# Previous_edition: the date of the edition every row was compared with, so the file says it itself.
CHANGE_COLUMNS = ["Change", "CSNumber", "ServiceName", "Field", "Before", "After", "Previous_edition"]


def _is_grade_field(name: str) -> bool:
    """Grade columns change as 'Grades changed'; every other column as 'Details changed'."""
    return name.startswith(GRADE_FIELDS_PREFIXES)


def changes_between(
    previous: pd.DataFrame | None, current: pd.DataFrame, previous_as_at: dt.date | None = None
) -> pd.DataFrame:
    """Registered, cancelled, grades changed and details changed since the previous edition (of
    previous_as_at, which every row names).

    Both editions are compared as published text, on the columns they share (the financial-year
    columns roll over every April). Services are matched by row number and columns compared in Arrow,
    one at a time: a million-row edition is never copied whole or turned into Python objects.
    """
    if previous is None:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    before = previous.reset_index(drop=True)
    after = current.reset_index(drop=True)
    row_before = service_rows(after["CSNumber"], before["CSNumber"]).to_numpy()
    kept_after = np.flatnonzero(row_before >= 0)
    kept_before = row_before[kept_after]
    cancelled = service_rows(before["CSNumber"], after["CSNumber"]).to_numpy() < 0
    rows = [
        after.loc[row_before < 0, ["CSNumber", "ServiceName"]].assign(Change="Registered"),
        before.loc[cancelled, ["CSNumber", "ServiceName"]].assign(Change="Cancelled"),
    ]
    shared = [c for c in after.columns if c in before.columns and c != "CSNumber"]
    for column in shared:
        old = pc.take(pa.array(before[column]), kept_before)
        new = pc.take(pa.array(after[column]), kept_after)
        differs = pc.indices_nonzero(pc.fill_null(pc.not_equal(old, new), True)).to_numpy()
        if len(differs):
            ids = kept_after[differs]
            rows.append(
                pd.DataFrame(
                    {
                        "Change": "Grades changed" if _is_grade_field(column) else "Details changed",
                        "CSNumber": after["CSNumber"].take(ids).to_numpy(),
                        "ServiceName": after["ServiceName"].take(ids).to_numpy(),
                        "Field": column,
                        "Before": pc.take(old, differs).to_numpy(zero_copy_only=False),
                        "After": pc.take(new, differs).to_numpy(zero_copy_only=False),
                    }
                )
            )
    changes = pd.concat(rows, ignore_index=True).reindex(columns=CHANGE_COLUMNS)
    changes["Previous_edition"] = previous_as_at.isoformat() if previous_as_at else ""
    changes = changes.astype(object).fillna("")
    changes["order"] = changes["Change"].map(CHANGE_ORDER.index)
    field_order = {name: i for i, name in enumerate(current.columns)}
    changes["field_order"] = changes["Field"].map(field_order).fillna(-1)
    changes = changes.sort_values(["order", "CSNumber", "field_order"], kind="stable")
    return changes[CHANGE_COLUMNS].reset_index(drop=True)


def change_counts(changes: pd.DataFrame) -> dict[str, int]:
    """Services per kind of change (a service with three changed details counts once)."""
    per_kind = changes.groupby("Change")["CSNumber"].nunique()
    return {kind: int(per_kind.get(kind, 0)) for kind in CHANGE_ORDER}
