import datetime as dt
import hashlib
import io
import json

import openpyxl

from tasks.datastore.steps import Edition, render_edition_files, with_manifest
from tasks.register.steps import ExtractRef
from tests.tasks.excel.conftest import AS_AT, synthetic_typed_edition


def test_each_edition_publishes_its_workbook_beside_the_csv_and_in_the_manifest():
    edition = Edition(AS_AT, synthetic_typed_edition(50, seed=4), {})
    extract = ExtractRef(dt.date(2025, 9, 3), (("services.csv", "0" * 64),))
    rendered = with_manifest(render_edition_files.fn(edition, None, extract), edition, None, extract, {})
    workbook = rendered.files["datastore_2025-08-31.xlsx"]
    manifest = json.loads(rendered.files["manifest.json"])
    assert manifest["files"]["datastore_2025-08-31.xlsx"]["sha256"] == hashlib.sha256(workbook).hexdigest()
    data = openpyxl.load_workbook(io.BytesIO(workbook))["Data"]
    assert data.max_row == 51
    assert [c.value for c in data[1]] == list(rendered.text.columns)
    assert data["A2"].value == rendered.text["CSNumber"][0]


def test_the_workbook_can_be_left_out_and_the_manifest_lists_exactly_what_is_published():
    edition = Edition(AS_AT, synthetic_typed_edition(20, seed=5), {})
    extract = ExtractRef(dt.date(2025, 9, 3), (("services.csv", "0" * 64),))
    rendered = with_manifest(
        render_edition_files.fn(edition, None, extract, workbook=False), edition, None, extract, {"quality.json": b"{}"}
    )
    assert sorted(rendered.files) == [
        "changes_2025-08-31.csv", "datastore_2025-08-31.csv", "definitions_2025-08-31.csv", "manifest.json", "quality.json"
    ]
    manifest = json.loads(rendered.files["manifest.json"])
    assert sorted(manifest["files"]) == sorted(set(rendered.files) - {"manifest.json"})
    assert manifest["files"]["quality.json"] == {"sha256": hashlib.sha256(b"{}").hexdigest(), "bytes": 2}
