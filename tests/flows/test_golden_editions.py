"""Golden-file back-test: the hand-worked extracts must publish exactly the committed files.

A deliberate change of output is made by running with CARESTATS_UPDATE_GOLDEN=1 and reviewing the diff
of tests/golden/ like code.
"""

import os
from pathlib import Path

from tests.support.extracts import AUGUST, edition_files

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "datastore"
GOLDEN_FILES = ["datastore_2025-08-31.csv", "changes_2025-08-31.csv", "definitions_2025-08-31.csv"]


def test_august_2025_edition_matches_the_golden_files(two_editions):
    files = edition_files(two_editions.lake, AUGUST)
    if os.environ.get("CARESTATS_UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name in GOLDEN_FILES:
            (GOLDEN / name).write_bytes(files[name])
    for name in GOLDEN_FILES:
        assert files[name] == (GOLDEN / name).read_bytes(), (
            f"{name} differs from tests/golden/datastore/{name}"
        )
