"""Column expectations from the data dictionary, and the typed frame they judge: shared by every domain.

A dictionary column (type, required, unique, pattern, allowed values, range) becomes the same GX entries
whichever file it belongs to, so the Datastore's column suite and the annual return's are made alike.
They judge a frame of text with blanks as nulls, a numeric copy (<column>__value) of every number column
and a verdict (<column>__is_date) on every date column, added by typed_frame().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carestats.dictionary import Column
from tasks.shared.csv_text import TEXT_DTYPE
from tasks.shared.quality.rules import verdict
from tasks.shared.quality.suites import expectation

TYPE_PATTERNS = {"integer": r"^-?\d+$", "decimal": r"^-?\d+(?:\.\d+)?$"}
VALUE_SUFFIX = "__value"  # a typed copy of a numeric column, added beside the text
# Beside each date column: True where its text is a real date in the column's format, False where it is
# not, null where blank. (GX's strftime expectation parses one value at a time in Python: 30 s on a 100x
# edition.)
IS_DATE_SUFFIX = "__is_date"
DATE_FORMATS = {"date": "%d/%m/%Y", "datetime": "%Y-%m-%dT%H:%M:%S"}
DATE_FORMAT_NAMES = {"date": "date dd/mm/yyyy", "datetime": "date and time yyyy-mm-ddThh:mm:ss"}
FLAG_VALUES = ["Yes", "No"]


def column_expectations(spec: dict[str, Any], allowed: tuple[Any, ...] | None) -> list[dict]:
    """The GX entries for one dictionary column `spec` (its name may still be a template), with its
    allowed values resolved: required, unique, type, date format, pattern, allowed values and range.
    """
    name, kind = spec["name"], spec["type"]
    entries = []
    if spec.get("required"):
        entries.append(
            expectation(
                "expect_column_values_to_not_be_null", {"column": name}, id=f"{name}: required", column=name
            )
        )
    if spec.get("unique"):
        entries.append(
            expectation(
                "expect_column_values_to_be_unique", {"column": name}, id=f"{name}: unique", column=name
            )
        )
    if kind in TYPE_PATTERNS:
        entries.append(
            expectation(
                "expect_column_values_to_match_regex",
                {"column": name, "regex": TYPE_PATTERNS[kind]},
                id=f"{name}: {kind}",
                column=name,
            )
        )
    if kind in DATE_FORMATS:
        entries.append(
            expectation(
                "expect_column_values_to_be_in_set",
                {"column": name + IS_DATE_SUFFIX, "value_set": [True]},
                id=f"{name}: {DATE_FORMAT_NAMES[kind]}",
                column=name,
                format=DATE_FORMATS[kind],
            )
        )
    if spec.get("pattern"):
        entries.append(
            expectation(
                "expect_column_values_to_match_regex",
                {"column": name, "regex": spec["pattern"]},
                id=f"{name}: format",
                column=name,
            )
        )
    if allowed is None and kind == "flag" and "allowed" not in spec:
        allowed = tuple(FLAG_VALUES)
    if allowed is not None:
        numeric = kind in TYPE_PATTERNS
        entries.append(
            expectation(
                "expect_column_values_to_be_in_set",
                {"column": name + VALUE_SUFFIX if numeric else name, "value_set": list(allowed)},
                id=f"{name}: allowed values",
                column=name,
                allowed_from=spec["allowed"] if isinstance(spec.get("allowed"), str) else None,
            )
        )
    if spec.get("minimum") is not None or spec.get("maximum") is not None:
        entries.append(
            expectation(
                "expect_column_values_to_be_between",
                {
                    "column": name + VALUE_SUFFIX,
                    "min_value": spec.get("minimum"),
                    "max_value": spec.get("maximum"),
                },
                id=f"{name}: range",
                column=name,
            )
        )
    return entries


def blank_as_null(text: pd.Series) -> pd.Series:
    """'' as null over the same characters: only a validity bitmap is new,
    where a copy would double the text.
    """
    array = pa.array(text, pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    if array.offset or array.null_count:  # a slice or existing nulls: their bitmaps would not line up
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.large_string()), array)
    else:
        present = pc.not_equal(array, "")
        array = pa.Array.from_buffers(array.type, len(array), [present.buffers()[1], *array.buffers()[1:]])
    return pd.Series(pd.arrays.ArrowStringArray(array, dtype=TEXT_DTYPE), index=text.index)


def typed_frame(text: pd.DataFrame, column_for_name: Callable[[str], Column | None]) -> pd.DataFrame:
    """Text with blanks as nulls, a numeric copy (<column>__value) of every number column and a verdict
    (<column>__is_date) on every date column; `column_for_name` says what each column is.

    Text stays in Arrow strings: a Python object per cell would cost gigabytes on a large edition.
    """
    text = text.reset_index(drop=True)
    frame = pd.DataFrame({name: blank_as_null(values) for name, values in text.items()})
    for name in text.columns:
        column = column_for_name(name)
        if column is not None and column.type in TYPE_PATTERNS:
            frame[name + VALUE_SUFFIX] = pd.to_numeric(frame[name], errors="coerce").astype(float)
        if column is not None and column.type in DATE_FORMATS:
            readable = pd.to_datetime(frame[name], format=DATE_FORMATS[column.type], errors="coerce").notna()
            frame[name + IS_DATE_SUFFIX] = verdict(readable, frame[name].notna())
    return frame
