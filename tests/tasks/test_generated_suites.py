"""The committed suites: generated ones match the dictionary byte for byte, and GX accepts every suite."""

from __future__ import annotations

import json

import pytest

from tasks.datastore.rules import DATASTORE_RULES
from tasks.generated_suites import GENERATORS, generated_suites
from tasks.shared.quality import suites


@pytest.mark.parametrize("name", GENERATORS)
def test_committed_suite_is_what_the_dictionary_generates(name):
    assert suites.suite_path(name).read_bytes() == generated_suites()[name], (
        f"expectations/{name}.json differs from the data dictionary: run `carestats write-suites` and commit"
    )


@pytest.mark.parametrize(
    "name, count", [("datastore_columns", 60), ("datastore_rules", 20), ("datastore_across_editions", 10)]
)
def test_every_suite_loads_in_gx_with_ids_and_severities(name, count):
    import great_expectations as gx

    content = json.loads(suites.suite_path(name).read_text())
    suite = gx.ExpectationSuite(**content)
    assert len(suite.expectations) == count
    ids = [e["meta"]["id"] for e in content["expectations"]]
    assert len(set(ids)) == len(ids)
    assert {e.severity.value for e in suite.expectations} <= {"critical", "warning"}
    assert "id" not in content and all("id" not in e for e in content["expectations"])


def test_column_suite_carries_the_dictionary_formats():
    by_id = {e["meta"]["id"]: e for e in suites.load_suite("datastore_columns")["expectations"]}
    assert by_id["CSNumber: format"]["kwargs"]["regex"] == r"^CS\d{10}$"
    assert by_id["Date_Reg: format"]["kwargs"]["regex"] == r"^(?:19|20)\d{2}_(?:[1-9]|1[0-2])$"
    assert len(by_id["Council_Area_Name: allowed values"]["kwargs"]["value_set"]) == 33
    assert by_id["MinGrade: allowed values"]["kwargs"] == {
        "column": "MinGrade__value",
        "value_set": [1, 2, 3, 4, 5, 6],
    }
    assert by_id["Complaints_upheld_{fy}: range"]["kwargs"]["min_value"] == 1


def test_every_hand_written_rule_says_why():
    for entry in suites.load_suite("datastore_rules")["expectations"]:
        assert len(entry["meta"]["reason"]) > 30, entry["meta"]["id"]


def test_every_rule_the_suite_names_exists():
    named = {entry["meta"]["rule"] for entry in suites.load_suite("datastore_rules")["expectations"]}
    table_level = {"row_count_drop", "row_count_growth"}  # GX's own row-count expectation, no helper column
    assert named - table_level <= set(DATASTORE_RULES.rules)
