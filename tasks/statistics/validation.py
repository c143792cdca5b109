"""The statistics' quality gate: what would be published, judged before anything is.

- statistics_table_columns (generated from the dictionary): every figure a table shows is a whole number, a
  decimal to one place, [c] or [x]; Suppressed is blank, primary or secondary;
- statistics_tables (hand-written): no published cell holds 1 to threshold-1 services (distinct services,
  so a total over reasons or roles is held to its services, not its rows); every figure of a suppressed cell
  is [c] and of no other; staff figures are rounded; percentages lie within 0-100; the audit finds no
  suppressed cell recoverable; a cell two tables show is hidden in both or in neither; every number the
  bulletin quotes is the figure its table publishes.
Both run through GX (tasks/shared/quality/runner.py); a critical failure blocks the publication.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from carestats.dictionary import DataDictionary
from tasks.shared.cell_suppression import PUBLISHED
from tasks.shared.quality.columns import VALUE_SUFFIX
from tasks.shared.quality.results import Failure, QualityReport
from tasks.shared.quality.rules import RuleBook, RuleContext, verdict
from tasks.shared.quality.runner import judge
from tasks.shared.quality.suites import expectation, load_suite, suite
from tasks.shared.statistical_tables import NOT_APPLICABLE, SUPPRESSED, multiple_of, too_small
from tasks.statistics.bulletin import QUOTE_COLUMNS
from tasks.statistics.tables import BEHIND, StatisticsTables

TABLE_COLUMNS_SUITE = "statistics_table_columns"
TABLES_SUITE = "statistics_tables"
SYMBOLS = "|".join(s.replace("[", r"\[").replace("]", r"\]") for s in (SUPPRESSED, NOT_APPLICABLE))
FORMATS = {"integer": rf"^(?:\d+|{SYMBOLS})$", "decimal": rf"^(?:\d+\.\d|{SYMBOLS})$"}
STATISTICS_RULES = RuleBook()
rule = STATISTICS_RULES.rule


def statistics_table_columns_suite(dictionary: DataDictionary) -> dict:
    """Each figure's format as the tables publish it (a number of its type, or a symbol) and the values
    Suppressed may take; an entry applies to the tables that show its column.
    """
    entries = []
    for spec in dictionary.return_statistics["table_columns"]:
        name = spec["name"]
        if spec["type"] in FORMATS:
            entries.append(
                expectation(
                    "expect_column_values_to_match_regex",
                    {"column": name, "regex": FORMATS[spec["type"]]},
                    id=f"{name}: {spec['type']}, {SUPPRESSED} or {NOT_APPLICABLE}",
                    column=name,
                )
            )
        if spec.get("allowed") is not None:
            entries.append(
                expectation(
                    "expect_column_values_to_be_in_set",
                    {"column": name, "value_set": list(spec["allowed"])},
                    id=f"{name}: allowed values",
                    column=name,
                )
            )
    return suite(
        TABLE_COLUMNS_SUITE,
        entries,
        "Generated from expectations/data_dictionary.yaml (return_statistics section) "
        "by `carestats write-suites`: do not edit.",
        generated_from="expectations/data_dictionary.yaml",
    )


@rule("small_cells_hidden", needs=lambda p, d: [BEHIND, "Suppressed"])
def small_cells_hidden(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A cell made of 1 to threshold-1 distinct services is never published."""
    return verdict(frame["Suppressed"] != PUBLISHED, too_small(frame[BEHIND], ctx.facts["min_cell_services"]))


@rule("suppressed_shown_as_c", needs=lambda p, d: ["Suppressed"])
def suppressed_shown_as_c(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Every figure of a suppressed cell is [c], and no figure of a published one."""
    figures = [c for c in frame.columns if c in ctx.facts["figures"]]
    shown_as_c = frame[figures].eq(SUPPRESSED)
    hidden = frame["Suppressed"] != PUBLISHED
    ok = shown_as_c.all(axis=1).where(hidden, ~shown_as_c.any(axis=1))
    return verdict(ok, pd.Series(True, index=frame.index))


@rule("rounded_to_base", needs=lambda p, d: [p["column"]])
def rounded_to_base(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A published staff figure is a multiple of the base the dictionary rounds it to."""
    base = ctx.dictionary.return_statistics["disclosure"]["table_rounding"][params["column"]]
    figures = frame[params["column"]]
    return verdict(multiple_of(figures, base), pd.to_numeric(figures, errors="coerce").notna())


@rule("linked_cells_agree", needs=lambda p, d: ["Suppressed", "Linked_Suppressed"])
def linked_cells_agree(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A cell two tables show is suppressed in both or published in both."""
    ok = (frame["Suppressed"] == PUBLISHED) == (frame["Linked_Suppressed"] == PUBLISHED)
    return verdict(ok, pd.Series(True, index=frame.index))


@rule("quoted_as_published", needs=lambda p, d: ["Quoted", "Published"])
def quoted_as_published(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A number the bulletin quotes is, character for character, the cell of the table it names."""
    ok = (frame["Quoted"] == frame["Published"]).fillna(False)
    return verdict(ok, pd.Series(True, index=frame.index))


def validate_statistics(
    tables: StatisticsTables, quoted: pd.DataFrame, dictionary: DataDictionary, year: int
) -> QualityReport:
    """Both suites on exactly what would be published: every table's text, its audit, the cells tables
    share and the numbers the bulletin quotes (`quoted`: QUOTE_COLUMNS, one row per number). Critical
    failures block.
    """
    disclosure = dictionary.return_statistics["disclosure"]
    figures = [c.name for c in dictionary.statistics_table_columns() if c.name != "Suppressed"]
    facts = {"min_cell_services": disclosure["min_cell_services"], "figures": figures}
    context = RuleContext(dictionary, None, facts=facts)
    on = _entries_by_subject()
    failures: list[Failure] = []
    evaluated = 0
    for name, text in tables.text.items():
        frame = text.assign(**{BEHIND: tables.behind[name].to_numpy()})
        for figure in figures:
            if figure in frame.columns:
                frame[figure + VALUE_SUFFIX] = pd.to_numeric(frame[figure], errors="coerce").astype(float)
        entries = [e for e in on["published"] if _applies(e, frame, dictionary)]
        failures += _tagged(_run(frame, entries, context, list(text.columns[:2])), name)
        failures += _tagged(_run(tables.audits[name], on["audit"], context, ["row", "column"]), name)
        evaluated += len(entries) + len(on["audit"])
    failures += _run(tables.linked, on["linked"], context, ["Table", "Column"])
    failures += _run(quotes_beside_tables(quoted, tables.text), on["quoted"], context, QUOTE_COLUMNS[:4])
    evaluated += len(on["linked"]) + len(on["quoted"])
    return QualityReport(
        suite="return_statistics",
        subject=f"the staff vacancy statistics {year}",
        as_at=None,
        rows=sum(len(text) for text in tables.text.values()),
        evaluated=evaluated,
        failures=failures,
    )


def quotes_beside_tables(quoted: pd.DataFrame, text: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each number the bulletin quotes beside the cell it names as the table publishes it (missing when the
    table, row, column or figure is not there).
    """
    cells = {
        (name, row, column, figure): value
        for name, table in text.items()
        for row, column, *values in table.itertuples(index=False)
        for figure, value in zip(table.columns[2:], values, strict=True)
    }
    keys = zip(quoted["Table"], quoted["Row"], quoted["Column"], quoted["Figure"], strict=True)
    return quoted[QUOTE_COLUMNS].assign(Published=[cells.get(key) for key in keys]).astype(object)


def _entries_by_subject() -> dict[str, list[dict]]:
    """Every entry of both suites by what it judges: published text, audits, linked cells, quotes."""
    by_subject: dict[str, list[dict]] = {"published": [], "audit": [], "linked": [], "quoted": []}
    by_subject["published"] += load_suite(TABLE_COLUMNS_SUITE)["expectations"]
    for entry in load_suite(TABLES_SUITE)["expectations"]:
        by_subject[entry["meta"]["on"]].append(entry)
    return by_subject


def _applies(entry: dict, frame: pd.DataFrame, dictionary: DataDictionary) -> bool:
    """Whether a table shows what an entry reads (the roles table has no Percent_With_Vacancies)."""
    meta = entry["meta"]
    if "rule" in meta:
        return set(STATISTICS_RULES[meta["rule"]].needs(meta.get("params", {}), dictionary)) <= set(frame)
    return entry["kwargs"]["column"] in frame.columns


def _run(frame: pd.DataFrame, entries: list[dict], context: RuleContext, naming: list[str]) -> list[Failure]:
    if not entries:
        return []
    frame = frame.reset_index(drop=True).copy()
    STATISTICS_RULES.add_verdicts(frame, entries, context)
    return judge(frame, TABLES_SUITE, entries, parameters=context.facts, naming_columns=naming)


def _tagged(failures: list[Failure], table: str) -> list[Failure]:
    """Failures of a table, named for the table they were found in."""
    return [dataclasses.replace(f, expectation=f"{table}: {f.expectation}") for f in failures]
