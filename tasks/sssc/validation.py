"""The SSSC share's quality gate: its extract, its tables and its disclosure report, each with a suite.

- sssc_extract_columns (generated from the dictionary): exactly the extract's columns in order, so no
  column that could identify slips in; types, formats and ranges; no text that looks like a CS or SP
  number, a postcode, an e-mail address or a phone number in any text column;
- sssc_extract_rules: every combination of released attributes holds k services; figures are rounded;
- sssc_tables: no cell of fewer services than the threshold is published; no suppressed cell can be
  worked out from the published cells and totals (the linear-programming audit);
- sssc_disclosure_report: k reached, no record matched to fewer than k named services.
All four run through GX (tasks/shared/quality/runner.py); a critical failure blocks the delivery.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from carestats.dictionary import DataDictionary
from tasks.shared.quality.columns import column_expectations, typed_frame
from tasks.shared.quality.results import Failure, QualityReport
from tasks.shared.quality.rules import RuleBook, RuleContext, verdict
from tasks.shared.quality.runner import judge
from tasks.shared.quality.suites import expectation, load_suite, suite
from tasks.shared.statistical_tables import multiple_of, too_small
from tasks.sssc.attributes import RELEASED

EXTRACT_COLUMNS_SUITE = "sssc_extract_columns"
EXTRACT_RULES_SUITE = "sssc_extract_rules"
TABLES_SUITE = "sssc_tables"
REPORT_SUITE = "sssc_disclosure_report"
SSSC_RULES = RuleBook()
rule = SSSC_RULES.rule


def sssc_extract_columns_suite(dictionary: DataDictionary) -> dict:
    """The extract's columns, in order and nothing else; each column's type, format and range; and no
    identifier-like text in any text column.
    """
    columns = dictionary.sssc_share["extract_columns"]
    patterns = dictionary.sssc_share["disclosure"]["identifier_patterns"]
    entries = [
        expectation(
            "expect_table_columns_to_match_ordered_list",
            {"column_list": [spec["name"] for spec in columns]},
            id="columns: the dictionary's, in its order, nothing else",
            column=None,
            reason="A column the dictionary does not release (a CS number, a name) must never be delivered.",
        )
    ]
    for spec in columns:
        entries += column_expectations(spec, dictionary.allowed_values(spec.get("allowed")))
        if spec["type"] == "text":
            entries.append(
                expectation(
                    "expect_column_values_to_not_match_regex_list",
                    {"column": spec["name"], "regex_list": list(patterns.values())},
                    id=f"{spec['name']}: no identifier",
                    column=spec["name"],
                    reason="No " + ", ".join(patterns) + " may reach the SSSC.",
                )
            )
    return suite(
        EXTRACT_COLUMNS_SUITE,
        entries,
        "Generated from expectations/data_dictionary.yaml (sssc_share section) "
        "by `carestats write-suites`: do not edit.",
        generated_from="expectations/data_dictionary.yaml",
    )


@rule("combination_holds_k", needs=lambda p, d: RELEASED)
def combination_holds_k(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Every service's combination of released attributes is shared by at least k services."""
    services = frame.drop_duplicates("Pseudonym")
    sizes = services.groupby(RELEASED, dropna=False)["Pseudonym"].transform("size")
    by_service = pd.Series(sizes.to_numpy(), index=services["Pseudonym"].to_numpy())
    size = frame["Pseudonym"].map(by_service)
    return verdict(size >= ctx.facts["k"], pd.Series(True, index=frame.index))


@rule("rounded_to_base", needs=lambda p, d: [p["column"]])
def rounded_to_base(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A released figure is a multiple of the base the dictionary rounds it to."""
    base = ctx.dictionary.sssc_share["disclosure"]["extract_rounding"][params["column"]]
    figures = frame[params["column"]]
    return verdict(multiple_of(figures, base), pd.to_numeric(figures, errors="coerce").notna())


@rule("small_cells_hidden", needs=lambda p, d: ["Services", "Suppression"])
def small_cells_hidden(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A cell of 1 to threshold-1 services is never published."""
    return verdict(frame["Suppression"] != "", too_small(frame["Services"], ctx.facts["min_cell_services"]))


def _run(
    frame: pd.DataFrame, name: str, entries: list[dict], dictionary: DataDictionary, facts: dict
) -> list[Failure]:
    context = RuleContext(dictionary, None, facts=facts)
    frame = frame.reset_index(drop=True).copy()
    SSSC_RULES.add_verdicts(frame, entries, context)
    return judge(frame, name, entries, parameters=facts, naming_columns=["Pseudonym"])


def validate_share(
    extract_text: pd.DataFrame,
    cells: dict[str, pd.DataFrame],
    audits: dict[str, pd.DataFrame],
    report: dict,
    dictionary: DataDictionary,
    year: int,
) -> QualityReport:
    """Every suite of the share on what would be delivered: one report, critical failures block."""
    disclosure = dictionary.sssc_share["disclosure"]
    facts = {"k": report["k_required"], "min_cell_services": disclosure["min_cell_services"]}
    by_name = {c.name: c for c in dictionary.sssc_extract_columns()}
    extract = typed_frame(extract_text, by_name.get)
    on_extract = [
        *load_suite(EXTRACT_COLUMNS_SUITE)["expectations"],
        *load_suite(EXTRACT_RULES_SUITE)["expectations"],
    ]
    on_tables = load_suite(TABLES_SUITE)["expectations"]
    on_report = load_suite(REPORT_SUITE)["expectations"]
    whole = [e for e in on_extract if e["type"] == "expect_table_columns_to_match_ordered_list"]
    failures = _run(extract_text, "sssc_extract", whole, dictionary, facts)  # the columns as delivered
    failures += _run(extract, "sssc_extract", [e for e in on_extract if e not in whole], dictionary, facts)
    for name, frame in cells.items():
        on_cells = [e for e in on_tables if e["meta"]["on"] == "cells"]
        on_audit = [e for e in on_tables if e["meta"]["on"] == "audit"]
        failures += _tagged(_run(frame, TABLES_SUITE, on_cells, dictionary, facts), name)
        failures += _tagged(_run(audits[name], TABLES_SUITE, on_audit, dictionary, facts), name)
    failures += _run(pd.DataFrame([report_figures(report)]), REPORT_SUITE, on_report, dictionary, facts)
    evaluated = len(on_extract) + len(on_tables) * len(cells) + len(on_report)
    return QualityReport(
        suite="sssc_share",
        subject=f"the SSSC staffing share {year}",
        as_at=None,
        rows=len(extract_text),
        evaluated=evaluated,
        failures=failures,
    )


def report_figures(report: dict) -> dict[str, int]:
    """The disclosure report's figures the report suite judges, as one row."""
    linkage = report["linkage"]
    return {
        "K_Reached": report["k_reached"],
        "Matched_To_One_Named_Service": linkage["matched_to_one_named_service"],
        "Matched_To_Fewer_Than_K": linkage["matched_to_fewer_than_k"],
        "Recoverable_Cells": sum(t["recoverable"] for t in report["tables"].values()),
    }


def _tagged(failures: list[Failure], table: str) -> list[Failure]:
    """Failures of a table's suite, named for the table they were found in."""
    return [dataclasses.replace(f, expectation=f"{table}: {f.expectation}") for f in failures]
