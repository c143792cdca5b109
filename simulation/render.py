"""Writing extract tables as CSV bytes, clean or with the mess real exports have.

Rows are formatted column-wise with Arrow kernels, so a million-row services file takes seconds.
"""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carestats.dictionary import load_dictionary
from tasks.shared.csv_text import TEXT, CsvStyle, csv_bytes

RESPELT_SHARE = 0.15  # rows of a messy services file whose council is spelt another way


CLEAN = CsvStyle("utf-8", "\n", "", False)


def _style(seed: int, extract_date: dt.date, table: str) -> CsvStyle:
    """A file's mess, fixed by seed, date and table; services is mostly Windows-1252, like the real file."""
    rng = np.random.default_rng([seed, extract_date.toordinal(), zlib.crc32(table.encode())])
    encodings = ["cp1252", "utf-8-sig", "utf-8"]
    shares = [0.5, 0.3, 0.2] if table == "services" else [0.2, 0.35, 0.45]
    return CsvStyle(
        encoding=encodings[rng.choice(3, p=shares)],
        newline="\r\n" if rng.random() < 0.5 else "\n",
        missing="NA" if rng.random() < 0.4 else "",
        quote_all=bool(rng.random() < 0.3),
    )


def council_spellings(official: str) -> list[str]:
    """Other ways exports spell a council area, all of which normalise back to it under the dictionary's
    rules (case, "and" for "&", a trailing "Council", listed aliases)."""
    aliases = load_dictionary().reference["council_area_aliases"]
    spellings = [alias for alias, target in aliases.items() if target == official and alias != official]
    with_and = official.replace(" & ", " and ")
    spellings += [official.upper(), official.lower(), with_and, with_and.upper()]
    if official != "outside Scotland":
        spellings += [official + " Council", with_and + " Council"]
    return list(dict.fromkeys(s for s in spellings if s != official))


def _respell(councils: pd.Series, rng: np.random.Generator) -> pd.Series:
    values = councils.to_numpy(dtype=object).copy()
    chosen = rng.random(len(values)) < RESPELT_SHARE
    for official in sorted(set(values[chosen])):
        rows = np.flatnonzero(chosen & (values == official))
        spellings = np.array(council_spellings(official), dtype=object)
        values[rows] = spellings[rng.integers(0, len(spellings), len(rows))]
    return pd.Series(values, index=councils.index, dtype="str")


def _text(array: pa.Array, kind: str) -> pa.Array:
    """A column as text: ISO dates, integers without ".0", decimals in their shortest form."""
    if kind == "date":
        array = pc.cast(array, pa.date32())
    return pc.cast(array, TEXT)


def _csv(frame: pd.DataFrame, columns: dict[str, dict], style: CsvStyle) -> bytes:
    kinds = {name: spec.get("type", "text") for name, spec in columns.items()}
    return csv_bytes(frame[list(columns)], style, lambda name, array: _text(array, kinds[name]))


def render_tables(
    tables: dict[str, pd.DataFrame], extract_date: dt.date, seed: int, messy: bool
) -> dict[str, bytes]:
    """File name -> bytes for every register_extract table, in the dictionary's column order."""
    dictionary = load_dictionary()
    files = {}
    for name in dictionary.extract_tables:
        columns = dictionary.extract_table(name).columns
        frame = tables[name]
        style = _style(seed, extract_date, name) if messy else CLEAN
        if messy and "Council_Area_Name" in columns:
            rng = np.random.default_rng([seed, extract_date.toordinal(), zlib.crc32(b"councils")])
            frame = frame.assign(Council_Area_Name=_respell(frame["Council_Area_Name"], rng))
        files[f"{name}.csv"] = _csv(frame, columns, style)
    return files
