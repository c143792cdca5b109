import io

import openpyxl
import pytest
from prefect.logging import disable_run_logger

from tasks.datastore.steps import Edition, render_edition_files, render_workbook
from tests.support.editions import AS_AT, synthetic_typed_edition


def test_the_workbook_holds_the_edition_exactly_as_its_csv():
    rendered = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(50, seed=4), {}), None)
    with disable_run_logger():
        files = render_workbook.fn(rendered.text, AS_AT, None, rendered.csv_sha256)
    assert list(files) == ["datastore_2025-08-31.xlsx"]
    data = openpyxl.load_workbook(io.BytesIO(files["datastore_2025-08-31.xlsx"]))["Data"]
    assert data.max_row == 51
    assert [c.value for c in data[1]] == list(rendered.text.columns)
    assert [c.value for c in data["A"][1:]] == rendered.text["CSNumber"].tolist()


@pytest.mark.usefixtures("prefect_harness")
def test_a_rerun_takes_the_workbook_from_result_storage_keyed_by_the_csv_not_the_frame(tmp_path):
    from prefect import flow
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    rendered = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(30, seed=5), {}), None)
    other = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(30, seed=6), {}), None)

    @flow
    def render_three_times():
        first = render_workbook(rendered.text, AS_AT, None, "sha-of-the-csv", return_state=True)
        same_csv = render_workbook(other.text, AS_AT, None, "sha-of-the-csv", return_state=True)
        new_csv = render_workbook(other.text, AS_AT, None, "sha-of-another-csv", return_state=True)
        return first, same_csv, new_csv

    with temporary_settings(updates={PREFECT_LOCAL_STORAGE_PATH: tmp_path / "results"}):
        first, same_csv, new_csv = render_three_times()
    assert (first.name, same_csv.name, new_csv.name) == ("Completed", "Cached", "Completed")
    assert same_csv.result() == first.result() != new_csv.result()  # the frame was never part of the key
    assert len(list((tmp_path / "results").iterdir())) >= 2  # the cached workbooks, where the profile says
