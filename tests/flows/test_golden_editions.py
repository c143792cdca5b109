"""Golden-file back-test: the hand-worked extracts must publish exactly the committed files.

A deliberate change of output is made by running with CARESTATS_UPDATE_GOLDEN=1, which rewrites the files
and fails, then reviewing the diff of tests/golden/ like code and rerunning without it.
"""

import os
from pathlib import Path

import pytest

from tests.support.extracts import AUGUST, edition_files
from tests.support.golden import REWRITTEN, compare_or_update

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "datastore"
GOLDEN_FILES = ["datastore_2025-08-31.csv", "changes_2025-08-31.csv", "definitions_2025-08-31.csv"]


def test_august_2025_edition_matches_the_golden_files(two_editions):
    compare_or_update(edition_files(two_editions.lake, AUGUST), GOLDEN, GOLDEN_FILES, os.environ)


PUBLISHED = {"a.csv": b"new,bytes\r\n", "b.csv": b"same\r\n"}


@pytest.fixture
def golden(tmp_path):
    """A golden folder holding an older a.csv and the current b.csv."""
    (tmp_path / "a.csv").write_bytes(b"old,bytes\r\n")
    (tmp_path / "b.csv").write_bytes(b"same\r\n")
    return tmp_path


def test_a_difference_fails_naming_the_file_and_rewrites_nothing(golden):
    with pytest.raises(AssertionError, match="a.csv differs from"):
        compare_or_update(PUBLISHED, golden, ["a.csv", "b.csv"], {})
    assert (golden / "a.csv").read_bytes() == b"old,bytes\r\n"
    compare_or_update(PUBLISHED, golden, ["b.csv"], {})


def test_update_mode_rewrites_the_files_and_still_fails(golden):
    with pytest.raises(AssertionError, match=REWRITTEN):
        compare_or_update(PUBLISHED, golden, ["a.csv", "b.csv"], {"CARESTATS_UPDATE_GOLDEN": "1"})
    assert {name: (golden / name).read_bytes() for name in PUBLISHED} == PUBLISHED
    compare_or_update(PUBLISHED, golden, ["a.csv", "b.csv"], {})  # the rerun without it passes


def test_update_mode_is_refused_in_ci_and_rewrites_nothing(golden):
    with pytest.raises(AssertionError, match="CARESTATS_UPDATE_GOLDEN is refused in CI"):
        compare_or_update(PUBLISHED, golden, ["a.csv"], {"CARESTATS_UPDATE_GOLDEN": "1", "CI": "true"})
    assert (golden / "a.csv").read_bytes() == b"old,bytes\r\n"
