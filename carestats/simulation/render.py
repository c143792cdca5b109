"""Writing extract tables as CSV bytes, clean or with the mess real exports have.

Rows are formatted column-wise with Arrow kernels, so a million-row services file takes seconds.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carestats.dictionary import load_dictionary

BOM = b"\xef\xbb\xbf"
TEXT = pa.large_string()
CHUNK_ROWS = 200_000
SPECIAL = re.compile(rb'[",\r\n]')  # characters that make a CSV value need quotes
QUOTE = re.compile(rb'"')
RESPELT_SHARE = 0.15  # rows of a messy services file whose council is spelt another way


@dataclass(frozen=True)
class Style:
    encoding: str  # utf-8, utf-8-sig (with BOM) or cp1252
    newline: str
    missing: str  # "" or NA
    quote_all: bool  # quote every text value, as the real Datastore export does


CLEAN = Style("utf-8", "\n", "", False)


def _style(seed: int, extract_date: dt.date, table: str) -> Style:
    """A file's mess, fixed by seed, date and table; services is mostly Windows-1252, like the real file."""
    rng = np.random.default_rng([seed, extract_date.toordinal(), zlib.crc32(table.encode())])
    encodings = ["cp1252", "utf-8-sig", "utf-8"]
    shares = [0.5, 0.3, 0.2] if table == "services" else [0.2, 0.35, 0.45]
    return Style(
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


def _quoted(text: pa.Array, always: bool, has_quote: bool, has_special: bool) -> pa.Array:
    """CSV quoting: every value when `always`, else only values holding a comma, quote or line break."""
    if not (always or has_special):
        return text
    mark, nothing = pa.scalar('"', TEXT), pa.scalar("", TEXT)
    quoted = pc.binary_join_element_wise(
        mark, pc.replace_substring(text, '"', '""') if has_quote else text, mark, nothing
    )
    return (
        quoted
        if always
        else pc.if_else(pc.match_substring_regex(text, SPECIAL.pattern.decode()), quoted, text)
    )


def _specials(array: pa.Array) -> tuple[bool, bool]:
    """Whether any value holds a double quote, and whether any needs quoting at all.

    Searched in the column's character buffer in one go: per-value kernels cost more than the search.
    """
    data = array.buffers()[2] if len(array.buffers()) > 2 else None
    if data is None:
        return False, False
    return QUOTE.search(data) is not None, SPECIAL.search(data) is not None


def _rows(
    arrays: dict[str, pa.Array], kinds: dict[str, str], specials: dict[str, tuple[bool, bool]], style: Style
) -> bytes:
    """Encoded CSV lines for a slice of the table."""
    fields = []
    for name, array in arrays.items():
        text = _text(array, kinds[name])
        if name in specials:
            text = _quoted(text, style.quote_all, *specials[name])
        fields.append(pc.fill_null(text, pa.scalar(style.missing, TEXT)))
    lines = pc.binary_join_element_wise(*fields, pa.scalar(",", TEXT))
    rows = pa.LargeListArray.from_arrays(pa.array([0, len(lines)], pa.int64()), lines)
    newline = style.newline.encode()
    data = pc.binary_join(rows, pa.scalar(style.newline, TEXT))[0].as_buffer().to_pybytes() + newline
    return data.decode("utf-8").encode("cp1252") if style.encoding == "cp1252" else data


def _csv(frame: pd.DataFrame, columns: dict[str, dict], style: Style) -> bytes:
    """The table as CSV bytes, written in slices so that a million-row table never exists twice as text."""
    kinds = {name: spec.get("type", "text") for name, spec in columns.items()}
    arrays = {}
    for name in columns:
        array = pa.array(frame[name], from_pandas=True)
        arrays[name] = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    specials = {name: _specials(arrays[name]) for name, kind in kinds.items() if kind in ("text", "flag")}
    header = ",".join(f'"{c}"' if style.quote_all else c for c in columns) + style.newline
    out = io.BytesIO()
    out.write((BOM if style.encoding == "utf-8-sig" else b"") + header.encode())
    for start in range(0, len(frame), CHUNK_ROWS):
        out.write(
            _rows(
                {name: array.slice(start, CHUNK_ROWS) for name, array in arrays.items()},
                kinds,
                specials,
                style,
            )
        )
    return out.getvalue()  # hands over the buffer without copying it


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
