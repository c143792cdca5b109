"""One safe reader for a tabular input file, CSV or XLSX, as text: how files from outside are taken in.

Providers' files come from outside, so reading one must never cost unbounded time or memory, never guess
silently, and either give every row with the line it came from or refuse the whole file in one line that
says why (UnreadableFile, whose Problem goes in the quarantine report). What a file is comes from its
bytes, not its name: a zip archive is read as a workbook, and a file named .xlsx that is not one is
refused, saying what it is instead. A file over the size limit is refused before anything is read.

CSV goes through csv_text.read_csv_text (pyarrow). Before pyarrow parses anything, the bytes are checked:
other file types, UTF-16, NUL and control characters, a byte neither UTF-8 nor Windows-1252, and a file
that mixes UTF-8 and Windows-1252 (which either decoding would quietly turn into mojibake) are refused
naming a line. Lines are physical lines (LF, CR LF or a lone CR ends one), counted from the top of the
file (line 1, the header unless blank lines come before it), so a quoted value holding a line break
pushes later rows down as a text editor shows them. pyarrow numbers the rows it sets aside by record, not
by line, so each record's line is worked out here: a row read spans one line more than the line breaks in
its values, and a row set aside is measured with RECORD, which follows pyarrow's quoting. Blank lines are
skipped, as pyarrow skips them. The row bound is checked before parsing, on the lines after the header
that are not blank (a value spanning lines counts once for each line).

XLSX is read with openpyxl in read-only mode, with defusedxml installed: openpyxl then parses every part
through defusedxml, and this module refuses to read a workbook if it does not. Before openpyxl opens the
file, the zip's end record and central directory are checked against the limits (number of parts, each
part's compression ratio, the total unzipped size) without inflating anything; zipfile never inflates a
part beyond the size its directory declares (and checks its CRC), so the check holds for what openpyxl
then reads. A part declaring XML entities (the "billion laughs" and external-entity attacks) is refused
by defusedxml before any expansion. Formula cells come through as their formula text (data_only=False), so
later checks see '=HYPERLINK("x")' rather than its cached result. The sheet is streamed row by row, the
size it claims ignored: the row and column bounds stop the read early, and a cell placed far out (row
1,048,576 or column XFD) costs nothing. The first row that is not blank is the header; blank rows inside
the table are kept (all ''), as a CSV export keeps them, and trailing ones are dropped. A value to the
right of the header's last column sets its row aside, as a CSV row with too many fields is.

Why openpyxl and not python-calamine, measured on this project's machine (2 cores, nothing else
running). Each read ran in a fresh process; time is wall time for the whole read to text, converting every
cell; memory is the growth of the process' peak RSS during the read, the text read included (about 450
MiB of Python strings at 110,000 rows). The sheets are annual returns of 70 columns (service codes, names,
towns, counts, FTE decimals, dates, yes/no answers, free text, blanks), saved by LibreOffice (shared
strings, as Excel writes them) and by openpyxl (inline strings, as many export libraries write them):

    sheet                           openpyxl read-only + defusedxml    python-calamine 0.9.1
    11,000 rows, shared strings          14.3 s     46 MiB                 1.6 s     79 MiB
    11,000 rows, inline strings          29.4 s     46 MiB                 2.3 s     78 MiB
    110,000 rows, shared strings        147.6 s    470 MiB                17.5 s    801 MiB
    110,000 rows, inline strings        278.2 s    475 MiB                19.1 s    790 MiB

calamine is eight to fifteen times faster, but it cannot be the reader here:
- it gives a formula cell's cached result, never its formula: '=HYPERLINK("x")' comes through as 'x',
  or as '' where the writer cached no result, so later checks could not see formulas at all;
- it builds the whole sheet as a dense grid before giving a row, so its memory grows with the sheet's
  extent, not its content: a 9 KB workbook with cells in A1 and XFD1048576 makes it allocate 512 GiB,
  which aborts the whole Python process (a Rust allocation failure, not an exception anything can
  catch): one hostile upload would take the worker down. openpyxl streams it, and this reader refuses it
  in under a second.
openpyxl's cost is bounded by the limits (1.3 to 2.6 s per 1,000 rows of 70 columns) and is paid once per
file, on a daily run; defusedxml accounts for about a quarter of it (11.0 s without it, 11,000 rows).
read_tabular as a whole, packing rows into Arrow as it goes: 14.0 s and 71 MiB for the 11,000-row
workbook, 152.3 s and 387 MiB for the 110,000-row one; the same tables as CSV take 0.27 s and 47 MiB,
and 2.1 s and 162 MiB.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

import defusedxml
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from carestats.errors import BadInputError
from tasks.shared.csv_text import NOT_CSV_SIGNATURES, TEXT_DTYPE, UnreadableCsv, clean_header, read_csv_text
from tasks.shared.quarantine import Problem

MIB = 1 << 20
EXCEL_LAST_ROW = 1_048_576  # no sheet Excel writes goes further: a row past it is hostile
LINES_PER_ROW = 10  # a CSV may have this many physical lines per permitted row (blank lines, long values)
SMALL_PART = MIB  # a zip part smaller than this is not held to the compression ratio: it costs nothing
BATCH_ROWS = 20_000  # sheet rows held as Python strings before they are packed into Arrow
DIRECTORY_BYTES_PER_PART = 512  # zip directory bytes allowed per permitted part (its name, extra fields)

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive (an empty one starts with its end record)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # an OLE compound file: an .xls, or a password-protected workbook
ENCRYPTED = "EncryptionInfo".encode("utf-16-le")  # the stream an encrypted workbook's OLE file holds
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
BOM = b"\xef\xbb\xbf"
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # in no text file; tab, CR and LF are fine
# In text decoded with errors="surrogateescape", where each byte that is not well-formed UTF-8 becomes a
# lone surrogate: a character that took more than one UTF-8 byte, and a byte that was not UTF-8.
UTF8_CHARACTER = re.compile("[^\x00-\x7f\udc80-\udcff]")
NOT_UTF8 = re.compile("[\udc80-\udcff]")
NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")  # the five bytes Windows-1252 leaves undefined

# One CSV record as pyarrow reads it: a quote opens a quoted part only at the start of a field, "" inside
# it is a quote, and after the closing quote the field goes on unquoted to the next comma; a quote anywhere
# else is an ordinary character, and an unterminated quote runs to the end of the file. Possessive
# throughout, so matching never backtracks.
_FIELD = rb'(?:"[^"]*+(?:""[^"]*+)*+"?[^,\r\n]*+|[^,\r\n]*+)'
RECORD = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*+(?:\r\n|\n|\r|\Z)")


@dataclass(frozen=True)
class FileLimits:
    """Bounds that keep a hostile file from costing unbounded time or memory; far above any real export."""

    max_bytes: int = 64 << 20
    max_rows: int = 200_000  # data rows, the header not counted
    max_columns: int = 500
    max_unzipped_bytes: int = 512 << 20  # XLSX: total uncompressed size of its parts
    max_compression_ratio: float = 200.0  # XLSX: a part's uncompressed/compressed size (parts of 1 MiB up)
    max_zip_entries: int = 2_000  # XLSX: parts in the archive (a workbook has a few dozen)


@dataclass(frozen=True)
class TabularText:
    """A file's table as text, each row with the line it came from, and the rows that could not be read."""

    frame: pd.DataFrame  # every column text ('' for blank), header names cleaned (csv_text.clean_header)
    lines: list[int]  # each frame row's physical line in the CSV (header = line 1), or its row on the sheet
    malformed: list[Problem]  # rows that could not be read at all, each naming file and line
    encoding: str  # 'utf-8', 'utf-8-sig', 'cp1252' or 'xlsx'


class UnreadableFile(BadInputError):
    """The whole file cannot be used: it is quarantined whole, and `.problem` says why in one line."""

    def __init__(self, problem: Problem):
        """Keep the problem for the quarantine report; the message is its one-line form."""
        super().__init__(" ".join(str(problem).split()))
        self.problem = problem

    def __reduce__(self):
        """Pickle by the problem, so the error keeps it when passed between processes."""
        return type(self), (self.problem,)


def _refuse(file_name: str, message: str, line: int | None = None) -> UnreadableFile:
    return UnreadableFile(Problem(file_name, line, None, None, " ".join(message.split())))


def _size(n: int) -> str:
    if n < MIB:
        return f"{n} bytes"
    return f"{n // MIB} MiB" if n % MIB == 0 else f"{n / MIB:.1f} MiB"


def read_tabular(file_name: str, data: bytes, limits: FileLimits = FileLimits()) -> TabularText:
    """The file's table as text, each row with its line, or UnreadableFile saying why the file cannot be used.

    What is read is decided by content: a zip archive is read as an XLSX workbook (its sheet `Returns`,
    else its first), text named .csv as CSV. Anything else, and anything beyond `limits`, is refused
    before it is parsed.
    """
    if len(data) > limits.max_bytes:
        raise _refuse(
            file_name,
            f"the file is {_size(len(data))}, more than the {_size(limits.max_bytes)} allowed: not read",
        )
    suffix = PurePosixPath(file_name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        kind = f"named {suffix}" if suffix else "without an extension"
        raise _refuse(file_name, f"files {kind} are not read: send a .csv or .xlsx file")
    if data.startswith(ZIP_SIGNATURES):
        return _read_xlsx(file_name, data, limits)
    if suffix == ".xlsx":
        raise _refuse(file_name, f"it is not an .xlsx workbook (which is a zip archive): it is {_what(data)}")
    return _read_csv(file_name, data, limits)


def _what(data: bytes) -> str:
    """What a file that is not a zip archive is, so that a person knows what to send instead."""
    if not data.strip():
        return "empty"
    if data.startswith(OLE_SIGNATURE):
        if ENCRYPTED in data:
            return "a password-protected workbook (Excel encrypts into an OLE file): remove the password"
        return "an old Excel workbook (.xls) or another OLE file: save it as .xlsx"
    if data.startswith(b"%PDF"):
        return "a PDF document"
    if data.lstrip(BOM + b" \t\r\n")[:1] == b"<":
        return "an HTML or XML file (a web page saved as .xlsx?)"
    if data.startswith(UTF16_BOMS) or CONTROL.search(data[:4096]) is None:
        return "text (a CSV file named .xlsx?)"
    return "some other binary file"


# --- CSV ---------------------------------------------------------------------------------------------------


class _Lines:
    """Where each physical line of the bytes starts and ends: LF, CR LF and a lone CR each end a line."""

    def __init__(self, data: bytes):
        codes = np.frombuffer(data, np.uint8)
        lf = np.flatnonzero(codes == 10)
        cr = np.flatnonzero(codes == 13)
        before_lf = np.isin(cr + 1, lf, assume_unique=True)
        self.ends = np.sort(np.concatenate([lf, cr[~before_lf]]))  # each line's last byte
        starts = np.concatenate([[0], self.ends + 1])
        content_ends = np.concatenate([self.ends, [len(data)]])
        content_ends -= np.isin(content_ends - 1, cr[before_lf]).astype(np.int64)  # not the CR of CR LF
        if starts[-1] == len(data):  # the file ends with a line break: there is no line after it
            starts, content_ends = starts[:-1], content_ends[:-1]
        if data.startswith(BOM) and len(starts):  # a BOM is no content: pyarrow skips it
            starts[0] = min(len(BOM), content_ends[0])
        self.starts = starts
        self.blank: list[bool] = (content_ends == starts).tolist()

    def __len__(self) -> int:
        return len(self.blank)

    def number(self, offset: int) -> int:
        """The line (from 1) that holds the byte at `offset`."""
        return int(np.searchsorted(self.ends, offset, side="left")) + 1


def _check_bytes(file_name: str, data: bytes, limits: FileLimits) -> _Lines:
    """Refuse bytes that are not CSV text, or far too many lines; the file's lines when they are fine."""
    for signature, what in NOT_CSV_SIGNATURES.items():
        if data.startswith(signature):
            raise _refuse(file_name, f"it is {what}")
    if data.startswith(UTF16_BOMS):
        raise _refuse(
            file_name,
            "it is UTF-16 text (Excel's 'Unicode text'), not UTF-8 or Windows-1252: save it as CSV UTF-8",
        )
    breaks = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    if breaks > LINES_PER_ROW * (limits.max_rows + 1):
        raise _refuse(file_name, f"it has {breaks} lines, far more than the {limits.max_rows} rows allowed")
    lines = _Lines(data)
    control = CONTROL.search(data)
    if control is not None:
        byte = control.group()[0]
        what = "a NUL byte" if byte == 0 else f"control character 0x{byte:02X}"
        raise _refuse(
            file_name,
            f"it holds {what}, which no CSV text has: it is binary or damaged",
            lines.number(control.start()),
        )
    return lines


def _check_encoding(file_name: str, data: bytes, lines: _Lines) -> None:
    """Refuse a file that is partly UTF-8 and partly not: any one decoding would give mojibake somewhere."""
    text = data.decode("utf-8", errors="surrogateescape")  # one pass in C, where a regex on bytes is slow
    other = NOT_UTF8.search(text)
    if other is None:
        return
    utf8 = UTF8_CHARACTER.search(text)
    if utf8 is not None:

        def line(index: int) -> int:
            return lines.number(len(text[:index].encode("utf-8", errors="surrogateescape")))

        utf8_line, other_line = line(utf8.start()), line(other.start())
        has = (
            "starts with a UTF-8 byte-order mark"
            if data.startswith(BOM)
            else f"has UTF-8 on line {utf8_line}"
        )
        raise _refuse(
            file_name,
            f"mixed encodings: it {has} but line {other_line} is not UTF-8 (Windows-1252?): "
            "save the whole file again in one encoding",
            max(utf8_line, other_line),
        )
    undefined = NOT_CP1252.search(data)
    if undefined is not None:
        raise _refuse(
            file_name,
            f"byte 0x{undefined.group()[0]:02X} is neither UTF-8 nor Windows-1252: save it as CSV UTF-8",
            lines.number(undefined.start()),
        )


def _check_header(file_name: str, names: list[str], line: int, letters: bool = False) -> None:
    """Refuse a header with an unnamed or repeated column: which value is which would be a guess."""

    def column(index: int) -> str:
        return f"{_letter(index)}" if letters else str(index + 1)

    empty = [column(i) for i, name in enumerate(names) if not name]
    if empty:
        plural = len(empty) > 1
        raise _refuse(
            file_name,
            f"header column{'s' if plural else ''} {', '.join(empty)} {'have' if plural else 'has'} no name",
            line,
        )
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        where = "; ".join(
            f"{name!r} (columns {', '.join(column(i) for i, other in enumerate(names) if other == name)})"
            for name in repeated
        )
        raise _refuse(file_name, f"header names appear more than once: {where}", line)


def _line_breaks(table: pa.Table) -> np.ndarray:
    """How many line breaks each row's values hold: a quoted value may span lines."""
    breaks = np.zeros(table.num_rows, np.int64)
    for column in table.columns:
        for newline, sign in (("\n", 1), ("\r", 1), ("\r\n", -1)):
            breaks += sign * pc.count_substring(column, newline).to_numpy(zero_copy_only=False)
    return breaks


def _record_lines(
    data: bytes, lines: _Lines, first: int, set_aside: set[int], breaks: np.ndarray
) -> tuple[list[int], dict[int, int]]:
    """The physical line of each record after the header: of every row read, and of every row set aside.

    `first` is the index (from 0) of the line after the header. Records are numbered as pyarrow numbers
    them: the header is 1, blank lines are not counted. A record the lines run out before is left out,
    which the caller sees in the counts.
    """
    read_lines: list[int] = []
    aside_lines: dict[int, int] = {}
    index, row, total = first, 0, len(lines)
    for record in range(2, len(breaks) + len(set_aside) + 2):
        while index < total and lines.blank[index]:
            index += 1
        if index >= total:
            break
        if record in set_aside:
            aside_lines[record] = index + 1
            end = RECORD.match(data, int(lines.starts[index])).end()
            index = lines.number(end - 1)  # the record's last line, from 1: the next line's index from 0
        else:
            read_lines.append(index + 1)
            index += 1 + int(breaks[row])
            row += 1
    return read_lines, aside_lines


def _read_csv(file_name: str, data: bytes, limits: FileLimits) -> TabularText:
    lines = _check_bytes(file_name, data, limits)
    _check_encoding(file_name, data, lines)
    header = next((i for i, blank in enumerate(lines.blank) if not blank), None)
    if header is None:
        raise _refuse(file_name, "it has no header line")
    rows = len(lines) - header - 1 - sum(lines.blank[header + 1 :])
    if rows > limits.max_rows:
        raise _refuse(
            file_name, f"it has {rows} lines after the header, more than the {limits.max_rows} rows allowed"
        )
    start = int(lines.starts[header])
    record = RECORD.match(data, start)
    header_line, after_header = header + 1, lines.number(record.end() - 1)
    if after_header > header_line:
        raise _refuse(file_name, "its header spans lines (a line break inside a column name)", header_line)
    if data[record.end() - 1 : record.end()] == b"\r":
        raise _refuse(
            file_name, "its lines end in a bare CR (old Mac text): save it as a standard CSV", header_line
        )
    text = data[start : record.end()].decode("utf-8", errors="replace")  # only its commas are counted
    try:
        columns = len(next(csv.reader(io.StringIO(text, newline="")), []))
    except csv.Error as error:
        raise _refuse(file_name, f"its header cannot be read: {error}", header_line) from error
    if columns > limits.max_columns:
        raise _refuse(
            file_name,
            f"its header has {columns} columns, more than the {limits.max_columns} allowed",
            header_line,
        )
    # pyarrow's reader takes the header from the first line: leading blank lines are cut off here (a BOM
    # kept), and the lines are still counted from the top of the file.
    body = data if header == 0 else (BOM if data.startswith(BOM) else b"") + data[start:]
    try:
        read = read_csv_text(body, file_name)
    except UnreadableCsv as error:
        raise _refuse(file_name, str(error).removeprefix(f"cannot read {file_name}: ")) from error
    _check_header(file_name, read.table.column_names, header_line)
    if not all(pa.types.is_string(kind) for kind in read.table.schema.types):
        raise _refuse(file_name, "its header could not be read as text", header_line)
    set_aside = {row.line for row in read.malformed}
    breaks = _line_breaks(read.table)
    read_lines, aside_lines = _record_lines(data, lines, after_header, set_aside, breaks)
    if len(read_lines) != len(breaks) or len(aside_lines) != len(set_aside):
        raise _refuse(file_name, "its quoting could not be followed line by line: look for stray quote marks")
    malformed = [Problem(file_name, aside_lines[row.line], None, None, str(row)) for row in read.malformed]
    return TabularText(read.to_pandas(), read_lines, malformed, read.encoding)


# --- XLSX --------------------------------------------------------------------------------------------------


def _letter(index: int) -> str:
    """A column's letters on a sheet, from its index from 0: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _directory(data: bytes) -> tuple[int, int] | None:
    """The zip's number of parts and the size of its directory, from its end record alone.

    zipfile parses every directory entry before anything can be checked, and a directory of a million
    empty parts takes it many seconds. None when there is no end record (a truncated file).
    """
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        return None
    parts = int.from_bytes(data[at + 10 : at + 12], "little")
    size = int.from_bytes(data[at + 12 : at + 16], "little")
    locator = at - 20  # a zip64 archive keeps the real numbers in a record the locator points to
    if (
        (parts == 0xFFFF or size == 0xFFFFFFFF)
        and locator >= 0
        and data[locator : locator + 4] == b"PK\x06\x07"
    ):
        record = int.from_bytes(data[locator + 8 : locator + 16], "little")
        if data[record : record + 4] == b"PK\x06\x06":
            parts = int.from_bytes(data[record + 32 : record + 40], "little")
            size = int.from_bytes(data[record + 40 : record + 48], "little")
    return parts, size


def _check_zip(file_name: str, data: bytes, limits: FileLimits) -> None:
    """Refuse an archive whose directory shows it beyond the limits, or shows it is no workbook.

    Only the directory is read: a zip bomb is refused before a byte of it is inflated.
    """
    directory = _directory(data)
    if directory is None:
        raise _refuse(file_name, "it is a damaged or truncated .xlsx: its zip directory is missing")
    parts, size = directory
    if parts > limits.max_zip_entries or size > limits.max_zip_entries * DIRECTORY_BYTES_PER_PART:
        raise _refuse(
            file_name,
            f"its zip directory lists {parts} parts in {size} bytes, more than the {limits.max_zip_entries} "
            "parts allowed: refused without unzipping it",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise _refuse(file_name, f"it is a damaged or truncated .xlsx: {error}") from error
    if len(infos) > limits.max_zip_entries:
        raise _refuse(
            file_name, f"its zip holds {len(infos)} parts, more than the {limits.max_zip_entries} allowed"
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(
                file_name, f"its part {info.filename} is encrypted: remove the password and save it again"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(file_name, f"its part {info.filename} uses a compression no Excel workbook uses")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= SMALL_PART and ratio > limits.max_compression_ratio:
            raise _refuse(
                file_name,
                f"its part {info.filename} would unzip to {_size(info.file_size)}, {ratio:.0f} times its "
                f"compressed size, beyond the compression ratio of {limits.max_compression_ratio:g} allowed "
                "(a zip bomb?): refused without unzipping it",
            )
        total += info.file_size
    if total > limits.max_unzipped_bytes:
        raise _refuse(
            file_name,
            f"it would unzip to {_size(total)}, more than the {_size(limits.max_unzipped_bytes)} allowed: "
            "refused without unzipping it",
        )
    names = {info.filename for info in infos}
    for part, what in [
        ("xl/workbook.bin", "a binary Excel workbook (.xlsb), which is not read: save it as .xlsx"),
        ("word/document.xml", "a Word document, not a workbook"),
        ("ppt/presentation.xml", "a PowerPoint presentation, not a workbook"),
        ("content.xml", "an OpenDocument file (.ods?), not an .xlsx workbook: save it as .xlsx"),
    ]:
        if part in names:
            raise _refuse(file_name, f"it is {what}")
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        raise _refuse(file_name, "it is a zip archive but not an Excel workbook: it has no xl/workbook.xml")


def _cell_text(value) -> str:
    """A cell as a CSV export would hold it: 3 not 3.0, ISO dates, TRUE/FALSE, a formula as written."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        if value.microsecond:  # a serial day fraction that missed the second
            value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.timedelta):  # a duration: hours:minutes:seconds, as Excel's [h]:mm:ss shows it
        sign, seconds = "-" if value < dt.timedelta(0) else "", abs(round(value.total_seconds()))
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if isinstance(value, ArrayFormula):
        return value.text or ""
    if isinstance(value, DataTableFormula):
        return f"=TABLE({value.r1 or ''},{value.r2 or ''})"
    return str(value)


def _read_xlsx(file_name: str, data: bytes, limits: FileLimits) -> TabularText:
    _check_zip(file_name, data, limits)
    if not openpyxl.DEFUSEDXML:  # never parse a hostile workbook with the plain XML parsers
        raise RuntimeError(
            "openpyxl is not parsing through defusedxml: install it, and unset OPENPYXL_DEFUSEDXML"
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        try:
            return _read_sheet(file_name, workbook, limits)
        finally:
            workbook.close()
    except (UnreadableFile, MemoryError):
        raise
    except Exception as error:  # whatever openpyxl or zipfile raise on a broken part: the file is at fault
        forbidden = _cause(error, defusedxml.DefusedXmlException)
        if forbidden is None:
            raise _refuse(file_name, f"it is a damaged workbook: {_reason(error)}") from error
        raise _refuse(
            file_name,
            f"it declares XML entities ({type(forbidden).__name__}), which no workbook needs: "
            "refused unexpanded, as a possible entity-expansion attack",
        ) from error


def _cause(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The error of `kind` behind `error`, if any: openpyxl raises its own error from the parser's."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _reason(error: BaseException) -> str:
    """What went wrong, from the first error raised: openpyxl's own wraps it in a generic message."""
    seen: set[int] = set()
    while (error.__cause__ or error.__context__) is not None and id(error) not in seen:
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return f"{type(error).__name__}: {error}"


def _batch(header: list[str], rows: list[list[str]]) -> pa.RecordBatch:
    columns = zip(*rows, strict=True) if rows else ([] for _ in header)
    return pa.RecordBatch.from_arrays([pa.array(column, pa.string()) for column in columns], names=header)


def _read_sheet(file_name: str, workbook, limits: FileLimits) -> TabularText:
    """The sheet `Returns`, else the first: its first row that is not blank is the header."""
    name = "Returns" if "Returns" in workbook.sheetnames else workbook.sheetnames[0]
    sheet = workbook[name]
    if not hasattr(sheet, "reset_dimensions"):
        raise _refuse(file_name, f"its sheet {name!r} is a chart, not a table")
    sheet.reset_dimensions()  # ignore the extent the file claims: rows are taken as they come
    header: list[str] = []
    header_row = 0
    rows: list[list[str]] = []  # the rows since the last batch: Python strings cost ten times Arrow's
    batches: list[pa.RecordBatch] = []
    lines: list[int] = []
    malformed: list[Problem] = []
    blanks: list[int] = []  # blank rows not yet known to lie inside the table: trailing ones are dropped
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > EXCEL_LAST_ROW:
            raise _refuse(file_name, f"sheet {name!r} goes past Excel's last row, {EXCEL_LAST_ROW}", number)
        cells = [_cell_text(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        if not header:
            if cells:
                header, header_row = clean_header(cells), number
                if len(header) > limits.max_columns:
                    raise _refuse(
                        file_name,
                        f"sheet {name!r} has {len(header)} columns, over the {limits.max_columns} allowed",
                        number,
                    )
                _check_header(file_name, header, number, letters=True)
            continue
        if not cells:
            blanks.append(number)
            continue
        if number - header_row > limits.max_rows:
            raise _refuse(
                file_name, f"sheet {name!r} has more than the {limits.max_rows} data rows allowed", number
            )
        width = len(header)
        rows.extend([""] * width for _ in blanks)
        lines.extend(blanks)
        blanks.clear()
        if len(cells) > width:
            beyond = [_letter(i) for i in range(width, len(cells)) if cells[i]]
            shown = ", ".join(beyond[:5]) + (", ..." if len(beyond) > 5 else "")
            message = f"{len(beyond)} value(s) beyond the header's {width} columns (in {shown})"
            malformed.append(Problem(file_name, number, None, None, message))
            continue
        rows.append(cells + [""] * (width - len(cells)))
        lines.append(number)
        if len(rows) >= BATCH_ROWS:
            batches.append(_batch(header, rows))
            rows.clear()
    if not header:
        raise _refuse(file_name, f"sheet {name!r} is empty: it has no header row")
    table = pa.Table.from_batches([*batches, _batch(header, rows)]).combine_chunks()
    return TabularText(table.to_pandas(types_mapper={pa.string(): TEXT_DTYPE}.get), lines, malformed, "xlsx")
