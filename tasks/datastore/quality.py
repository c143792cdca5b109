"""The Datastore's quality suites: the column suite generated from the dictionary, and the business rules.

An edition is validated as published text (what the CSV holds) with typed copies of its numeric columns
added, so the flow (EditionFiles.text) and `carestats validate-datastore FILE.csv` share one path.
Financial-year columns (Complaints_upheld_{fy}) are expanded to the file's own columns, and a file that
lacks a column (an older edition, a third party's copy) has that column's checks skipped and listed.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from carestats.dictionary import DataDictionary, load_dictionary
from carestats.errors import BadInputError
from tasks.datastore.across_editions import ACROSS_EDITIONS, matching
from tasks.datastore.datastore_file import as_at_from_file_name, edition_date_from_content
from tasks.datastore.rules import DATASTORE_RULES
from tasks.shared.quality.columns import column_expectations, typed_frame
from tasks.shared.quality.results import Failure, QualityReport, Skipped
from tasks.shared.quality.rules import RuleContext
from tasks.shared.quality.runner import judge
from tasks.shared.quality.suites import expectation, load_suite, suite

DATASTORE_COLUMNS = "datastore_columns"
DATASTORE_RULES_SUITE = "datastore_rules"
ACROSS_EDITIONS_SUITE = "datastore_across_editions"
DATASTORE_SUITES = (DATASTORE_COLUMNS, DATASTORE_RULES_SUITE, ACROSS_EDITIONS_SUITE)  # every edition's
NAMING_COLUMNS = ["CSNumber", "ServiceName"]  # what names a failing row in a report, beside its line
MINIMUM_SHARE_OF_COLUMNS = 0.25  # a file with fewer of the Datastore's columns is not a Datastore file
DEFAULT_ROW_COUNT_TOLERANCE = 0.05
PUBLISHED_COLUMNS = "published_columns"  # suite parameter: the edition's column names, from the dictionary


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
        expectations += column_expectations(spec, dictionary.allowed_values(spec.get("allowed")))
    return suite(
        DATASTORE_COLUMNS,
        expectations,
        "Generated from expectations/data_dictionary.yaml (datastore section) "
        "by `carestats write-suites`: do not edit.",
        generated_from="expectations/data_dictionary.yaml",
    )


def _columns_by_template(
    names: list[str], dictionary: DataDictionary
) -> tuple[dict[str, list[str]], list[str]]:
    found: dict[str, list[str]] = {}
    unknown = []
    for name in names:
        column = dictionary.column_for_name(name)
        if column is None:
            unknown.append(name)
        else:
            found.setdefault(column.template or column.name, []).append(name)
    return found, unknown


def _expected_columns(
    dictionary: DataDictionary, as_at: dt.date | None, found: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Each dictionary column (template) and the names a complete file would have for it."""
    if as_at is None:
        return {
            spec["name"]: found.get(spec["name"]) or [spec["name"]]
            for spec in dictionary.raw["datastore"]["columns"]
        }
    expected: dict[str, list[str]] = {}
    for column in dictionary.datastore_columns(as_at):
        expected.setdefault(column.template or column.name, []).append(column.name)
    return expected


def _expand(entry: dict, template: str, name: str) -> dict:
    expanded = copy.deepcopy(entry)
    expanded["kwargs"]["column"] = expanded["kwargs"]["column"].replace(template, name)
    expanded["meta"]["id"] = expanded["meta"]["id"].replace(template, name)
    expanded["meta"]["column"] = name
    return expanded


def _explained(failure: Failure, rule_entries: dict[str, tuple], frame: pd.DataFrame, context: RuleContext):
    """The failure with what its rule says it found in words (a distribution's moved shares), if it says."""
    rule, entry = rule_entries.get(failure.expectation, (None, None))
    if rule is None or rule.explain is None:
        return failure
    return dataclasses.replace(failure, detail=rule.explain(frame, entry["meta"]["params"], context))


FORMAT_CHECKS = (": integer", ": decimal", ": date dd/mm/yyyy", ": format")


def _as_file_format(failure: Failure, text: pd.DataFrame) -> Failure:
    """A format check that every non-blank value of its column fails is about the file (a copy's format),
    not its services: say so, and do not list every service as failing.
    """
    column = failure.column
    if not failure.expectation.endswith(FORMAT_CHECKS) or column not in text.columns:
        return failure
    filled = int((text[column] != "").sum())
    if filled < 2 or failure.failing_count < filled:
        return failure
    return dataclasses.replace(failure, scope="file", rows=[], lines=failure.lines[:1])


class NotADatastoreFile(BadInputError):
    """A CSV with none or few of the Datastore's columns: judging it would report nothing, truthfully."""


def require_datastore_columns(columns: list[str], subject: str, dictionary: DataDictionary) -> None:
    """Refuse a file that has too few of the Datastore's columns to be judged as one, naming what it lacks."""
    templates = [spec["name"] for spec in dictionary.raw["datastore"]["columns"]]
    found, _ = _columns_by_template(columns, dictionary)
    needed = math.ceil(len(templates) * MINIMUM_SHARE_OF_COLUMNS)
    if len(found) < needed or "CareService" not in found:
        lacking = [name for name in templates if name not in found]
        raise NotADatastoreFile(
            f"{subject or 'the file'} is not a Datastore file: it has {len(found)} of the {len(templates)} "
            f"Datastore columns (at least {needed}, CareService among them, are needed); "
            f"expected {', '.join(lacking[:12])}{' ...' if len(lacking) > 12 else ''}; "
            f"found {', '.join(columns[:12]) or 'no columns'}{' ...' if len(columns) > 12 else ''}"
        )


def _across_editions_entries(
    frame: pd.DataFrame, text: pd.DataFrame, previous: pd.DataFrame | None, context: RuleContext
) -> tuple[list[dict], list[Skipped], dict[str, pd.Series]]:
    """The checks against the previous edition that can run on this pair, what they computed, and the rest
    skipped with the reason (no previous edition; compared by CS number or by distribution; a column).
    """
    entries, skipped, columns = [], [], {}
    how = matching(previous, text) if previous is not None else None
    for entry in load_suite(ACROSS_EDITIONS_SUITE)["expectations"]:
        meta = entry["meta"]
        rule = ACROSS_EDITIONS[meta["rule"]]
        needs = rule.needs(meta["params"], context.dictionary)
        absent = [c for c in needs if c not in text.columns or c not in previous.columns] if how else []
        if how is None:
            reason = "no previous edition given: the checks across editions were not run"
        elif meta["match"] != how:
            reason = (
                "both files have CS numbers: compared service by service"
                if how == "service"
                else "not both files have CSNumber: compared by distribution instead"
            )
        elif absent:
            reason = "needs column(s) not in both editions: " + ", ".join(absent)
        else:
            reason = ""
        if reason:
            skipped.append(Skipped(meta["id"], meta["column"], reason))
            continue
        columns[entry["kwargs"]["column"]] = rule.check(frame, meta["params"], context)
        entries.append(entry)
    return entries, skipped, columns


def _entries(suite_name: str, suites: tuple[str, ...]) -> list[dict]:
    """The suite's entries if it is one of those chosen to run, else none."""
    return load_suite(suite_name)["expectations"] if suite_name in suites else []


def validate_datastore(
    text: pd.DataFrame,
    *,
    as_at: dt.date | None,
    previous: pd.DataFrame | None = None,
    previous_as_at: dt.date | None = None,
    previous_row_count: int | None = None,
    tolerance: float = DEFAULT_ROW_COUNT_TOLERANCE,
    require_all_columns: bool = True,
    subject: str = "",
    suites: tuple[str, ...] = DATASTORE_SUITES,
) -> QualityReport:
    """Run the column suite, the business rules and (given the previous edition as published text) the
    checks across editions on an edition held as published text; `suites` may choose fewer of them.

    require_all_columns: a missing column fails its (critical) presence expectation, as the flow wants;
    otherwise, as for an older or partial file, missing columns are listed once and their checks skipped.
    A file with too few of the Datastore's columns is refused (NotADatastoreFile).
    """
    dictionary = load_dictionary()
    text = text.reset_index(drop=True)
    require_datastore_columns(list(text.columns), subject, dictionary)
    if previous is not None and previous_row_count is None:
        previous_row_count = len(previous)
    found, unknown = _columns_by_template(list(text.columns), dictionary)
    expected = _expected_columns(dictionary, as_at, found)
    missing = [name for names in expected.values() for name in names if name not in text.columns]
    frame = typed_frame(text, dictionary.column_for_name)

    entries: list[dict] = []
    skipped: list[Skipped] = []
    sample_columns: dict[str, list[str]] = {}
    parameters: dict[str, Any] = {}
    for entry in _entries(DATASTORE_COLUMNS, suites):
        template = entry["meta"]["column"]
        if template is None:  # the table's columns: an edition must have exactly the dictionary's, in order
            if require_all_columns and as_at is not None:
                entries.append(entry)
                sample_columns[entry["meta"]["id"]] = []
            continue
        for name in expected.get(template, [template]):
            expanded = _expand(entry, template, name) if name != template else entry
            if name in text.columns:
                entries.append(expanded)
                sample_columns[expanded["meta"]["id"]] = [name]
            else:
                skipped.append(Skipped(expanded["meta"]["id"], name, f"column {name} is not in the file"))

    if previous_row_count is not None:
        parameters["minimum_row_count"] = math.ceil(previous_row_count * (1 - tolerance))
        parameters["maximum_row_count"] = math.floor(previous_row_count * (1 + tolerance))
    context = RuleContext(
        dictionary,
        as_at,
        typed_frame(previous, dictionary.column_for_name) if previous is not None else None,
        previous_as_at,
    )
    rule_entries: dict[str, tuple] = {}  # meta.id -> (rule, entry): to explain a failure in words
    for entry in _entries(DATASTORE_RULES_SUITE, suites):
        meta = entry["meta"]
        if entry["type"] == "expect_table_row_count_to_be_between":
            if previous_row_count is None:
                skipped.append(Skipped(meta["id"], None, "no previous edition to compare the row count with"))
            else:
                entries.append(entry)
                sample_columns[meta["id"]] = []
            continue
        rule = DATASTORE_RULES[meta["rule"]]
        needs = rule.needs(meta["params"], dictionary)
        absent = [c for c in needs if c not in text.columns]
        if absent:
            skipped.append(
                Skipped(meta["id"], meta["column"], "needs column(s) not in the file: " + ", ".join(absent))
            )
        elif rule.needs_edition_date and as_at is None:
            skipped.append(Skipped(meta["id"], meta["column"], "needs the edition date (--as-at)"))
        else:
            frame[entry["kwargs"]["column"]] = rule.check(frame, meta["params"], context)
            entries.append(entry)
            sample_columns[meta["id"]] = [meta["column"], *needs]
            rule_entries[meta["id"]] = (rule, entry)
    across, across_skipped, across_columns = (
        _across_editions_entries(frame, text, previous, context)
        if ACROSS_EDITIONS_SUITE in suites
        else ([], [], {})
    )
    for entry in across:
        meta = entry["meta"]
        frame[entry["kwargs"]["column"]] = across_columns[entry["kwargs"]["column"]]
        rule = ACROSS_EDITIONS[meta["rule"]]
        sample_columns[meta["id"]] = [meta["column"]]
        rule_entries[meta["id"]] = (rule, entry)
    entries += across
    skipped += across_skipped

    helpers = [c for c in frame.columns if c not in text.columns]  # typed copies and rule results, added last
    if as_at is not None:
        parameters[PUBLISHED_COLUMNS] = dictionary.datastore_column_names(as_at) + helpers
    failures = judge(
        frame,
        "datastore",
        entries,
        parameters=parameters,
        text=text,
        sample_columns=lambda entry: sample_columns[entry["meta"]["id"]],
        naming_columns=NAMING_COLUMNS,
    )
    failures = [_explained(failure, rule_entries, frame, context) for failure in failures]
    failures = [_as_file_format(failure, text) for failure in failures]
    if require_all_columns:
        skipped = [s for s in skipped if not s.reason.startswith("column ")]
    notes = []
    if "CSNumber" not in text.columns:
        not_run = [s.expectation for s in skipped if "CSNumber" in s.reason]
        notes.append(
            "the file has no CSNumber: its rows are named by line and service name, and these checks could "
            "not run: " + ", ".join(not_run)
        )
    return QualityReport(
        suite="datastore",
        subject=subject,
        as_at=as_at.isoformat() if as_at else None,
        rows=len(text),
        evaluated=len(entries),
        failures=failures,
        skipped=skipped,
        missing_columns=missing,
        unexpected_columns=unknown,
        notes=notes,
    )


@dataclass(frozen=True)
class EditionDate:
    """The date a file is judged at, a sentence saying where it came from, and a warning when the file's
    name says another date than its data.
    """

    as_at: dt.date | None
    how: str
    disagreement: Failure | None = None


def edition_date_of(name: str, text: pd.DataFrame, given: dt.date | None) -> EditionDate:
    """The edition date to judge a file at: given, else inferred from its dates, else from its name."""
    if given:
        return EditionDate(given, f"edition date {given}: given with --as-at")
    named = as_at_from_file_name(name)
    inferred = edition_date_from_content(text)
    if inferred is None:
        if named:
            return EditionDate(
                named, f"edition date {named} from the file name (the file has no grading dates)"
            )
        return EditionDate(None, "no edition date: rules that need it are skipped (give --as-at)")
    as_at, why = inferred
    disagreement = None
    if named and named != as_at:
        disagreement = Failure(
            "edition date: the file name agrees with the data",
            "carestats_edition_date",
            None,
            "warning",
            1,
            [],
            "A file named for another date than its data is a mislabelled copy, or an edition built "
            "from the wrong extract.",
            f"the file name says {named}, the data say {as_at} ({why})",
        )
    return EditionDate(as_at, f"edition date {as_at} inferred from the data: {why}", disagreement)
