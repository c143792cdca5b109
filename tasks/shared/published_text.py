"""Frames as the text published files hold, described by the data dictionary.

Every publication (the Datastore, the SSSC extract, the statistics tables) turns typed columns into text
the same way: dates dd/mm/yyyy, decimals as people write them, blanks as empty cells, and text that a
spreadsheet would run as a formula neutralised. Its CSV is UTF-8 with a BOM and CRLF, which Excel reads.
"""

from __future__ import annotations

import pandas as pd

from carestats.dictionary import Column
from tasks.shared.csv_text import CsvStyle, read_csv_text
from tasks.shared.csv_text import csv_bytes as write_csv

PUBLISHED_CSV = CsvStyle(
    encoding="utf-8-sig", newline="\r\n", missing="", quote_all=False
)  # a BOM: Excel reads UTF-8
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


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
    """Published text as the bytes of a published CSV: UTF-8 with a BOM and CRLF, which Excel reads."""
    return write_csv(text, PUBLISHED_CSV)


def read_published_csv(data: bytes, file_name: str = "published CSV") -> pd.DataFrame:
    """A published CSV back as text, exactly as written ('' for blank)."""
    return read_csv_text(data, file_name).to_pandas()


def definitions_frame(columns: list[Column]) -> pd.DataFrame:
    """The definitions file: each column's type, definition, allowed values, format and disclosure note."""
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
