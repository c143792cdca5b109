import io

import openpyxl
import pytest
from prefect.logging import disable_run_logger

from tasks.datastore.steps import Edition, render_edition_files, render_workbook
from tasks.shared.excel.sheets import TABLE_TOP_ROW
from tests.support.editions import AS_AT, synthetic_typed_edition


def test_the_workbook_holds_the_edition_exactly_as_its_csv():
    rendered = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(50, seed=4), {}), None)
    with disable_run_logger():
        files = render_workbook.fn(rendered.text, AS_AT, None, rendered.csv_sha256, simulated=False)
    assert list(files) == ["datastore_2025-08-31.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(files["datastore_2025-08-31.xlsx"]))
    data = book["Data"]
    assert data.max_row == TABLE_TOP_ROW + 50
    assert [c.value for c in data[TABLE_TOP_ROW]] == list(rendered.text.columns)
    assert [c.value for c in data["A"][TABLE_TOP_ROW:]] == rendered.text["CSNumber"].tolist()
    assert book["Cover"]["A1"].value == "Care Inspectorate Datastore as at 31 August 2025"


def test_a_simulated_edition_gives_a_workbook_that_says_so():
    rendered = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(10, seed=4), {}), None)
    with disable_run_logger():
        files = render_workbook.fn(rendered.text, AS_AT, None, rendered.csv_sha256, simulated=True)
    book = openpyxl.load_workbook(io.BytesIO(files["datastore_2025-08-31.xlsx"]))
    assert book["Cover"]["A1"].value.startswith("Simulated data, not the register: ")
    assert "fictitious care services" in book["Cover"]["A2"].value


@pytest.mark.usefixtures("prefect_harness")
def test_a_rerun_takes_the_workbook_from_result_storage_keyed_by_the_csv_not_the_frame(tmp_path):
    from prefect import flow
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    rendered = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(30, seed=5), {}), None)
    other = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(30, seed=6), {}), None)

    @flow
    def render_three_times():
        first = render_workbook(rendered.text, AS_AT, None, "sha-of-the-csv", False, return_state=True)
        same_csv = render_workbook(other.text, AS_AT, None, "sha-of-the-csv", False, return_state=True)
        new_csv = render_workbook(other.text, AS_AT, None, "sha-of-another-csv", False, return_state=True)
        return first, same_csv, new_csv

    with temporary_settings(updates={PREFECT_LOCAL_STORAGE_PATH: tmp_path / "results"}):
        first, same_csv, new_csv = render_three_times()
    assert (first.name, same_csv.name, new_csv.name) == ("Completed", "Cached", "Completed")
    assert same_csv.result() == first.result() != new_csv.result()  # the frame was never part of the key
    assert len(list((tmp_path / "results").iterdir())) >= 2  # the cached workbooks, where the profile says
