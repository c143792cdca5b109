"""End to end: the default simulation through the CLI, as `make demo` runs it (its workbooks aside)."""

import datetime as dt
import json

import pandas as pd
import pytest

from carestats.dictionary import load_dictionary
from tests.support.cli import run_carestats
from tests.support.datapackage import assert_valid_datapackage

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(capsys, *arguments: str) -> dict:
    result = run_carestats(capsys, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_default_simulation_publishes_a_scotland_sized_edition_twice_identically(capsys, tmp_path):
    lake = str(tmp_path / "lake")
    simulated = run(capsys, "simulate", "--until", "2025-08-31", "--months", "2", "--lake", lake)
    assert sorted(simulated["extracts"]) == ["2025-08-05", "2025-09-05"]

    # Without workbooks: a Scotland-sized workbook is built and opened in LibreOffice from the real extract
    # (tests/tasks/shared/excel/test_pivots.py), and the flow's workbook step by every flow test.
    july = run(capsys, "publish-datastore", "--as-at", "2025-07-31", "--lake", lake, "--no-workbook")
    august = run(capsys, "publish-datastore", "--as-at", "2025-08-31", "--lake", lake, "--no-workbook")
    assert 10_000 <= august["rows"] <= 11_500
    assert august["previous_edition"] == "2025-07-31" and august["quality"]["status"] != "failed"
    assert august["changes"]["Registered"] > 0 and august["changes"]["Cancelled"] > 0
    assert set(august["files"]) == {
        "datastore_2025-08-31.csv",
        "definitions_2025-08-31.csv",
        "changes_2025-08-31.csv",
        "quality_2025-08-31.json",
        "quality_2025-08-31.html",
        "datapackage.json",
        "manifest.json",
    }
    assert august["simulated"] is True  # the simulator's mark beside each extract reaches the manifest
    # A Scotland-sized simulated edition loads with its declared types: every value of every row is checked.
    assert_valid_datapackage(tmp_path / "lake" / "publish" / "datastore" / "2025-08-31")

    published = pd.read_csv(
        tmp_path / "lake" / "publish" / "datastore" / "2025-08-31" / "datastore_2025-08-31.csv",
        encoding="utf-8-sig",
        nrows=5,
    )
    # Every column the dictionary publishes (the real extract's 36 among them), by name and in its order.
    assert list(published.columns) == load_dictionary().datastore_column_names(dt.date(2025, 8, 31))

    again = run(capsys, "publish-datastore", "--as-at", "2025-08-31", "--lake", lake, "--no-workbook")
    assert again["files"] == august["files"] and again["changed"] is False
    assert july["rows"] != august["rows"] or july["files"] != august["files"]
