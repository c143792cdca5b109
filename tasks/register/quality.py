"""The register extract's quality suite: generated from the dictionary's register_extract
section, run per table.

The loader has already checked each header (a missing required column quarantines the extract) and
typed every value, so the suite judges what loading cannot: required values, formats and unique keys.
"""

from __future__ import annotations

import pandas as pd

from carestats.dictionary import DataDictionary
from tasks.shared.quality.results import QualityReport
from tasks.shared.quality.runner import validate_frame
from tasks.shared.quality.suites import expectation, suite

REGISTER_EXTRACT = "register_extract"


def register_extract_suite(dictionary: DataDictionary) -> dict:
    """Per extract table: required values present, formats, Yes/No flags and unique keys.

    The loader has already checked the header (a missing required column quarantines the extract) and
    parsed the dates, so the loaded tables always hold every dictionary column.
    """
    expectations: list[dict] = []
    for table in dictionary.extract_tables:
        spec = dictionary.extract_table(table)
        for name, column in spec.columns.items():
            ref = f"{table}.{name}"
            if column.get("required"):
                expectations.append(
                    expectation(
                        "expect_column_values_to_not_be_null",
                        {"column": name},
                        id=f"{ref}: required",
                        column=name,
                        table=table,
                    )
                )
            if column.get("pattern"):
                expectations.append(
                    expectation(
                        "expect_column_values_to_match_regex",
                        {"column": name, "regex": column["pattern"]},
                        id=f"{ref}: format",
                        column=name,
                        table=table,
                    )
                )
            if column.get("type") == "flag":
                expectations.append(
                    expectation(
                        "expect_column_values_to_be_in_set",
                        {"column": name, "value_set": ["Yes", "No"]},
                        id=f"{ref}: Yes or No",
                        column=name,
                        table=table,
                    )
                )
        key = list(spec.key)
        unique = (
            expectation(
                "expect_column_values_to_be_unique",
                {"column": key[0]},
                id=f"{table}: key {key[0]} unique",
                column=key[0],
                table=table,
            )
            if len(key) == 1
            else expectation(
                "expect_compound_columns_to_be_unique",
                {"column_list": key},
                id=f"{table}: key {' + '.join(key)} unique",
                column="+".join(key),
                table=table,
            )
        )
        expectations.append(unique)
    return suite(
        REGISTER_EXTRACT,
        expectations,
        "Generated from expectations/data_dictionary.yaml (register_extract section) "
        "by `carestats write-suites`: do not edit.",
        generated_from="expectations/data_dictionary.yaml",
    )


def validate_register_extract(tables: dict[str, pd.DataFrame], subject: str = "") -> QualityReport:
    """The register_extract suite on the loaded (typed) tables; each table is its own GX batch."""
    reports = [
        validate_frame(
            frame,
            REGISTER_EXTRACT,
            subject=subject,
            applies=lambda entry, table=table: entry["meta"]["table"] == table,
        )
        for table, frame in tables.items()
    ]
    return QualityReport(
        suite=REGISTER_EXTRACT,
        subject=subject,
        as_at=None,
        rows=sum(report.rows for report in reports),
        evaluated=sum(report.evaluated for report in reports),
        failures=[failure for report in reports for failure in report.failures],
    )
