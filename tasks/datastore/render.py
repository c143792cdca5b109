"""Turning an edition into published bytes: the CSV, its definitions, the changes file and the manifest.

Every file is a pure function of its inputs, so a rerun writes the same bytes: no timestamps, stable
row and column order, fixed encodings and line endings.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carestats.dictionary import Column
from tasks.datastore.derive import service_rows
from tasks.storage.csv_text import CsvStyle, read_csv_text
from tasks.storage.csv_text import csv_bytes as write_csv
from tasks.storage.lake import sha256_hex

PUBLISHED_CSV = CsvStyle(encoding="utf-8-sig", newline="\r\n", missing="", quote_all=False)  # a BOM: Excel reads UTF-8
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GRADE_FIELDS_PREFIXES = ("KQ_", "MinGrade", "MaxGrade", "GradeSpread", "Publication_of_Latest_Grading")
CHANGE_ORDER = ["Registered", "Cancelled", "Grades changed", "Details changed"]
CHANGE_COLUMNS = ["Change", "CSNumber", "ServiceName", "Field", "Before", "After"]


def neutralise_formulae(text: pd.Series) -> pd.Series:
    """Prefix text a spreadsheet would run as a formula with an apostrophe, so it is shown, never run."""
    risky = text.str.startswith(FORMULA_TRIGGERS).fillna(False).astype(bool)
    return text.mask(risky, "'" + text)


def format_decimal(values: pd.Series) -> pd.Series:
    """Decimals as the Datastore writes them: 12.6, 7.74, and 24 rather than 24.0."""
    text = values.astype("Float64").round(2).astype("string")
    return text.str.replace(r"\.0$", "", regex=True)


def published_text(frame: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """Every column as the text the published file holds ('' for missing)."""
    out = {}
    for column in columns:
        values = frame[column.name]
        if column.type == "date":
            text = values.dt.strftime("%d/%m/%Y").astype("string")
        elif column.type == "decimal":
            text = format_decimal(values)
        elif column.type == "integer":
            text = values.astype("Int64").astype("string")
        else:
            text = neutralise_formulae(values.astype("string"))
        out[column.name] = text.fillna("")
    return pd.DataFrame(out, index=frame.index)


def csv_bytes(text: pd.DataFrame) -> bytes:
    return write_csv(text, PUBLISHED_CSV)


def read_published_csv(data: bytes, file_name: str = "published CSV") -> pd.DataFrame:
    """A published CSV back as text, exactly as written ('' for blank)."""
    return read_csv_text(data, file_name).to_pandas()


def definitions_frame(columns: list[Column]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Column": [c.name for c in columns],
            "Type": [c.type for c in columns],
            "Definition": [c.definition for c in columns],
            "Allowed values": ["; ".join(str(v) for v in c.allowed) if c.allowed else "" for c in columns],
            "Format": [c.pattern or "" for c in columns],
            "Disclosure": [c.disclosure_note for c in columns],
        }
    )


def _is_grade_field(name: str) -> bool:
    return name.startswith(GRADE_FIELDS_PREFIXES)


def changes_between(previous: pd.DataFrame | None, current: pd.DataFrame) -> pd.DataFrame:
    """Registered, cancelled, grades changed and details changed since the previous edition.

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
    changes = pd.concat(rows, ignore_index=True).reindex(columns=CHANGE_COLUMNS).fillna("")
    changes["order"] = changes["Change"].map(CHANGE_ORDER.index)
    field_order = {name: i for i, name in enumerate(current.columns)}
    changes["field_order"] = changes["Field"].map(field_order).fillna(-1)
    changes = changes.sort_values(["order", "CSNumber", "field_order"], kind="stable")
    return changes[CHANGE_COLUMNS].reset_index(drop=True)


def change_counts(changes: pd.DataFrame) -> dict[str, int]:
    """Services per kind of change (a service with three changed details counts once)."""
    per_kind = changes.groupby("Change")["CSNumber"].nunique()
    return {kind: int(per_kind.get(kind, 0)) for kind in CHANGE_ORDER}


def manifest_bytes(
    *,
    as_at: dt.date,
    extract_date: dt.date,
    extract_files: dict[str, str],
    code_version: str,
    previous_edition: dict[str, str] | None,
    row_count: int,
    rows_by_care_service: dict[str, int],
    changes: dict[str, int],
    withheld_cells: dict[str, int],
    files: dict[str, bytes],
) -> bytes:
    manifest = {
        "as_at": as_at.isoformat(),
        "register_extract": {"extract_date": extract_date.isoformat(), "files_sha256": extract_files},
        "code_version": code_version,
        "previous_edition": previous_edition,
        "row_count": row_count,
        "rows_by_care_service": rows_by_care_service,
        "changes_since_previous_edition": changes,
        "withheld_cells": withheld_cells,
        "files": {name: {"sha256": sha256_hex(data), "bytes": len(data)} for name, data in sorted(files.items())},
    }
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
