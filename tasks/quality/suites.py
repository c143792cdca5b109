"""Expectation suites kept as JSON under expectations/, the column-level ones generated from the dictionary.

The generated suites are plain GX 1.x suite JSON (type, kwargs, meta, severity) without GX's random ids,
written with sorted keys so that a regenerated suite is byte-identical to the committed one: a test
compares them, so the dictionary and the suites cannot drift apart. Building them needs no GX import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from carestats.dictionary import DataDictionary, load_dictionary

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
DATASTORE_COLUMNS = "datastore_columns"
DATASTORE_RULES = "datastore_rules"
REGISTER_EXTRACT = "register_extract"
GENERATED = (DATASTORE_COLUMNS, REGISTER_EXTRACT)

# A typed copy of a numeric column, added beside the published text so ranges and grade sets compare numbers.
VALUE_SUFFIX = "__value"
TYPE_PATTERNS = {"integer": r"^-?\d+$", "decimal": r"^-?\d+(?:\.\d+)?$"}
# Beside each date column: True where its text is a real dd/mm/yyyy date, False where it is not, null where blank.
# (GX's strftime expectation parses one value at a time in Python: 30 s on a 100x edition.)
IS_DATE_SUFFIX = "__is_date"
PUBLISHED_DATE_FORMAT = "%d/%m/%Y"
PUBLISHED_COLUMNS = "published_columns"  # suite parameter: the edition's column names, from the dictionary


def expectation(kind: str, kwargs: dict[str, Any], *, id: str, column: str | None, severity: str = "critical", **meta: Any) -> dict:
    """One expectation as suite JSON; meta.id names it in reports, meta.column is the data column it judges."""
    return {"type": kind, "kwargs": kwargs, "meta": {"id": id, "column": column, **meta}, "severity": severity}


def suite(name: str, expectations: list[dict], notes: str, **meta: Any) -> dict:
    return {"name": name, "notes": notes, "meta": meta, "expectations": expectations}


def datastore_columns_suite(dictionary: DataDictionary) -> dict:
    """Presence, required, unique, type, format, allowed values and ranges of every published column.

    Financial-year columns keep their {fy} template name; the runner expands them to the file's columns.
    """
    expectations: list[dict] = [
        expectation(
            "expect_table_columns_to_match_ordered_list",
            {"column_list": {"$PARAMETER": PUBLISHED_COLUMNS}},
            id="columns: the dictionary's, in its order",
            column=None,
        )
    ]
    for spec in dictionary.raw["datastore"]["columns"]:
        name, kind = spec["name"], spec["type"]
        add = expectations.append
        if spec.get("required"):
            add(expectation("expect_column_values_to_not_be_null", {"column": name}, id=f"{name}: required", column=name))
        if spec.get("unique"):
            add(expectation("expect_column_values_to_be_unique", {"column": name}, id=f"{name}: unique", column=name))
        if kind in TYPE_PATTERNS:
            add(expectation("expect_column_values_to_match_regex", {"column": name, "regex": TYPE_PATTERNS[kind]},
                            id=f"{name}: {kind}", column=name))
        if kind == "date":
            add(expectation("expect_column_values_to_be_in_set", {"column": name + IS_DATE_SUFFIX, "value_set": [True]},
                            id=f"{name}: date dd/mm/yyyy", column=name, format=PUBLISHED_DATE_FORMAT))
        if spec.get("pattern"):
            add(expectation("expect_column_values_to_match_regex", {"column": name, "regex": spec["pattern"]},
                            id=f"{name}: format", column=name))
        allowed = dictionary.allowed_values(spec.get("allowed"))
        if allowed is not None:
            numeric = kind in TYPE_PATTERNS
            add(expectation(
                "expect_column_values_to_be_in_set",
                {"column": name + VALUE_SUFFIX if numeric else name, "value_set": list(allowed)},
                id=f"{name}: allowed values", column=name,
                allowed_from=spec["allowed"] if isinstance(spec["allowed"], str) else None,
            ))
        if spec.get("minimum") is not None or spec.get("maximum") is not None:
            add(expectation(
                "expect_column_values_to_be_between",
                {"column": name + VALUE_SUFFIX, "min_value": spec.get("minimum"), "max_value": spec.get("maximum")},
                id=f"{name}: range", column=name,
            ))
    return suite(
        DATASTORE_COLUMNS, expectations,
        "Generated from expectations/data_dictionary.yaml (datastore section) by `carestats write-suites`: do not edit.",
        generated_from="expectations/data_dictionary.yaml",
    )


def register_extract_suite(dictionary: DataDictionary) -> dict:
    """Per extract table: required values present, formats, unique keys.

    The loader has already checked the header (a missing required column quarantines the extract) and
    parsed the dates, so the loaded tables always hold every dictionary column.
    """
    expectations: list[dict] = []
    for table in dictionary.extract_tables:
        spec = dictionary.extract_table(table)
        for name, column in spec.columns.items():
            ref = f"{table}.{name}"
            if column.get("required"):
                expectations.append(expectation("expect_column_values_to_not_be_null", {"column": name},
                                                id=f"{ref}: required", column=name, table=table))
            if column.get("pattern"):
                expectations.append(expectation("expect_column_values_to_match_regex", {"column": name, "regex": column["pattern"]},
                                                id=f"{ref}: format", column=name, table=table))
            if column.get("type") == "flag":
                expectations.append(expectation("expect_column_values_to_be_in_set", {"column": name, "value_set": ["Yes", "No"]},
                                                id=f"{ref}: Yes or No", column=name, table=table))
        key = list(spec.key)
        unique = (
            expectation("expect_column_values_to_be_unique", {"column": key[0]}, id=f"{table}: key {key[0]} unique",
                        column=key[0], table=table)
            if len(key) == 1
            else expectation("expect_compound_columns_to_be_unique", {"column_list": key},
                             id=f"{table}: key {' + '.join(key)} unique", column="+".join(key), table=table)
        )
        expectations.append(unique)
    return suite(
        REGISTER_EXTRACT, expectations,
        "Generated from expectations/data_dictionary.yaml (register_extract section) by `carestats write-suites`: do not edit.",
        generated_from="expectations/data_dictionary.yaml",
    )


def suite_bytes(content: dict) -> bytes:
    return (json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def generated_suites(dictionary: DataDictionary | None = None) -> dict[str, bytes]:
    dictionary = dictionary or load_dictionary()
    return {
        DATASTORE_COLUMNS: suite_bytes(datastore_columns_suite(dictionary)),
        REGISTER_EXTRACT: suite_bytes(register_extract_suite(dictionary)),
    }


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def write_generated_suites(folder: Path = EXPECTATIONS_DIR) -> dict[str, Path]:
    """Regenerate the dictionary-driven suites; the files to commit after a dictionary change."""
    written = {}
    for name, data in generated_suites().items():
        path = folder / f"{name}.json"
        path.write_bytes(data)
        written[name] = path
    return written


def load_suite(name: str) -> dict:
    return json.loads(suite_path(name).read_text(encoding="utf-8"))
