"""Running the suites with GX Core on a DataFrame and turning the results into a plain report.

The Datastore is validated as published text (what the CSV holds) with typed copies of its numeric
columns added, so the flow (EditionFiles.text) and `carestats validate-datastore FILE.csv` share one
path. Rows keep their file order, so a failing row's line number is its position + 2 (the header is
line 1). GX is imported inside the functions that run it: it takes seconds to import.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carestats.dictionary import DataDictionary, load_dictionary
from tasks.quality import suites
from tasks.quality.rules import RULES, RuleContext, verdict
from tasks.storage.csv_text import TEXT_DTYPE

FIRST_DATA_LINE = 2
SAMPLE_ROWS = 5
DEFAULT_ROW_COUNT_TOLERANCE = 0.05


@dataclass(frozen=True)
class Failure:
    expectation: str  # the suite entry's meta.id, e.g. "rule: gradespread_matches_grades" or "CSNumber: format"
    type: str  # the GX expectation type
    column: str | None
    severity: str  # critical or warning
    failing_count: int
    lines: list[int]  # lines in the file, the header being line 1; empty for table-level expectations
    reason: str = ""
    detail: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    expectation: str
    column: str | None
    reason: str


@dataclass
class QualityReport:
    suite: str
    subject: str
    as_at: str | None
    rows: int
    evaluated: int
    failures: list[Failure]
    skipped: list[Skipped] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    unexpected_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def critical(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "critical"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity != "critical"]

    @property
    def passed(self) -> bool:
        return not self.critical

    @property
    def status(self) -> str:
        if self.critical:
            return "failed"
        return "passed with warnings" if self.warnings else "passed"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, **asdict(self)}


@cache
def _batch_definition():
    """One ephemeral GX context per process, progress bars off; dataframes are passed per run."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("carestats").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def _columns_read(entry: dict) -> tuple[str, ...] | None:
    """The columns an expectation reads, or None for one about the whole table (its columns, its rows)."""
    kwargs = entry["kwargs"]
    if "column_list" in kwargs and entry["type"] != "expect_table_columns_to_match_ordered_list":
        return tuple(kwargs["column_list"])
    return (kwargs["column"],) if "column" in kwargs else None


def run_expectations(frame: pd.DataFrame, name: str, entries: list[dict], parameters: dict | None = None) -> dict[str, Any]:
    """GX results keyed by each entry's meta.id (GX does not keep the suite's order).

    Each expectation sees only the columns it reads: GX's pandas engine filters its whole batch for
    every metric, so on a wide edition one batch per column is several times faster than one in all.
    Everything is first judged pass or fail alone (GX's BOOLEAN_ONLY, three times faster); only the
    expectations that fail are run again in full, for their counts and the exact failing rows.
    """
    import great_expectations as gx

    groups: dict[tuple[str, ...] | None, list[dict]] = {}
    for entry in entries:
        groups.setdefault(_columns_read(entry), []).append(entry)

    def validate(batch, chosen: list[dict], result_format: str) -> dict[str, Any]:
        suite = gx.ExpectationSuite(name=name, expectations=copy.deepcopy(chosen))
        result = batch.validate(suite, result_format=result_format, expectation_parameters=parameters or {})
        return {r.expectation_config.meta["id"]: r for r in result.results}

    results: dict[str, Any] = {}
    for columns, chosen in groups.items():
        batch_frame = frame if columns is None else frame[list(columns)]
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": batch_frame})
        judged = validate(batch, chosen, "BOOLEAN_ONLY")
        failing = [entry for entry in chosen if not judged[entry["meta"]["id"]].success]
        if failing:
            judged.update(validate(batch, failing, "COMPLETE"))
        results.update(judged)
    return results


def _failure(entry: dict, result: Any, text: pd.DataFrame | None, sample_columns: list[str], parameters: dict) -> Failure | None:
    if result.success:
        return None
    meta, details = entry["meta"], result.result or {}
    severity = entry.get("severity", "critical")
    if result.exception_info and result.exception_info.get("raised_exception"):
        message = result.exception_info.get("exception_message") or "GX raised an exception"
        return Failure(meta["id"], entry["type"], meta.get("column"), severity, 0, [], meta.get("reason", ""), f"could not be evaluated: {message}")
    positions = [int(i) for i in details.get("unexpected_index_list") or []]
    lines = [p + FIRST_DATA_LINE for p in positions]
    detail, count = "", int(details.get("unexpected_count") or 0)
    if "unexpected_index_list" not in details:  # a table-level expectation
        detail, count = _table_detail(entry, details, parameters), 1
    samples = []
    if text is not None:
        shown = [c for c in dict.fromkeys(sample_columns) if c in text.columns]
        samples = [
            {"line": line, "values": {c: str(text.iat[pos, text.columns.get_loc(c)]) for c in shown}}
            for pos, line in zip(positions[:SAMPLE_ROWS], lines[:SAMPLE_ROWS])
        ]
    return Failure(meta["id"], entry["type"], meta.get("column"), severity, count, lines, meta.get("reason", ""), detail, samples)


def _table_detail(entry: dict, details: dict, parameters: dict) -> str:
    kwargs = {k: parameters.get(v["$PARAMETER"]) if isinstance(v, dict) else v for k, v in entry["kwargs"].items()}
    if "column_list" in kwargs:
        observed = list(details.get("observed_value") or [])
        missing = [c for c in kwargs["column_list"] if c not in observed]
        unexpected = [c for c in observed if c not in kwargs["column_list"]]
        parts = [f"missing {', '.join(missing)}" if missing else "", f"not in the dictionary {', '.join(unexpected)}" if unexpected else ""]
        return "; ".join(p for p in parts if p) or "the columns are not in the dictionary's order"
    bounds = [f"at least {kwargs['min_value']:,}" if kwargs.get("min_value") is not None else "",
              f"at most {kwargs['max_value']:,}" if kwargs.get("max_value") is not None else ""]
    observed = details.get("observed_value")
    shown = f"{observed:,}" if isinstance(observed, int) else str(observed)
    return f"observed {shown}; expected {' and '.join(b for b in bounds if b)}"


def blank_as_null(text: pd.Series) -> pd.Series:
    """'' as null over the same characters: only a validity bitmap is new, where a copy would double the text."""
    array = pa.array(text, pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    if array.offset or array.null_count:  # a slice or existing nulls: their bitmaps would not line up
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.large_string()), array)
    else:
        present = pc.not_equal(array, "")
        array = pa.Array.from_buffers(array.type, len(array), [present.buffers()[1], *array.buffers()[1:]])
    return pd.Series(pd.arrays.ArrowStringArray(array, dtype=TEXT_DTYPE), index=text.index)


def typed_frame(text: pd.DataFrame, dictionary: DataDictionary) -> pd.DataFrame:
    """Published text with blanks as nulls, a numeric copy (<column>__value) of every number column and
    a verdict (<column>__is_date) on every date column.

    Text stays in Arrow strings: a Python object per cell would cost gigabytes on a large edition.
    """
    text = text.reset_index(drop=True)
    frame = pd.DataFrame({name: blank_as_null(values) for name, values in text.items()})
    for name in text.columns:
        column = dictionary.column_for_name(name)
        if column is not None and column.type in suites.TYPE_PATTERNS:
            frame[name + suites.VALUE_SUFFIX] = pd.to_numeric(frame[name], errors="coerce").astype(float)
        if column is not None and column.type == "date":
            readable = pd.to_datetime(frame[name], format=suites.PUBLISHED_DATE_FORMAT, errors="coerce").notna()
            frame[name + suites.IS_DATE_SUFFIX] = verdict(readable, frame[name].notna())
    return frame


def _columns_by_template(names: list[str], dictionary: DataDictionary) -> tuple[dict[str, list[str]], list[str]]:
    found: dict[str, list[str]] = {}
    unknown = []
    for name in names:
        column = dictionary.column_for_name(name)
        if column is None:
            unknown.append(name)
        else:
            found.setdefault(column.template or column.name, []).append(name)
    return found, unknown


def _expected_columns(dictionary: DataDictionary, as_at: dt.date | None, found: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each dictionary column (template) and the names a complete file would have for it."""
    if as_at is None:
        return {spec["name"]: found.get(spec["name"]) or [spec["name"]] for spec in dictionary.raw["datastore"]["columns"]}
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


def validate_datastore(
    text: pd.DataFrame,
    *,
    as_at: dt.date | None,
    previous_row_count: int | None = None,
    tolerance: float = DEFAULT_ROW_COUNT_TOLERANCE,
    require_all_columns: bool = True,
    subject: str = "",
) -> QualityReport:
    """Run the column suite and the business rules on an edition held as published text.

    require_all_columns: a missing column fails its (critical) presence expectation, as the flow wants;
    otherwise, as for an older or partial file, missing columns are listed once and their checks skipped.
    """
    dictionary = load_dictionary()
    text = text.reset_index(drop=True)
    found, unknown = _columns_by_template(list(text.columns), dictionary)
    expected = _expected_columns(dictionary, as_at, found)
    missing = [name for names in expected.values() for name in names if name not in text.columns]
    frame = typed_frame(text, dictionary)

    entries: list[dict] = []
    skipped: list[Skipped] = []
    sample_columns: dict[str, list[str]] = {}
    parameters: dict[str, Any] = {}
    for entry in suites.load_suite(suites.DATASTORE_COLUMNS)["expectations"]:
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
    context = RuleContext(dictionary, as_at)
    for entry in suites.load_suite(suites.DATASTORE_RULES)["expectations"]:
        meta = entry["meta"]
        if entry["type"] == "expect_table_row_count_to_be_between":
            if previous_row_count is None:
                skipped.append(Skipped(meta["id"], None, "no previous edition to compare the row count with"))
            else:
                entries.append(entry)
                sample_columns[meta["id"]] = []
            continue
        rule = RULES[meta["rule"]]
        needs = rule.needs(meta["params"], dictionary)
        absent = [c for c in needs if c not in text.columns]
        if absent:
            skipped.append(Skipped(meta["id"], meta["column"], "needs column(s) not in the file: " + ", ".join(absent)))
        elif rule.needs_edition_date and as_at is None:
            skipped.append(Skipped(meta["id"], meta["column"], "needs the edition date (--as-at)"))
        else:
            frame[entry["kwargs"]["column"]] = rule.check(frame, meta["params"], context)
            entries.append(entry)
            sample_columns[meta["id"]] = [meta["column"], *needs]

    helpers = [c for c in frame.columns if c not in text.columns]  # typed copies and rule results, added last
    if as_at is not None:
        parameters[suites.PUBLISHED_COLUMNS] = dictionary.datastore_column_names(as_at) + helpers
    results = run_expectations(frame, "datastore", entries, parameters)
    failures = [
        failure
        for entry in entries
        if (failure := _failure(entry, results[entry["meta"]["id"]], text, sample_columns[entry["meta"]["id"]], parameters))
    ]
    if require_all_columns:
        skipped = [s for s in skipped if not s.reason.startswith("column ")]
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
    )


def validate_register_extract(tables: dict[str, pd.DataFrame], subject: str = "") -> QualityReport:
    """The register_extract suite on the loaded (typed) tables; each table is its own GX batch."""
    entries = suites.load_suite(suites.REGISTER_EXTRACT)["expectations"]
    failures: list[Failure] = []
    for table, frame in tables.items():
        own = [e for e in entries if e["meta"]["table"] == table]
        if not own:
            continue
        frame = frame.reset_index(drop=True)
        results = run_expectations(frame, f"register_extract.{table}", own)
        for entry in own:
            failure = _failure(entry, results[entry["meta"]["id"]], frame, [entry["meta"]["column"]], {})
            if failure:
                failures.append(failure)
    return QualityReport(
        suite="register_extract",
        subject=subject,
        as_at=None,
        rows=sum(len(f) for f in tables.values()),
        evaluated=sum(1 for e in entries if e["meta"]["table"] in tables),
        failures=failures,
    )

