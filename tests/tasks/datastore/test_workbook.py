import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import absolute_coordinate

import tasks.datastore.workbook as workbook_module
from carestats.dictionary import DataDictionary, load_dictionary
from tasks.datastore.workbook import (
    DATA_PRINT_ROWS,
    DATA_TABLE,
    DEFINITIONS_TABLE,
    PIVOTS,
    TooManyRowsError,
    build_workbook,
)
from tasks.shared.excel.pivots import PIVOT_TOP_ROW
from tasks.shared.excel.sheets import CHARACTER_WIDTH, LINE_SPACING, TABLE_TOP_ROW, text_lines
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
    header = [c.value for c in ws[TABLE_TOP_ROW]]
    return [
        row[0]
        for row in ws.iter_rows(
            min_row=TABLE_TOP_ROW + 1, min_col=header.index(name) + 1, max_col=header.index(name) + 1
        )
    ]


def cover_lines(book):
    return [row[0].value for row in book["Cover"].iter_rows()]


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


def test_data_sheet_is_a_named_filterable_table_under_its_title_with_a_frozen_header(book, text):
    ws = book["Data"]
    assert ws["A1"].value == "Every registered care service, Datastore as at 31 August 2025"
    assert "the same rows and columns as the Datastore CSV file" in ws["A2"].value
    assert [c.value for c in ws[3]] == list(text.columns)
    assert ws.max_row == 123 and ws.freeze_panes == "A4"
    table = ws.tables[DATA_TABLE]
    assert table.ref == "A3:BC123"
    assert table.autoFilter is not None and table.autoFilter.ref == "A3:BC123"
    assert ws.column_dimensions["A"].width == len("CS2000000000") + 2


def test_cells_take_their_type_and_format_from_the_dictionary(book, text):
    ws = book["Data"]
    places = column_cells(ws, "Registered_Places")
    filled = [(cell, value) for cell, value in zip(places, text["Registered_Places"], strict=True) if value]
    assert filled and all(
        cell.value == int(value) and cell.number_format == "#,##0" for cell, value in filled
    )
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
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=TABLE_TOP_ROW + 1)] == [
        ['\'=HYPERLINK("http://x")', "'-2+3"],
        ["'@SUM(A1)", "ok"],
    ]
    with zipfile.ZipFile(io.BytesIO(raw.data)) as archive:
        assert not any(
            "<f>" in archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")
        )


def test_definitions_come_from_the_dictionary_for_every_column(book, text):
    ws = book["Definitions"]
    assert ws["A1"].value == "What every column of the Data sheet means, Datastore as at 31 August 2025"
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=TABLE_TOP_ROW)]
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
    lines = cover_lines(book)
    assert lines[0] == "Care Inspectorate Datastore as at 31 August 2025"
    assert lines[1] == "As at: 31/08/2025"
    assert not any("imulated" in line or "fictitious" in line for line in lines)
    assert any("Open Government Licence v3.0" in line and "nationalarchives.gov.uk" in line for line in lines)
    assert "How to use the pivot tables" in lines
    changes = lines[lines.index("Changes since the previous edition (number of services)") + 1 :][:4]
    assert changes == ["Registered: 3", "Cancelled: 1", "Grades changed: 7", "Details changed: 2"]
    printing = lines[lines.index("Printing") + 1]
    assert f"the first {DATA_PRINT_ROWS} rows of the Data sheet" in printing
    assert "The full data is in the Data sheet and in the Datastore CSV file." in printing


def test_the_publisher_and_licence_address_come_from_the_data_dictionary(book, text, monkeypatch):
    publisher = load_dictionary().publisher
    lines = cover_lines(book)
    assert f"Source: {publisher.source}" in lines
    assert (
        "Contact: Care Inspectorate Intelligence team: enquiries@careinspectorate.gov.scot, 0345 600 9527."
        in lines
    )
    assert f"Website: {publisher.website}" in lines
    assert any(line.endswith(f"To view this licence visit {publisher.licence_url}") for line in lines)
    other = {
        "name": "Another Regulator",
        "team": "Data team",
        "email": "data@example.org",
        "phone": "0100 000 0000",
        "website": "https://example.org",
        "source": "Another register.",
        "licence_url": "https://example.org/licence",
    }
    renamed = DataDictionary({**load_dictionary().raw, "publisher": other})
    monkeypatch.setattr(workbook_module, "load_dictionary", lambda: renamed)
    lines = cover_lines(openpyxl.load_workbook(io.BytesIO(build_workbook(text.head(5), AS_AT).data)))
    assert "Contact: Another Regulator Data team: data@example.org, 0100 000 0000." in lines
    assert "Source: Another register." in lines and "Website: https://example.org" in lines
    assert any(line.endswith("To view this licence visit https://example.org/licence") for line in lines)
    assert not any("Care Inspectorate Intelligence" in line or "nationalarchives" in line for line in lines)


def test_a_simulated_edition_says_so_first_on_the_cover_in_every_title_and_in_its_properties(text):
    book = openpyxl.load_workbook(io.BytesIO(build_workbook(text.head(20), AS_AT, simulated=True).data))
    lines = cover_lines(book)
    assert lines[0] == "Simulated data, not the register: Care Inspectorate Datastore as at 31 August 2025"
    assert lines[1].startswith("This file holds simulated data about fictitious care services")
    assert "It is not Care Inspectorate's register" in lines[1]
    assert book["Cover"]["A2"].font.b
    assert book.properties.title == lines[0]
    assert "20 fictitious services." in " ".join(lines)
    for ws in book.worksheets[1:]:
        assert ws["A1"].value.endswith("(simulated data, not the register)"), ws.title


def test_the_workbook_opens_on_the_cover_alone(book):
    assert book.active.title == "Cover"
    assert [ws.sheet_view.tabSelected for ws in book.worksheets] == [True] + [False] * 6


def test_every_sheet_prints_its_own_range_to_the_width_of_a4_with_its_header_on_every_page(book, built):
    expected = {
        # sheet: (print area, repeated rows, orientation, pages wide, pages tall)
        "Cover": (f"A1:A{book['Cover'].max_row}", None, "portrait", 1, 0),
        "Data": (f"A1:BC{TABLE_TOP_ROW + DATA_PRINT_ROWS}", "$3:$3", "landscape", 3, 1),
        "Definitions": ("A1:F58", "$3:$3", "landscape", 1, 0),
    }
    for spec in PIVOTS:
        ws = book[spec.sheet]
        last_row = ws.max_row
        assert ws.cell(last_row, 1).value == "Grand Total"
        last_column = next(c.column_letter for c in ws[PIVOT_TOP_ROW + 1] if c.value == "Grand Total")
        expected[spec.sheet] = (f"A1:{last_column}{last_row}", "$3:$4", "landscape", 1, 0)
    expected["Services by sector"] = ("A1:N9", "$3:$4", "landscape", 1, 0)  # wide enough for its title
    for ws in book.worksheets:
        area, titles, orientation, wide, tall = expected[ws.title]
        assert ws.print_area == f"'{ws.title}'!{absolute_coordinate(area)}", ws.title
        assert ws.print_title_rows == titles, ws.title
        setup = ws.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == (orientation, wide, tall), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.paperSize == 9, ws.title  # A4
        assert ws.oddFooter.center.text == "&A: page &P of &N"


def test_counts_and_sums_show_thousands_separators(book, built):
    for spec in PIVOTS:
        ws = book[spec.sheet]
        figures = [
            cell
            for row in ws.iter_rows(min_row=PIVOT_TOP_ROW + 2, min_col=2)
            for cell in row
            if isinstance(cell.value, (int, float))
        ]
        assert figures and {cell.number_format for cell in figures} == {"#,##0"}, spec.name
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        tables = [n for n in archive.namelist() if n.startswith("xl/pivotTables/") and n.endswith(".xml")]
        for name in tables:  # what Excel formats a refreshed pivot's figures with
            assert 'numFmtId="3"' in archive.read(name).decode(), name
    styles = {style.name: style.number_format for style in book._named_styles}
    assert styles["Pivot Table Value"] == styles["Pivot Table Result"] == "#,##0"  # ...and LibreOffice
    integers = {"Registered_Places", "SIMD_rank", "Complaints_upheld_2526", "MinGrade"}
    for name in integers:
        assert {c.number_format for c in column_cells(book["Data"], name) if c.value is not None} == {"#,##0"}
    assert {c.number_format for c in column_cells(book["Data"], "NumberStaff") if c.value is not None} == {
        "General"
    }


def test_text_lines_wraps_at_word_boundaries_and_breaks_words_longer_than_a_line():
    assert text_lines("", 10) == 1
    assert text_lines("one two three", 13) == 1
    assert text_lines("one two three", 12) == 2
    assert text_lines("one two six", 3) == 3 and text_lines("one two three", 3) == 4
    assert text_lines("abcdefghij", 5) == 2 and text_lines("abcdefghijk", 5) == 3
    assert text_lines("ab abcdefghij", 5) == 3
    assert text_lines("first\nsecond line", 20) == 2


def test_every_row_is_as_tall_as_its_wrapped_text_needs(book):
    for name in ("Cover", "Definitions"):
        ws = book[name]
        widths = {letter: dimension.width for letter, dimension in ws.column_dimensions.items()}
        for row in ws.iter_rows(min_row=1 if name == "Cover" else TABLE_TOP_ROW + 1):
            height = ws.row_dimensions[row[0].row].height
            for cell in row:
                if cell.value is None:
                    continue
                size = cell.font.sz
                per_line = (widths[cell.column_letter] - 1) / (CHARACTER_WIDTH * size / 11)
                assert height >= text_lines(str(cell.value), per_line) * size * LINE_SPACING, cell.coordinate
    licence = next(row[0].row for row in book["Cover"].iter_rows() if "licence visit" in str(row[0].value))
    assert book["Cover"].row_dimensions[licence].height >= 3 * 11 * 1.35  # three lines at 72 characters


def test_accessible_layout_titles_in_a1_one_table_a_sheet_no_merged_cells_no_blank_rows(book):
    for ws in book.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        assert isinstance(ws["A1"].value, str) and ws["A1"].font.b and ws["A1"].font.sz >= 14, ws.title
        assert ws["A1"].font.name == "Calibri", ws.title  # a font without a name is LibreOffice's serif
        assert all(any(c.value is not None for c in row) for row in ws.iter_rows()), ws.title
    for name, table in (("Data", DATA_TABLE), ("Definitions", DEFINITIONS_TABLE)):
        ws = book[name]
        assert list(ws.tables) == [table] and ws.tables[table].ref.startswith(f"A{TABLE_TOP_ROW}:")
        assert all(c.font.b for c in ws[TABLE_TOP_ROW])
    for spec in PIVOTS:
        ws = book[spec.sheet]
        assert len(ws._pivots) == 1 and ws._pivots[0].location.ref.startswith(f"A{PIVOT_TOP_ROW}:")
    assert all(row[0].value for row in book["Cover"].iter_rows())


def test_the_same_edition_gives_the_same_bytes(text, built):
    again = build_workbook(text.copy(), AS_AT, dict(CHANGES))
    assert again.data == built.data
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
        assert "2025-08-31T00:00:00Z" in core and core.count("2025-08-31T00:00:00Z") == 2


def test_more_rows_than_a_worksheet_holds_is_a_clear_error():
    five = pd.DataFrame({"CareService": ["Nurse Agency"] * 5})
    assert build_workbook(five, None, row_limit=8).rows == 5  # title, note, header and five rows
    with pytest.raises(TooManyRowsError, match=r"needs 8 rows, but a worksheet holds 7 rows") as raised:
        build_workbook(five, None, row_limit=7)
    assert (raised.value.rows, raised.value.limit) == (8, 7)
    assert "(4 data rows)" in str(raised.value)


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
    assert result.pivots_built == ["ServicesByCouncilAndCareService"]
    assert result.pivots_skipped == {
        "PlacesByCareServiceAndHealthBoard": "the file has no Health_Board_Name column",
        "ServicesByMinGradeAndCareService": "the file has no MinGrade column",
        "ServicesBySectorAndClientGroup": "the file has no Client_group column",
    }
    book = openpyxl.load_workbook(io.BytesIO(result.data))
    data = [[c.value for c in row] for row in book["Data"].iter_rows(min_row=TABLE_TOP_ROW + 1)]
    assert [row[4] for row in data] == ["37347", "42698", None]  # unknown column: text as it was
    assert [row[5] for row in data] == [40, 6, "NaN?"]  # an unreadable number stays as its text
    assert [row[6] for row in data] == [10, 0, 12]
    assert [row[7] for row in data] == [2.5, "inf", -3]  # Excel has no infinity: kept as text
    definitions = {
        row[0].value: row[2].value for row in book["Definitions"].iter_rows(min_row=TABLE_TOP_ROW + 1)
    }
    assert definitions["DateReg"].startswith("Not in the current data dictionary")
    cover = cover_lines(book)
    assert "ServicesByMinGradeAndCareService: the file has no MinGrade column." in cover
    assert "Not known: there is no previous edition to compare with." in cover
