import datetime as dt
import hashlib
import io
import json

import openpyxl

from tasks.datastore.steps import Edition, render_edition_files
from tasks.register.steps import ExtractRef
from tests.tasks.excel.conftest import AS_AT, synthetic_typed_edition


def test_each_edition_publishes_its_workbook_beside_the_csv_and_in_the_manifest():
    edition = Edition(AS_AT, synthetic_typed_edition(50, seed=4), {})
    extract = ExtractRef(dt.date(2025, 9, 3), (("services.csv", "0" * 64),))
    rendered = render_edition_files.fn(edition, None, extract)
    workbook = rendered.files["datastore_2025-08-31.xlsx"]
    manifest = json.loads(rendered.files["manifest.json"])
    assert manifest["files"]["datastore_2025-08-31.xlsx"]["sha256"] == hashlib.sha256(workbook).hexdigest()
    data = openpyxl.load_workbook(io.BytesIO(workbook))["Data"]
    assert data.max_row == 51
    assert [c.value for c in data[1]] == list(rendered.text.columns)
    assert data["A2"].value == rendered.text["CSNumber"][0]
