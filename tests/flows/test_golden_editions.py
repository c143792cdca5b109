"""Golden-file back-test: the hand-worked extracts must publish exactly the committed files.

A deliberate change of output is made by running with CARESTATS_UPDATE_GOLDEN=1 and reviewing the diff
of tests/golden/ like code.
"""

import os
from pathlib import Path

import pytest

from flows.publish_datastore import publish_monthly_datastore
from tests.support.extracts import AUGUST, JULY, edition_files, land_two_extracts

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "datastore"
GOLDEN_FILES = ["datastore_2025-08-31.csv", "changes_2025-08-31.csv", "definitions_2025-08-31.csv"]


@pytest.mark.usefixtures("prefect_harness")
def test_august_2025_edition_matches_the_golden_files(tmp_path):
    lake = str(tmp_path / "lake")
    land_two_extracts(lake)
    publish_monthly_datastore(JULY, lake)
    publish_monthly_datastore(AUGUST, lake)
    files = edition_files(lake, AUGUST)
    if os.environ.get("CARESTATS_UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name in GOLDEN_FILES:
            (GOLDEN / name).write_bytes(files[name])
    for name in GOLDEN_FILES:
        assert files[name] == (GOLDEN / name).read_bytes(), (
            f"{name} differs from tests/golden/datastore/{name}"
        )
