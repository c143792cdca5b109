import datetime as dt
import io
import zipfile
from functools import cache
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tasks.datastore.datastore_file import read_datastore_csv
from tasks.datastore.workbook import PIVOTS, build_workbook
from tasks.shared.excel.pivots import PivotSpec, crosstab, item_order, shared_items
from tests.support.editions import AS_AT, synthetic_edition
from tests.support.libreoffice import shown_rows
from tests.support.pivots import pandas_pivot, sheet_pivot

SPEC_BY_NAME = {spec.name: spec for spec in PIVOTS}


@pytest.fixture(scope="module")
def synthetic():
    text = synthetic_edition(400, seed=11)
    return text, build_workbook(
        text, AS_AT, {"Registered": 3, "Cancelled": 1, "Grades changed": 7, "Details changed": 2}
    )


@pytest.fixture(scope="module")
def synthetic_shown(synthetic, open_in_libreoffice):
    """The synthetic workbook's sheets as LibreOffice shows them once opened, exported once for the module."""
    return open_in_libreoffice(synthetic[1].data, "synthetic")


@cache
def reference_workbook(path: Path):
    text, _ = read_datastore_csv(path.read_bytes(), path.name)
    return text, build_workbook(text, dt.date(2025, 8, 31))


def prefilled_cells(data: bytes, sheets: list[str]) -> dict[str, list[list]]:
    """Cell values as stored in the file, which is what a viewer that never refreshes shows."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {sheet: [list(row) for row in wb[sheet].iter_rows(values_only=True)] for sheet in sheets}


def test_items_are_listed_numbers_first_then_text_then_blank():
    assert item_order([5, None, 1, 3, 1]) == [1, 3, 5, None]
    assert item_order(["b", "A", None, "a"]) == ["A", "a", "b", None]


def test_crosstab_counts_rows_and_sums_numbers_only():
    spec = PivotSpec("P", "S", "T", rows="kind", columns="area", values="places")
    columns = {"kind": ["x", "x", "y", None], "area": ["N", "S", "N", "N"], "places": [2, None, 5, "n/a"]}
    table = crosstab(columns, spec)
    assert (table.row_items, table.col_items) == (["x", "y", None], ["N", "S"])
    assert table.cells == {(0, 0): 2, (1, 0): 5}  # a cell of blanks and text stays empty, as in Excel
    assert (table.row_totals, table.col_totals, table.grand_total) == ([2, 5, None], [7, None], 7)


def test_shared_items_describe_a_numeric_field_with_blanks_as_excel_does():
    items = shared_items([4, None, 2, 6], item_order([4, None, 2, 6]))
    assert (items.containsNumber, items.containsInteger, items.containsBlank) == (True, True, True)
    assert (items.containsString, items.containsSemiMixedTypes, items.minValue, items.maxValue) == (
        False,
        False,
        2,
        6,
    )
    assert [type(f).__name__ for f in items._fields] == ["Number", "Number", "Number", "Missing"]
    text = shared_items(["b", "a"], None)
    assert (text.count, text.containsString, text.containsBlank) == (0, None, None)


def test_the_file_holds_real_pivot_parts_sharing_one_cache(synthetic):
    _, result = synthetic
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        names = archive.namelist()
        tables = sorted(n for n in names if n.startswith("xl/pivotTables/pivotTable") and n.endswith(".xml"))
        caches = [n for n in names if n.startswith("xl/pivotCache/pivotCacheDefinition")]
        assert len(tables) == len(PIVOTS) == 4
        assert caches == ["xl/pivotCache/pivotCacheDefinition1.xml"]
        assert not [n for n in names if "pivotCacheRecords" in n]
        cache_xml = archive.read(caches[0]).decode()
        assert 'refreshOnLoad="1"' in cache_xml and 'saveData="0"' in cache_xml
        assert '<worksheetSource ref="A3:BC403" sheet="Data"' in cache_xml  # the table under the title
        workbook_xml = archive.read("xl/workbook.xml").decode()
        assert workbook_xml.count("<pivotCache ") == 1
        for table in tables:
            assert 'cacheId="1"' in archive.read(table).decode()


def test_pivot_cells_before_any_refresh_hold_the_pandas_figures(synthetic):
    text, result = synthetic
    stored = prefilled_cells(result.data, [spec.sheet for spec in PIVOTS])
    for spec in PIVOTS:
        assert sheet_pivot(stored[spec.sheet]) == pandas_pivot(text, spec), spec.name
    places = pandas_pivot(text, SPEC_BY_NAME["PlacesByCareServiceAndHealthBoard"])
    assert places[("Total", "Total")] == str(
        int(pd.to_numeric(text["Registered_Places"].mask(text["Registered_Places"] == "")).sum())
    )


@pytest.mark.libreoffice
def test_libreoffice_computes_every_pivot_cell_and_total_as_pandas_does(synthetic, synthetic_shown):
    text, _ = synthetic
    sheets = synthetic_shown
    for spec in PIVOTS:
        rows = sheets[spec.sheet]
        assert "Total Result" in rows[-1][0], (
            "LibreOffice did not recompute the pivot (its own total caption is missing)"
        )
        assert sheet_pivot(rows) == pandas_pivot(text, spec), spec.name
    counts = sheet_pivot(sheets["Services by council area"])
    assert counts[("Total", "Total")] == "400"
    by_council = sheets["Services by council area"]
    assert [row[0] for row in by_council[4:-1]] == sorted(set(text["Council_Area_Name"]), key=str.casefold)
    assert by_council[3][1:-1] == sorted(
        set(text["CareService"]), key=str.casefold
    )  # councils down, services across


@pytest.mark.libreoffice
def test_libreoffice_shows_counts_and_sums_with_thousands_separators(synthetic, synthetic_shown):
    text, _ = synthetic
    places = synthetic_shown["Places by health board"]
    total = int(pd.to_numeric(text["Registered_Places"].mask(text["Registered_Places"] == "")).sum())
    assert total >= 1000 and places[-1][0] == "Total Result"
    assert places[-1][-1] == f"{total:,}"  # 68,131 rather than 68131


@pytest.mark.libreoffice
def test_libreoffice_shows_the_data_sheet_exactly_as_the_csv_holds_it(synthetic, synthetic_shown):
    text, _ = synthetic
    data = synthetic_shown["Data"]
    assert data[0][0] == "Every registered care service, Datastore as at 31 August 2025"
    assert data[2] == list(text.columns)
    assert data[3:] == shown_rows(text) == text.values.tolist()  # no whole number here reaches 1,000
    assert data[3][text.columns.get_loc("ServiceName")] == "'=1+2"


@pytest.mark.libreoffice
def test_reference_extract_pivots_match_pandas_in_libreoffice(reference_extract, open_in_libreoffice):
    text, result = reference_workbook(reference_extract)
    assert result.pivots_skipped == {
        "PlacesByCareServiceAndHealthBoard": "the file has no Health_Board_Name column"
    }
    sheets = open_in_libreoffice(result.data, "reference")
    stored = prefilled_cells(result.data, [SPEC_BY_NAME[name].sheet for name in result.pivots_built])
    for name in result.pivots_built:
        spec = SPEC_BY_NAME[name]
        expected = pandas_pivot(text, spec)
        assert sheet_pivot(sheets[spec.sheet]) == expected, name
        assert sheet_pivot(stored[spec.sheet]) == expected, name
    by_council = sheets["Services by council area"]
    assert sheet_pivot(by_council)[("Total", "Care Home Service")] == "1365"
    assert by_council[-1][0] == "Total Result" and by_council[-1][-1] == "10,670"
    grades = sheet_pivot(sheets["Services by lowest grade"])
    assert grades[("(blank)", "Total")] == str((text["MinGrade"] == "").sum())
    cover = [row[0] for row in sheets["Cover"]]
    assert "PlacesByCareServiceAndHealthBoard: the file has no Health_Board_Name column." in cover
    assert sheets["Data"][3:] == shown_rows(text)
    places = text.columns.get_loc("Registered_Places")
    assert "2,436" in [row[places] for row in sheets["Data"][3:]]  # the largest service's places
