"""Validating annual returns row by row: the column suite generated from the dictionary and the rules.

Unlike an edition, which passes or fails whole, a batch of returns is judged row by row: every row that
breaks a critical expectation is quarantined with its file, line, field, value and rule, and the others
are accepted. Both suites run through GX (tasks/shared/quality/runner.py), which locates failing rows.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from carestats.collection import CollectionWindow
from carestats.dictionary import ROLE_PLACEHOLDER, Column, DataDictionary, load_dictionary
from tasks.annual_returns.rules import (
    REGISTER_CANCELLED,
    REGISTER_CARE_SERVICE,
    REGISTER_KNOWN,
    REGISTER_REGISTERED,
    RETURN_RULES,
    SUBMITTED_ON,
)
from tasks.shared.quality.columns import DATE_FORMATS, column_expectations, typed_frame
from tasks.shared.quality.results import Failure
from tasks.shared.quality.rules import RuleContext
from tasks.shared.quality.runner import FIRST_DATA_LINE, judge
from tasks.shared.quality.suites import load_suite, suite

RETURN_COLUMNS_SUITE = "annual_return_columns"
RETURN_RULES_SUITE = "annual_return_rules"
NAMING_COLUMNS = ["Return_ID", "CSNumber"]  # what names a failing return in a report, beside its line


def annual_return_columns_suite(dictionary: DataDictionary) -> dict:
    """Required answers, types, formats, allowed values and ranges of every column of the return, the
    staffing grid expanded per job role.
    """
    expectations: list[dict] = []
    for spec in dictionary.raw["annual_return"]["columns"]:
        names = (
            [spec["name"].replace(ROLE_PLACEHOLDER, role) for role in dictionary.job_roles]
            if ROLE_PLACEHOLDER in spec["name"]
            else [spec["name"]]
        )
        for name in names:
            expectations += column_expectations(
                {**spec, "name": name}, dictionary.allowed_values(spec.get("allowed"))
            )
    return suite(
        RETURN_COLUMNS_SUITE,
        expectations,
        "Generated from expectations/data_dictionary.yaml (annual_return section) "
        "by `carestats write-suites`: do not edit.",
        generated_from="expectations/data_dictionary.yaml",
    )


def _per_role(entry: dict, roles: list[str]) -> list[dict]:
    """A rule entry marked per_role as one entry per job role ({role} filled in everywhere)."""
    if not entry["meta"].get("per_role"):
        return [entry]
    expanded = []
    for role in roles:
        one = copy.deepcopy(entry)
        one["kwargs"]["column"] = one["kwargs"]["column"].replace(ROLE_PLACEHOLDER, role)
        one["meta"]["id"] = one["meta"]["id"].replace(ROLE_PLACEHOLDER, role)
        one["meta"]["column"] = one["meta"]["column"].replace(ROLE_PLACEHOLDER, role)
        one["meta"]["params"] = {
            k: v.replace(ROLE_PLACEHOLDER, role) if isinstance(v, str) else v
            for k, v in one["meta"]["params"].items()
        }
        expanded.append(one)
    return expanded


def return_rule_entries(dictionary: DataDictionary) -> list[dict]:
    """The rules suite's entries, those marked per_role expanded for every job role."""
    roles = list(dictionary.job_roles)
    return [
        one for entry in load_suite(RETURN_RULES_SUITE)["expectations"] for one in _per_role(entry, roles)
    ]


@dataclass(frozen=True)
class RegisterFacts:
    """What the register says of every service ever registered: its type and its dates."""

    services: pd.DataFrame  # indexed by CSNumber: CareService, Date_Registered, Date_Cancelled

    @classmethod
    def from_services(cls, services: pd.DataFrame) -> RegisterFacts:
        """From the register extract's typed services table."""
        table = services[["CSNumber", "CareService", "Date_Registered", "Date_Cancelled"]]
        return cls(table.drop_duplicates("CSNumber").set_index("CSNumber"))


def columns_by_name(dictionary: DataDictionary) -> dict[str, Column]:
    """The return's columns by name (the staffing grid expanded)."""
    return {column.name: column for column in dictionary.annual_return_columns()}


def failing_rows(
    text: pd.DataFrame,
    register: RegisterFacts,
    window: CollectionWindow,
    today: dt.date,
    dictionary: DataDictionary | None = None,
) -> list[Failure]:
    """Every critical expectation of the column suite and the rules that some rows of `text` (a file's
    returns, all columns text) break, with their positions as lines (position + 2).
    """
    dictionary = dictionary or load_dictionary()
    text = text.reset_index(drop=True)
    by_name = columns_by_name(dictionary)
    frame = typed_frame(text, by_name.get)
    known = register.services.reindex(frame["CSNumber"].astype(object))
    frame[REGISTER_KNOWN] = frame["CSNumber"].isin(register.services.index).fillna(False).to_numpy()
    frame[REGISTER_CARE_SERVICE] = known["CareService"].astype(object).to_numpy()
    frame[REGISTER_REGISTERED] = pd.to_datetime(known["Date_Registered"]).to_numpy()
    frame[REGISTER_CANCELLED] = pd.to_datetime(known["Date_Cancelled"]).to_numpy()
    frame[SUBMITTED_ON] = pd.to_datetime(
        frame["Submitted_At"], format=DATE_FORMATS["datetime"], errors="coerce"
    ).dt.normalize()

    context = RuleContext(dictionary, None, facts={"window": window, "today": today})
    rules = return_rule_entries(dictionary)
    RETURN_RULES.add_verdicts(frame, rules, context)
    entries = [*load_suite(RETURN_COLUMNS_SUITE)["expectations"], *rules]
    failures = judge(
        frame,
        "annual_return",
        entries,
        text=text,
        sample_columns=lambda entry: [entry["meta"]["column"]],
        naming_columns=NAMING_COLUMNS,
    )
    return [failure for failure in failures if failure.severity == "critical"]


def positions_of(failure: Failure) -> list[int]:
    """The failing rows' positions in the judged frame (a failure names them as lines)."""
    return [line - FIRST_DATA_LINE for line in failure.lines]
