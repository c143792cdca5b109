import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from carestats.dictionary import load_dictionary
from tasks.datastore.workbook import DATA_TABLE, DEFINITIONS_TABLE, TooManyRowsError, build_workbook
from tests.support.editions import AS_AT, synthetic_edition

CHANGES = {"Registered": 3, "Cancelled": 1, "Grades changed": 7, "Details changed": 2}


@pytest.fixture(scope="module")
def text():
    return synthetic_edition(120, seed=5)


@pytest.fixture(scope="module")
def built(text):
    return build_workbook(text, AS_AT, CHANGES)


@pytest.fixture(scope="module")
def book(built):
    return openpyxl.load_workbook(io.BytesIO(built.data))


def column_cells(ws, name):
    header = [c.value for c in ws[1]]
    return [
        row[0]
        for row in ws.iter_rows(min_row=2, min_col=header.index(name) + 1, max_col=header.index(name) + 1)
    ]


def test_sheets_have_descriptive_names_in_reading_order(built):
    assert built.sheets == [
        "Cover",
        "Data",
        "Services by council area",
        "Places by health board",
        "Services by lowest grade",
        "Services by sector",
        "Definitions",
    ]
    assert built.rows == 120 and built.pivots_skipped == {}


def test_data_sheet_is_a_named_filterable_table_with_a_frozen_header(book, text):
    ws = book["Data"]
    assert [c.value for c in ws[1]] == list(text.columns)
    assert ws.max_row == 121 and ws.freeze_panes == "A2"
    table = ws.tables[DATA_TABLE]
    assert table.ref == "A1:BC121"
    assert table.autoFilter is not None and table.autoFilter.ref == "A1:BC121"
    assert ws.column_dimensions["A"].width == len("CS2000000000") + 2


def test_cells_take_their_type_and_format_from_the_dictionary(book, text):
    ws = book["Data"]
    places = column_cells(ws, "Registered_Places")
    filled = [(cell, value) for cell, value in zip(places, text["Registered_Places"], strict=True) if value]
    assert filled and all(cell.value == int(value) and cell.number_format == "0" for cell, value in filled)
    assert all(
        cell.value is None for cell, value in zip(places, text["Registered_Places"], strict=True) if not value
    )
    staff = column_cells(ws, "NumberStaff")
    assert staff[3].value == -1.5  # numbers stay numbers, even with a minus sign
    dates = column_cells(ws, "Last_inspection_Date")
    first = next(i for i, value in enumerate(text["Last_inspection_Date"]) if value)
    assert dates[first].value == dt.datetime.strptime(text["Last_inspection_Date"][first], "%d/%m/%Y")
    assert dates[first].number_format == "dd/mm/yyyy"
    assert column_cells(ws, "Date_Reg")[0].data_type == "s"  # YYYY_M is text, as the dictionary says
    complaints = [c.value for c in column_cells(ws, "Complaints_upheld_2526")]
    assert complaints == [int(v) if v else None for v in text["Complaints_upheld_2526"]]


def test_formula_like_text_is_shown_never_run(built, book):
    names = [cell.value for cell in column_cells(book["Data"], "ServiceName")[:6]]
    assert names == ["'=1+2", "'+44 131 555", "'-minus", "'@home", "'\tTabbed", "Café Ùna’s"]
    raw = build_workbook(
        pd.DataFrame({"ServiceName": ['=HYPERLINK("http://x")', "@SUM(A1)"], "Notes": ["-2+3", "ok"]}), None
    )
    ws = openpyxl.load_workbook(io.BytesIO(raw.data))["Data"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [
        ['\'=HYPERLINK("http://x")', "'-2+3"],
        ["'@SUM(A1)", "ok"],
    ]
    with zipfile.ZipFile(io.BytesIO(raw.data)) as archive:
        assert not any(
            "<f>" in archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")
        )


def test_definitions_come_from_the_dictionary_for_every_column(book, text):
    ws = book["Definitions"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["Column", "Type", "Definition", "Allowed values", "Format", "Disclosure"]
    assert [r[0] for r in rows[1:]] == list(text.columns)
    by_name = {r[0]: r for r in rows[1:]}
    column = load_dictionary().column_for_name("Complaints_upheld_2425")
    assert by_name["Complaints_upheld_2425"][1:3] == ["integer", column.definition]
    assert "2024-25" in by_name["Complaints_upheld_2425"][2]
    assert by_name["Manager_Name"][5] == "Withheld: always blank in published files."
    assert by_name["GradeSpread"][3] == "5 or 6; 1 or 2; Mix"
    assert DEFINITIONS_TABLE in ws.tables


def test_cover_sheet_says_what_the_file_is_and_what_changed(book):
    lines = [row[0].value for row in book["Cover"].iter_rows()]
    assert lines[0] == "Care Inspectorate Datastore as at 31 August 2025"
    assert "As at: 31/08/2025" in lines
    assert any("Open Government Licence v3.0" in line and "nationalarchives.gov.uk" in line for line in lines)
    assert any(line.startswith("Contact: ") for line in lines) and any(
        line.startswith("Source: ") for line in lines
    )
    assert "How to use the pivot tables" in lines
    changes = lines[lines.index("Changes since the previous edition (number of services)") + 1 :][:4]
    assert changes == ["Registered: 3", "Cancelled: 1", "Grades changed: 7", "Details changed: 2"]


def test_accessible_layout_no_merged_cells_no_blank_rows_headers_first(book):
    for ws in book.worksheets:
        assert not ws.merged_cells.ranges, ws.title
    for name in ("Data", "Definitions"):
        ws = book[name]
        assert all(any(c.value is not None for c in row) for row in ws.iter_rows()), name
        assert all(c.font.bold for c in ws[1])
    cover = book["Cover"]
    assert all(row[0].value for row in cover.iter_rows())


def test_the_same_edition_gives_the_same_bytes(text, built):
    again = build_workbook(text.copy(), AS_AT, dict(CHANGES))
    assert again.data == built.data
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
        assert "2025-08-31T00:00:00Z" in core and core.count("2025-08-31T00:00:00Z") == 2


def test_more_rows_than_a_worksheet_holds_is_a_clear_error():
    five = pd.DataFrame({"CareService": ["Nurse Agency"] * 5})
    assert build_workbook(five, None, row_limit=6).rows == 5
    with pytest.raises(TooManyRowsError, match=r"6 rows, but a worksheet holds 5 rows") as raised:
        build_workbook(five, None, row_limit=5)
    assert (raised.value.rows, raised.value.limit) == (6, 5)


def test_an_older_edition_keeps_its_columns_and_leaves_out_pivots_it_cannot_fill():
    older = pd.DataFrame(
        {
            "CSNumber": ["CS2003000001", "CS2003000002", "CS2003000003"],
            "CareService": ["Care Home Service", "Child Minding", "Care Home Service"],
            "ServiceType": ["Private", "Private", "Local Authority"],
            "Council_Area_Name": ["Fife", "Fife", "Angus"],
            "DateReg": ["37347", "42698", ""],  # a 2022 column the dictionary no longer knows
            "Registered_Places": ["40", "6", "NaN?"],
            "TotalBeds": ["10", "0", "12"],
            "NumberStaff": ["2.5", "inf", "-3"],
        }
    )
    result = build_workbook(older, dt.date(2022, 3, 31))
    assert result.pivots_built == ["ServicesByCareServiceAndCouncil"]
    assert result.pivots_skipped == {
        "PlacesByCareServiceAndHealthBoard": "the file has no Health_Board_Name column",
        "ServicesByMinGradeAndCareService": "the file has no MinGrade column",
        "ServicesBySectorAndClientGroup": "the file has no Client_group column",
    }
    book = openpyxl.load_workbook(io.BytesIO(result.data))
    data = [[c.value for c in row] for row in book["Data"].iter_rows(min_row=2)]
    assert [row[4] for row in data] == ["37347", "42698", None]  # unknown column: text as it was
    assert [row[5] for row in data] == [40, 6, "NaN?"]  # an unreadable number stays as its text
    assert [row[6] for row in data] == [10, 0, 12]
    assert [row[7] for row in data] == [2.5, "inf", -3]  # Excel has no infinity: kept as text
    definitions = {row[0].value: row[2].value for row in book["Definitions"].iter_rows(min_row=2)}
    assert definitions["DateReg"].startswith("Not in the current data dictionary")
    cover = [row[0].value for row in book["Cover"].iter_rows()]
    assert "ServicesByMinGradeAndCareService: the file has no MinGrade column." in cover
    assert "Not known: there is no previous edition to compare with." in cover
