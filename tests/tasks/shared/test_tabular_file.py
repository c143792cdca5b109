import csv
import datetime as dt
import io
import pickle
import struct
import time
import tracemalloc
import zipfile
import zlib

import openpyxl
import pandas as pd
import pytest

from tasks.shared import tabular_file
from tasks.shared.tabular_file import FileLimits, UnreadableFile, read_tabular

HEADER = ["code", "name", "places", "fte", "registered", "inspected_at", "active", "note"]
TYPED_ROWS = [
    ["CS001", "Café Care", 12, 2.5, dt.date(2024, 4, 1), dt.datetime(2024, 4, 1, 9, 30), True, None],
    ["CS002", "Oak, Glen", 0, 0.1, dt.date(2023, 12, 31), dt.datetime(2023, 12, 31, 23, 59, 59), False, "x"],
]
TEXT_ROWS = [
    ["CS001", "Café Care", "12", "2.5", "2024-04-01", "2024-04-01T09:30:00", "TRUE", ""],
    ["CS002", "Oak, Glen", "0", "0.1", "2023-12-31", "2023-12-31T23:59:59", "FALSE", "x"],
]


def csv_file(rows, encoding="utf-8", newline="\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue().encode(encoding)


def workbook(rows, title="Returns", before=()) -> bytes:
    book = openpyxl.Workbook()
    for name in before:
        book.create_sheet(name).append(["not", "this", "one"])
    sheet = book.active if not before else book.create_sheet(title)
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if before:
        book.remove(book.worksheets[0])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part's content replaced."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info.filename))
    return out.getvalue()


def raw_zip(entries) -> bytes:
    """A zip archive from (name, deflated bytes, crc, size) entries, written by hand so that an entry's
    compressed stream can be made without compressing its whole content."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, deflated, crc, size in entries:
        offset, encoded = out.tell(), name.encode()
        out.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(encoded), 0
            )
        )
        out.write(encoded + deflated)
        central = (20, 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(encoded), 0, 0, 0, 0, 0, offset)
        directory.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", *central) + encoded)
    start, listing = out.tell(), directory.getvalue()
    out.write(listing)
    out.write(
        struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(listing), start, 0)
    )
    return out.getvalue()


def deflated(content: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(content) + packer.flush(), zlib.crc32(content), len(content)


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A workbook whose sheet part is 1 GiB of zeros deflated to about 1 MiB.

    One MiB of zeros is deflated once and its stream repeated: after a full flush the deflater starts
    afresh, so 1,024 copies are a valid stream of 1 GiB, made without compressing 1 GiB.
    """
    chunk = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    small = workbook([["a"], ["1"]])
    with zipfile.ZipFile(io.BytesIO(small)) as book:
        parts = [(i.filename, *deflated(book.read(i.filename))) for i in book.infolist()]
    sheet = ("xl/worksheets/sheet1.xml", block * 1024 + packer.flush(), crc, 1 << 30)
    return raw_zip([part for part in parts if part[0] != sheet[0]] + [sheet])


def refused(name: str, data: bytes, limits: FileLimits = FileLimits()) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as caught:
        read_tabular(name, data, limits)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(name)
    return caught.value


# --- the same table from CSV and XLSX -----------------------------------------------------------------------


def test_a_csv_and_a_workbook_of_the_same_table_read_to_identical_frames():
    from_csv = read_tabular("returns.csv", csv_file([HEADER, *TEXT_ROWS]))
    from_xlsx = read_tabular("returns.xlsx", workbook([HEADER, *TYPED_ROWS]))
    pd.testing.assert_frame_equal(from_csv.frame, from_xlsx.frame)
    assert from_csv.frame.values.tolist() == TEXT_ROWS
    assert from_csv.lines == from_xlsx.lines == [2, 3]
    assert (from_csv.encoding, from_xlsx.encoding) == ("utf-8", "xlsx")
    assert from_csv.malformed == from_xlsx.malformed == []


def test_content_not_the_name_decides_a_zip_named_csv_is_read_as_a_workbook():
    read = read_tabular("returns.csv", workbook([HEADER, *TYPED_ROWS]))
    assert (read.encoding, read.frame.values.tolist()) == ("xlsx", TEXT_ROWS)


# --- CSV ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (csv_file([HEADER, *TEXT_ROWS], newline="\r\n"), "utf-8"),
        (b"\xef\xbb\xbf" + csv_file([HEADER, *TEXT_ROWS]), "utf-8-sig"),
        (csv_file([HEADER, *TEXT_ROWS], encoding="cp1252", newline="\r\n"), "cp1252"),
    ],
    ids=["crlf", "bom", "windows-1252"],
)
def test_crlf_bom_and_windows_1252_read_alike(data, encoding):
    read = read_tabular("returns.csv", data)
    assert read.encoding == encoding
    assert list(read.frame.columns) == HEADER
    assert read.frame.values.tolist() == TEXT_ROWS
    assert read.lines == [2, 3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"name,town\nCaf\xc3\xa9,Oban\nplain,Perth\nCaf\xe9,Ayr\n",
            "returns.csv line 4: mixed encodings: it has UTF-8 on line 2 but line 4 is not UTF-8",
        ),
        (
            b"name,town\nCaf\xe9,Oban\nplain,Perth\nCaf\xc3\xa9,Ayr\n",
            "returns.csv line 4: mixed encodings: it has UTF-8 on line 4 but line 2 is not UTF-8",
        ),
        (
            b"\xef\xbb\xbfname,town\nplain,Perth\nCaf\xe9,Ayr\n",
            "returns.csv line 3: mixed encodings: it starts with a UTF-8 byte-order mark but line 3 is not"
            " UTF-8",
        ),
    ],
    ids=["utf8-then-cp1252", "cp1252-then-utf8", "bom-then-cp1252"],
)
def test_a_mix_of_utf8_and_windows_1252_is_refused_naming_a_line_of_each(data, message):
    error = refused("returns.csv", data)
    assert str(error).startswith(message)
    assert "save the whole file again in one encoding" in str(error)


def test_a_quoted_line_break_pushes_later_rows_down_and_blank_lines_are_skipped_but_counted():
    data = b'code,note\nS1,"two\nlines"\n\nS2,"three\r\nlines\r\nhere"\nS3,plain\n'
    read = read_tabular("returns.csv", data)
    assert read.frame.values.tolist() == [
        ["S1", "two\nlines"],
        ["S2", "three\r\nlines\r\nhere"],
        ["S3", "plain"],
    ]
    assert read.lines == [2, 5, 8]


def test_a_malformed_row_is_set_aside_with_its_physical_line():
    data = b'code,note\nS1,"two\nlines"\nS2,x,extra\n"S3","a\n\nb",also extra\nS4,y\n'
    read = read_tabular("returns.csv", data)
    assert read.frame.values.tolist() == [["S1", "two\nlines"], ["S4", "y"]]
    assert read.lines == [2, 8]
    assert [str(problem) for problem in read.malformed] == [
        "returns.csv line 4: 3 field(s) where the header has 2",
        "returns.csv line 5: 3 field(s) where the header has 2",
    ]


def test_leading_blank_lines_do_not_make_the_header_or_the_text_wrong():
    read = read_tabular("returns.csv", b"\n\r\ncode,places\n007,12\n")
    assert read.frame.values.tolist() == [["007", "12"]]
    assert read.lines == [4]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"code,note\nS1,ok\nS2,a\x00b\n", "returns.csv line 3: it holds a NUL byte"),
        (b"code,note\nS1,\x1b[31m\n", "returns.csv line 2: it holds control character 0x1B"),
        (b"code,note\nS1,\x81\n", "returns.csv line 2: byte 0x81 is neither UTF-8 nor Windows-1252"),
        ("code,note\nS1,x\n".encode("utf-16"), "returns.csv: it is UTF-16 text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "returns.csv: it is an old Excel workbook (.xls)"),
        (b"%PDF-1.7\n", "returns.csv: it is a PDF document"),
        (b"\n\n", "returns.csv: it has no header line"),
        (b"code,note\rS1,x\r", "returns.csv line 1: its lines end in a bare CR"),
    ],
    ids=["nul", "escape", "undefined-byte", "utf-16", "xls", "pdf", "blank", "bare-cr"],
)
def test_what_is_not_csv_text_is_refused_saying_what_it_is(data, message):
    assert str(refused("returns.csv", data)).startswith(message)


# --- XLSX ---------------------------------------------------------------------------------------------------


def test_workbook_cells_come_through_as_the_text_a_csv_would_hold():
    rows = [
        ["int", "float_int", "decimal", "date", "datetime", "yes", "no", "formula", "text", "empty"],
        [
            3,
            3.0,
            2.5,
            dt.date(2024, 4, 1),
            dt.datetime(2024, 4, 1, 9, 30, 5),
            True,
            False,
            '=HYPERLINK("x")',
            "7",
        ],
        [-12, 1e20, 0.1, dt.datetime(2024, 4, 2), None, None, None, "=SUM(A2:A3)", " spaced ", None],
    ]
    read = read_tabular("returns.xlsx", workbook(rows + [[], [None, None]]))
    assert read.frame.to_dict("records") == [
        {
            "int": "3",
            "float_int": "3",
            "decimal": "2.5",
            "date": "2024-04-01",
            "datetime": "2024-04-01T09:30:05",
            "yes": "TRUE",
            "no": "FALSE",
            "formula": '=HYPERLINK("x")',
            "text": "7",
            "empty": "",
        },
        {
            "int": "-12",
            "float_int": "1e+20",
            "decimal": "0.1",
            "date": "2024-04-02",
            "datetime": "",
            "yes": "",
            "no": "",
            "formula": "=SUM(A2:A3)",
            "text": " spaced ",
            "empty": "",
        },
    ]
    assert read.lines == [2, 3]  # the trailing empty rows are dropped


def test_the_returns_sheet_is_read_else_the_first_and_rows_keep_their_sheet_numbers():
    rows = [[], ["code", "places"], ["S1", 1], [], ["S2", 2], ["S3", 3, "beyond"], []]
    read = read_tabular("returns.xlsx", workbook(rows, before=["Notes"]))
    assert read.frame.values.tolist() == [["S1", "1"], ["", ""], ["S2", "2"]]
    assert read.lines == [3, 4, 5]
    assert [str(problem) for problem in read.malformed] == [
        "returns.xlsx line 6: 1 value(s) beyond the header's 2 columns (in C)"
    ]
    first = read_tabular("returns.xlsx", workbook([["a"], ["1"]], title="Sheet1"))
    assert first.frame.values.tolist() == [["1"]]


def test_a_zip_bomb_is_refused_at_once_without_inflating_it(zip_bomb):
    assert len(zip_bomb) < 2 << 20
    started = time.perf_counter()
    error = refused("returns.xlsx", zip_bomb)
    assert time.perf_counter() - started < 2
    assert "its part xl/worksheets/sheet1.xml would unzip to 1024 MiB" in str(error)
    assert "beyond the compression ratio of 200 allowed" in str(error)
    lenient = refused("returns.xlsx", zip_bomb, FileLimits(max_compression_ratio=10_000))
    assert "it would unzip to 1024.0 MiB, more than the 512 MiB allowed" in str(lenient)


def test_too_many_zip_parts_are_refused_from_the_end_record():
    data = raw_zip([(f"part{i}.xml", *deflated(b"<a/>")) for i in range(5)])
    error = refused("returns.xlsx", data, FileLimits(max_zip_entries=4))
    assert "its zip directory lists 5 parts" in str(error) and "4 parts allowed" in str(error)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n", "it is a PDF document"),
        (csv_file([HEADER, *TEXT_ROWS]), "it is text (a CSV file named .xlsx?)"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "it is an HTML or XML file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "it is an old Excel workbook (.xls)"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"),
            "it is a password-protected workbook",
        ),
        (b"", "it is empty"),
    ],
    ids=["pdf", "csv", "html", "xls", "encrypted", "empty"],
)
def test_a_file_named_xlsx_that_is_no_workbook_says_what_it_is(data, message):
    error = refused("returns.xlsx", data)
    assert str(error).startswith(
        f"returns.xlsx: it is not an .xlsx workbook (which is a zip archive): {message}"
    )


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert "returns.xlsx: it is a Word document" in str(refused("returns.xlsx", out.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8")
    assert "not an Excel workbook: it has no xl/workbook.xml" in str(refused("returns.xlsx", out.getvalue()))


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_a_truncated_workbook_is_refused(keep):
    data = workbook([HEADER, *TYPED_ROWS])
    error = refused("returns.xlsx", data[: int(len(data) * keep)])
    assert str(error) == "returns.xlsx: it is a damaged or truncated .xlsx: its zip directory is missing"


def test_a_damaged_part_is_refused_naming_the_file():
    data = with_part(
        workbook([HEADER, *TYPED_ROWS]), "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row>"
    )
    assert str(refused("returns.xlsx", data)).startswith("returns.xlsx: it is a damaged workbook: ")


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
        for level in range(1, 10)
    )
    + b"]>"
)


@pytest.mark.parametrize(
    ("part", "content"),
    [
        (
            "xl/worksheets/sheet1.xml",
            LAUGHS
            + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>',
        ),
        (
            "xl/workbook.xml",
            LAUGHS + b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheets><sheet name='&lol9;' sheetId='1'/></sheets></workbook>",
        ),
    ],
    ids=["sheet", "workbook"],
)
def test_an_entity_expansion_attack_is_refused_unexpanded(part, content):
    data = with_part(workbook([["a"], ["1"]]), part, content)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = refused("returns.xlsx", data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 50 << 20  # a billion "lol"s would be 3 GB
    assert "it declares XML entities (EntitiesForbidden)" in str(error)


def test_a_cell_at_the_far_corner_of_the_sheet_costs_nothing():
    book = openpyxl.Workbook()
    book.active["A1"] = "code"
    book.active["XFD1048576"] = "far"
    out = io.BytesIO()
    book.save(out)
    error = refused("returns.xlsx", out.getvalue())
    assert str(error) == "returns.xlsx line 1048576: sheet 'Sheet' has more than the 200000 data rows allowed"


def test_reading_a_workbook_without_defusedxml_is_refused(monkeypatch):
    monkeypatch.setattr(tabular_file.openpyxl, "DEFUSEDXML", False)
    with pytest.raises(RuntimeError, match="defusedxml"):
        read_tabular("returns.xlsx", workbook([["a"], ["1"]]))


# --- limits and headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["returns.csv", "returns.xlsx"])
def test_an_oversize_file_is_refused_before_any_parsing(name, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("parsed an oversize file")

    monkeypatch.setattr(tabular_file, "read_csv_text", never)
    monkeypatch.setattr(tabular_file.openpyxl, "load_workbook", never)
    monkeypatch.setattr(tabular_file.zipfile, "ZipFile", never)
    data = csv_file([HEADER, *TEXT_ROWS]) if name.endswith(".csv") else workbook([HEADER, *TYPED_ROWS])
    error = refused(name, data, FileLimits(max_bytes=100))
    assert "more than the 100 bytes allowed: not read" in str(error)
    assert (
        str(refused(name, bytes(65 << 20)))
        == f"{name}: the file is 65 MiB, more than the 64 MiB allowed: not read"
    )


def test_too_many_rows_are_refused_before_reading_on(monkeypatch):
    rows = [["code"], *([f"S{i}"] for i in range(10))]
    limits = FileLimits(max_rows=5)
    assert str(refused("returns.csv", csv_file(rows), limits)) == (
        "returns.csv: it has 10 lines after the header, more than the 5 rows allowed"
    )
    cells = []
    original = tabular_file._cell_text
    monkeypatch.setattr(tabular_file, "_cell_text", lambda value: cells.append(value) or original(value))
    error = refused("returns.xlsx", workbook(rows), limits)
    assert str(error) == "returns.xlsx line 7: sheet 'Returns' has more than the 5 data rows allowed"
    assert cells == ["code", "S0", "S1", "S2", "S3", "S4", "S5"]  # nothing after the row past the bound


def test_too_many_columns_are_refused():
    limits = FileLimits(max_columns=3)
    rows = [["a", "b", "c", "d"], ["1", "2", "3", "4"]]
    assert "its header has 4 columns, more than the 3 allowed" in str(
        refused("returns.csv", csv_file(rows), limits)
    )
    assert "sheet 'Returns' has 4 columns, over the 3 allowed" in str(
        refused("returns.xlsx", workbook(rows), limits)
    )


@pytest.mark.parametrize(
    ("header", "csv_message", "xlsx_message"),
    [
        (
            ["code", "Places", "note", " Places "],
            "header names appear more than once: 'Places' (columns 2, 4)",
            "header names appear more than once: 'Places' (columns B, D)",
        ),
        (["code", "", "note", " "], "header columns 2, 4 have no name", "header columns B, D have no name"),
    ],
    ids=["duplicate", "empty"],
)
def test_a_header_with_repeated_or_empty_names_is_refused_naming_the_columns(
    header, csv_message, xlsx_message
):
    rows = [header, ["1", "2", "3", "4"]]
    assert str(refused("returns.csv", csv_file(rows))) == f"returns.csv line 1: {csv_message}"
    assert str(refused("returns.xlsx", workbook(rows))) == f"returns.xlsx line 1: {xlsx_message}"


def test_unknown_file_types_are_refused():
    assert str(refused("returns.txt", b"a,b\n1,2\n")) == (
        "returns.txt: files named .txt are not read: send a .csv or .xlsx file"
    )
    assert "files without an extension are not read" in str(refused("returns", b"a,b\n"))


def test_the_error_keeps_its_problem_through_pickling():
    error = refused("returns.csv", b"code,note\nS1,a\x00\n")
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problem == error.problem
    assert (copy.problem.file, copy.problem.line) == ("returns.csv", 2)
    assert str(copy) == str(error)


def test_sheet_rows_packed_in_batches_read_as_one_table(monkeypatch):
    rows = [["code", "places"], *([f"S{i}", i] for i in range(7))]
    whole = read_tabular("returns.xlsx", workbook(rows))
    monkeypatch.setattr(tabular_file, "BATCH_ROWS", 2)
    batched = read_tabular("returns.xlsx", workbook(rows))
    pd.testing.assert_frame_equal(whole.frame, batched.frame)
    assert batched.frame.values.tolist() == [[f"S{i}", str(i)] for i in range(7)]
    assert batched.lines == list(range(2, 9))
