import io

import openpyxl
from prefect.logging import disable_run_logger

from tasks.datastore.steps import Edition, render_edition_files
from tasks.excel.steps import render_workbook
from tests.tasks.excel.conftest import AS_AT, synthetic_typed_edition


def test_the_workbook_holds_the_edition_exactly_as_its_csv():
    rendered = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(50, seed=4), {}), None)
    with disable_run_logger():
        files = render_workbook.fn(rendered.text, AS_AT, None, rendered.csv_sha256)
    assert list(files) == ["datastore_2025-08-31.xlsx"]
    data = openpyxl.load_workbook(io.BytesIO(files["datastore_2025-08-31.xlsx"]))["Data"]
    assert data.max_row == 51
    assert [c.value for c in data[1]] == list(rendered.text.columns)
    assert [c.value for c in data["A"][1:]] == rendered.text["CSNumber"].tolist()
