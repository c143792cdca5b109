"""The statistics' spreadsheet, read back with openpyxl: the layout the guidance on releasing statistics in
spreadsheets asks for, the tables as the CSV files give them with numbers as numbers, and fixed bytes."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from tasks.shared.excel.sheets import TABLE_TOP_ROW
from tasks.statistics.spreadsheet import build_workbook
from tests.support.return_statistics import DICTIONARY, synthetic_services, tables_of

EXTRACT_DATE = dt.date(2026, 4, 5)


@pytest.fixture(scope="module")
def tables():
    return tables_of(synthetic_services())


@pytest.fixture(scope="module")
def workbook_bytes(tables):
    return build_workbook(tables.text, DICTIONARY, 2026, EXTRACT_DATE, bulletin="staff_vacancies_2026.html")


@pytest.fixture(scope="module")
def workbook(workbook_bytes):
    return load_workbook(io.BytesIO(workbook_bytes))


def test_a_cover_contents_notes_and_definitions_then_one_sheet_per_table(workbook, tables):
    assert workbook.sheetnames == [
        "Cover",
        "Contents",
        "Notes",
        "Definitions",
        *[f"Table_{n}" for n in range(1, len(tables.text) + 1)],
    ]
    assert workbook.active.title == "Cover"
    assert all(" " not in name for name in workbook.sheetnames)
    cover = [row[0] for row in workbook["Cover"].iter_rows(values_only=True)]
    assert cover[0] == "Staff vacancies in care services, Scotland, 31 December 2025"
    assert "The bulletin staff_vacancies_2026.html shows the main findings with charts" in " ".join(cover)
    assert any(str(line).startswith("Care Inspectorate Intelligence team: enquiries@") for line in cover)
    assert workbook.properties.title == cover[0] and workbook.properties.language == "en-GB"


def test_every_sheet_has_its_title_in_a1_one_table_and_no_merged_cells(workbook, tables):
    for ws in workbook.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        assert isinstance(ws["A1"].value, str) and ws["A1"].font.b, ws.title
        if ws.title == "Cover":
            assert not ws.tables
            continue
        assert len(ws.tables) == 1, ws.title
        (table,) = ws.tables.values()
        first, last = table.ref.split(":")
        assert first == f"A{TABLE_TOP_ROW}"
        assert int(re.sub(r"\D", "", last)) == ws.max_row, f"{ws.title}: rows below its table"
        header = [c.value for c in ws[TABLE_TOP_ROW]]
        assert all(isinstance(h, str) and h for h in header), f"{ws.title}: a blank header"
        for row in ws.iter_rows(min_row=TABLE_TOP_ROW + 1, max_col=2, values_only=True):
            assert row[0] is not None, f"{ws.title}: a blank row inside its table"


def test_each_table_sheet_holds_its_csv_text_with_numbers_as_numbers_and_c_as_text(workbook, tables):
    types = {c.name: c.type for c in DICTIONARY.statistics_table_columns()}
    for number, (name, text) in enumerate(tables.text.items(), start=1):
        ws = workbook[f"Table_{number}"]
        (table,) = ws.tables.values()
        assert table.displayName == name
        assert ws["A1"].value.startswith(f"Table {number}: ")
        rows = list(ws.iter_rows(min_row=TABLE_TOP_ROW))
        assert [c.value for c in rows[0]] == list(text.columns)
        assert len(rows) - 1 == len(text)
        for cells, (_, published) in zip(rows[1:], text.iterrows(), strict=True):
            for cell, (column, shown) in zip(cells, published.items(), strict=True):
                if column == "Return_Year":
                    assert cell.value == int(shown)
                elif shown in ("[c]", "[x]") or column in ("Suppressed", *text.columns[:2]):
                    assert cell.value == (shown or None), (name, column)
                elif types[column] == "integer":
                    assert isinstance(cell.value, int) and cell.value == int(shown), (
                        name,
                        column,
                        cell.value,
                    )
                else:  # a decimal shown to one place: 50.0, not 50
                    assert isinstance(cell.value, (int, float)) and cell.value == float(shown), (name, column)
                    assert cell.number_format == "0.0", (name, column)
    suppressed = [
        c.value
        for ws in workbook.worksheets[4:]
        for row in ws.iter_rows(min_row=TABLE_TOP_ROW + 1)
        for c in row
        if c.value == "[c]"
    ]
    assert len(suppressed) > 10


def test_titles_refer_to_notes_that_exist_and_the_contents_link_to_every_sheet(workbook):
    notes = {
        row[0]: row[1] for row in workbook["Notes"].iter_rows(min_row=TABLE_TOP_ROW + 1, values_only=True)
    }
    assert list(notes) == [f"note {n}" for n in range(1, len(notes) + 1)]
    assert "fewer than 5 services" in notes["note 3"]
    assert "Childminders are not asked about vacancies" in notes["note 2"]
    assert "the Total row counts reasons given" in notes["note 6"]
    for ws in workbook.worksheets[4:]:
        referred = re.findall(r"\[note (\d+)\]", ws["A1"].value)
        assert referred and all(f"note {n}" in notes for n in referred), ws.title
    assert "[note 6]" in workbook["Table_3"]["A1"].value  # the reasons table's total counts reasons
    assert workbook["Table_5"]["A1"].value.startswith(
        "Table 5: Services with vacancies and the vacancy rate by return year, by sector, Scotland, "
        "31 December 2024 to 31 December 2025"
    )
    contents = workbook["Contents"]
    links = {
        row[0].value: row[0].hyperlink.location
        for row in contents.iter_rows(min_row=TABLE_TOP_ROW + 1, max_col=1)
    }
    assert links == {name: f"'{name}'!A1" for name in workbook.sheetnames[2:]}
    definitions = [
        row[0] for row in workbook["Definitions"].iter_rows(min_row=TABLE_TOP_ROW + 1, values_only=True)
    ]
    assert definitions == [c.name for c in DICTIONARY.statistics_table_columns()]


def test_the_same_tables_give_the_same_bytes_and_a_simulated_one_says_so(workbook_bytes, tables):
    again = build_workbook(tables.text, DICTIONARY, 2026, EXTRACT_DATE, bulletin="staff_vacancies_2026.html")
    assert again == workbook_bytes
    simulated = build_workbook(
        tables.text, DICTIONARY, 2026, EXTRACT_DATE, bulletin="staff_vacancies_2026.html", simulated=True
    )
    cover = load_workbook(io.BytesIO(simulated))["Cover"]
    assert cover["A1"].value.startswith("Simulated data, not official statistics: ")
    assert "No figure in it is an official statistic." in cover["A2"].value
