"""CSV files as the text they hold: the one reader and writer behind extracts, editions and Datastore files.

Reading: real exports are UTF-8 with or without a BOM, or Windows-1252; their first header may carry a
mangled BOM or stray quotes. Every column is read as text ('' for blank, nothing guessed as missing or
as a number) by pyarrow's CSV reader: it parses without making a Python object per cell, which is what
lets a register of millions of rows be read in a fraction of pandas' time and memory. A row with the
wrong number of fields is kept aside with its line number, never dropped unseen.

Writing: column-wise Arrow kernels in slices of rows, quoting as Python's csv module does.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from carestats.errors import BadInputError

HEADER_BYTES = 1 << 16
BLOCK_BYTES = 1 << 26  # few, large chunks: pandas' takes and sorts over many small Arrow chunks are slow
TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default `str`, without a copy from Arrow

TEXT = pa.large_string()
CHUNK_ROWS = 200_000  # rows formatted at a time when writing
SPECIAL = re.compile(rb'[",\r\n]')  # characters that make a CSV value need quotes
QUOTE = re.compile(rb'"')

Source = bytes | Callable[[], BinaryIO]  # the bytes, or a way to open them as a stream (read twice at most)


class UnreadableCsv(BadInputError):
    """The file cannot be read as a CSV table; the message names it."""


# What a file that is not text at all starts with: said as such rather than as an encoding problem.
NOT_CSV_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip file, not a CSV: save it as CSV first",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls), not a CSV: save it as CSV first",
    b"%PDF": "a PDF document, not a CSV",
}


@dataclass(frozen=True)
class MalformedRow:
    """A row with the wrong number of fields, set aside with its line number rather than dropped unseen."""

    line: int | None  # the header being line 1
    fields: int
    expected: int

    def __str__(self) -> str:
        """What is wrong with the row, as a problem report shows it."""
        return f"{self.fields} field(s) where the header has {self.expected}"


@dataclass(frozen=True)
class CsvText:
    """A CSV file read as text: every column a string, the encoding it was read in, and the rows set aside."""

    table: pa.Table  # every column a string, '' for blank, header names cleaned
    encoding: str
    malformed: list[MalformedRow]

    def to_pandas(self) -> pd.DataFrame:
        """The table as a DataFrame of Arrow-backed strings, without copying the text."""
        return self.table.to_pandas(types_mapper={pa.string(): TEXT_DTYPE}.get)


def clean_header(names) -> list[str]:
    """Header names as meant: spaces, a BOM mangled into the first name, and stray quotes removed."""
    return [str(name).strip().lstrip("\ufeff").strip('"').strip() for name in names]


def _opener(source: Source) -> Callable[[], BinaryIO]:
    if isinstance(source, bytes):
        return lambda: pa.BufferReader(source)
    return source


def _header(head: bytes, encoding: str) -> list[str]:
    """The header's names as the CSV reader will see them (both skip a BOM at the very start)."""
    first_line = head[: head.find(b"\n") + 1] or head
    return next(csv.reader(io.StringIO(first_line.decode(encoding))), [])


def _parse(
    open_stream: Callable[[], BinaryIO], encoding: str, header: list[str]
) -> tuple[pa.Table, list[MalformedRow]]:
    malformed: list[MalformedRow] = []

    def set_aside(row) -> str:
        malformed.append(MalformedRow(row.number, row.actual_columns, row.expected_columns))
        return "skip"

    with open_stream() as stream:
        table = pa_csv.read_csv(
            stream,
            read_options=pa_csv.ReadOptions(
                # One thread: as fast here as two (quoted newlines stop parallel parsing), and it knows
                # line numbers.
                use_threads=False,
                block_size=BLOCK_BYTES,
                encoding="utf8" if encoding.startswith("utf-8") else encoding,
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=set_aside),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    return table, malformed


def read_csv_text(source: Source, file_name: str) -> CsvText:
    """Every column of the file as text, in file order; rows with the wrong field count set aside.

    UTF-8 (with or without a BOM) is tried first, then Windows-1252; the file is streamed, never held
    whole, so a gigabyte extract costs its parsed columns and no more.
    """
    open_stream = _opener(source)
    with open_stream() as stream:
        head = stream.read(HEADER_BYTES)
    if not head.strip():
        raise UnreadableCsv(f"cannot read {file_name}: no header line")
    for signature, what in NOT_CSV_SIGNATURES.items():
        if head.startswith(signature):
            raise UnreadableCsv(f"cannot read {file_name}: it is {what}")
    for encoding in ["utf-8-sig"] if head.startswith(codecs.BOM_UTF8) else ["utf-8", "cp1252"]:
        try:
            header = _header(head, encoding)
            table, malformed = _parse(open_stream, encoding, header)
        except UnicodeDecodeError:
            continue  # a byte Windows-1252 does not have, in the header or on the way through the file
        except pa.ArrowInvalid as error:
            if encoding == "utf-8" and "UTF8" in str(error):
                continue
            raise UnreadableCsv(f"cannot read {file_name}: {error}") from error
        return CsvText(table.rename_columns(clean_header(table.column_names)), encoding, malformed)
    raise UnreadableCsv(f"cannot read {file_name}: neither UTF-8 nor Windows-1252")


@dataclass(frozen=True)
class CsvStyle:
    """How a CSV file is written: its encoding, line ending, what a blank is, and which values are quoted."""

    encoding: str  # utf-8, utf-8-sig (with BOM) or cp1252
    newline: str
    missing: str  # what a null is written as: "" or NA
    quote_all: (
        bool  # quote every text value (as the real Datastore export does), else only those that need it
    )


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


def _specials(array: pa.ChunkedArray) -> tuple[bool, bool]:
    """Whether any value holds a double quote, and whether any needs quoting at all.

    Searched in each chunk's character buffer in one go: per-value kernels cost more than the search.
    """
    buffers = [
        chunk.buffers()[2]
        for chunk in array.chunks
        if len(chunk.buffers()) > 2 and chunk.buffers()[2] is not None
    ]
    return any(QUOTE.search(data) for data in buffers), any(SPECIAL.search(data) for data in buffers)


def _rows(
    arrays: dict[str, pa.ChunkedArray],
    as_text: Callable[[str, pa.Array], pa.Array],
    specials: dict[str, tuple[bool, bool]],
    style: CsvStyle,
) -> bytes:
    """Encoded CSV lines for a slice of the table."""
    fields = []
    for name, array in arrays.items():
        text = pc.cast(as_text(name, array), TEXT)
        if name in specials:
            text = _quoted(text, style.quote_all, *specials[name])
        fields.append(pc.fill_null(text, pa.scalar(style.missing, TEXT)))
    lines = pc.binary_join_element_wise(*fields, pa.scalar(",", TEXT))
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    rows = pa.LargeListArray.from_arrays(pa.array([0, len(lines)], pa.int64()), lines)
    newline = style.newline.encode()
    data = pc.binary_join(rows, pa.scalar(style.newline, TEXT))[0].as_buffer().to_pybytes() + newline
    return data.decode("utf-8").encode("cp1252") if style.encoding == "cp1252" else data


def csv_bytes(
    frame: pd.DataFrame,
    style: CsvStyle,
    as_text: Callable[[str, pa.Array], pa.Array] = lambda name, array: array,
) -> bytes:
    """The frame as CSV bytes, quoting as Python's csv module does (QUOTE_MINIMAL) unless style.quote_all.

    Rows are formatted column-wise with Arrow kernels and written in slices, so a million-row table
    takes seconds and never exists twice as text. `as_text` turns a typed column into text; text
    columns (and only they) are quoted.
    """
    arrays = {}
    for name in frame.columns:  # the frame's own Arrow buffers where it has them: the text is not copied
        array = pa.array(frame[name], from_pandas=True)
        arrays[name] = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    specials = {
        name: _specials(array)
        for name, array in arrays.items()
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    }
    header = ",".join(f'"{c}"' if style.quote_all else c for c in frame.columns) + style.newline
    out = io.BytesIO()
    out.write((codecs.BOM_UTF8 if style.encoding == "utf-8-sig" else b"") + header.encode())
    for start in range(0, len(frame), CHUNK_ROWS):
        out.write(
            _rows(
                {name: array.slice(start, CHUNK_ROWS) for name, array in arrays.items()},
                as_text,
                specials,
                style,
            )
        )
    return out.getvalue()  # hands over the buffer without copying it
