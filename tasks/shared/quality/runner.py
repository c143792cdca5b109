"""Running expectation suites with GX Core on a DataFrame, and turning GX's results into a QualityReport.

Any flow gates any frame the same way: validate_frame() runs a suite from expectations/ and returns a
plain report; the gate (gate.py) then stores it, shows it and blocks or warns. Rows keep their file
order, so a failing row's line number is its position + 2 (the header is line 1). GX is imported inside
the functions that run it: it takes seconds to import, and only a gate needs it.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

import pandas as pd

from tasks.shared.quality.results import Failure, QualityReport
from tasks.shared.quality.suites import load_suite

FIRST_DATA_LINE = 2
SAMPLE_ROWS = 5
NAMED_ROWS = 1000  # failing rows named in a report (all their lines are listed)
# Below this many rows a frame is judged in one batch: GX's fixed cost per batch (about 45 ms) outweighs
# what filtering columns saves, while on a wide register of thousands of rows one batch per column wins.
ONE_BATCH_ROWS = 2000
# GX's context and its batch definition are not safe to share between threads: two validations at once
# in one process (two flow runs in threads, a threaded task runner) would mix their results up.
_GX_LOCK = threading.Lock()


@cache
def _batch_definition():
    """One ephemeral GX context per process, progress bars off; dataframes are passed per run."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # An ephemeral context announces the temporary folder of its docs site: not news to anyone.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
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


def run_expectations(
    frame: pd.DataFrame, name: str, entries: list[dict], parameters: dict | None = None
) -> dict[str, Any]:
    """GX results keyed by each entry's meta.id (GX does not keep the suite's order).

    Each expectation sees only the columns it reads: GX's pandas engine filters its whole batch for
    every metric, so on a wide edition one batch per column is several times faster than one in all. A
    frame of fewer than ONE_BATCH_ROWS rows is judged in one batch, GX's fixed cost per batch being then
    the larger; the results are the same either way.
    Everything is first judged pass or fail alone (GX's BOOLEAN_ONLY, three times faster); only the
    expectations that fail are run again in full, for their counts and the exact failing rows.
    """
    import great_expectations as gx

    groups: dict[tuple[str, ...] | None, list[dict]] = {}
    for entry in entries:
        groups.setdefault(_columns_read(entry) if len(frame) >= ONE_BATCH_ROWS else None, []).append(entry)

    def validate(batch, chosen: list[dict], result_format: str) -> dict[str, Any]:
        suite = gx.ExpectationSuite(name=name, expectations=copy.deepcopy(chosen))
        result = batch.validate(suite, result_format=result_format, expectation_parameters=parameters or {})
        return {r.expectation_config.meta["id"]: r for r in result.results}

    results: dict[str, Any] = {}
    with _GX_LOCK:
        _validate_groups(groups, frame, validate, results)
    return results


def _validate_groups(groups: dict, frame: pd.DataFrame, validate: Callable, results: dict[str, Any]) -> None:
    """Judge each group of expectations on its columns, then rerun those that failed in full."""
    for columns, chosen in groups.items():
        batch_frame = frame if columns is None else frame[list(columns)]
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": batch_frame})
        judged = validate(batch, chosen, "BOOLEAN_ONLY")
        failing = [entry for entry in chosen if not judged[entry["meta"]["id"]].success]
        if failing:
            judged.update(validate(batch, failing, "COMPLETE"))
        results.update(judged)


def named_rows(text: pd.DataFrame, positions: list[int], naming_columns: list[str]) -> list[str]:
    """'line 5253: CS2003001234 Ashgrove House' for each failing row (at most NAMED_ROWS): a blocked
    edition is investigated by service, not only by line.
    """
    shown = [c for c in naming_columns if c in text.columns]
    if not shown:
        return []
    columns = [text[c].astype(object) for c in shown]
    return [
        f"line {pos + FIRST_DATA_LINE}: " + " ".join(str(v) for v in values if isinstance(v, str) and v)
        for pos in positions[:NAMED_ROWS]
        for values in [[column.iat[pos] for column in columns]]
    ]


def failure_from(
    entry: dict,
    result: Any,
    text: pd.DataFrame | None,
    sample_columns: list[str],
    parameters: dict,
    naming_columns: list[str] = (),
) -> Failure | None:
    """A Failure for one GX result (None if it passed), with line numbers, the rows named by
    `naming_columns` and sample rows from `text`.
    """
    if result.success:
        return None
    meta, details = entry["meta"], result.result or {}
    severity = entry.get("severity", "critical")
    if result.exception_info and result.exception_info.get("raised_exception"):
        message = result.exception_info.get("exception_message") or "GX raised an exception"
        return Failure(
            meta["id"],
            entry["type"],
            meta.get("column"),
            severity,
            0,
            [],
            meta.get("reason", ""),
            f"could not be evaluated: {message}",
        )
    positions = [int(i) for i in details.get("unexpected_index_list") or []]
    lines = [p + FIRST_DATA_LINE for p in positions]
    detail, count = "", int(details.get("unexpected_count") or 0)
    if "unexpected_index_list" not in details:  # a table-level expectation
        detail, count = _table_detail(entry, details, parameters), 1
    samples, rows = [], []
    if text is not None:
        rows = named_rows(text, positions, list(naming_columns))
        shown = [c for c in dict.fromkeys([*naming_columns, *sample_columns]) if c in text.columns]
        samples = [
            {"line": line, "values": {c: str(text.iat[pos, text.columns.get_loc(c)]) for c in shown}}
            for pos, line in zip(positions[:SAMPLE_ROWS], lines[:SAMPLE_ROWS], strict=True)
        ]
    return Failure(
        meta["id"],
        entry["type"],
        meta.get("column"),
        severity,
        count,
        lines,
        meta.get("reason", ""),
        detail,
        samples,
        rows,
    )


def _table_detail(entry: dict, details: dict, parameters: dict) -> str:
    """What a table-level expectation (its columns, its row count) observed against what it expected."""
    kwargs = {
        k: parameters.get(v["$PARAMETER"]) if isinstance(v, dict) else v for k, v in entry["kwargs"].items()
    }
    if "column_list" in kwargs:
        observed = list(details.get("observed_value") or [])
        missing = [c for c in kwargs["column_list"] if c not in observed]
        unexpected = [c for c in observed if c not in kwargs["column_list"]]
        parts = [
            f"missing {', '.join(missing)}" if missing else "",
            f"not in the dictionary {', '.join(unexpected)}" if unexpected else "",
        ]
        return "; ".join(p for p in parts if p) or "the columns are not in the dictionary's order"
    bounds = [
        f"at least {kwargs['min_value']:,}" if kwargs.get("min_value") is not None else "",
        f"at most {kwargs['max_value']:,}" if kwargs.get("max_value") is not None else "",
    ]
    observed = details.get("observed_value")
    shown = f"{observed:,}" if isinstance(observed, int) else str(observed)
    return f"observed {shown}; expected {' and '.join(b for b in bounds if b)}"


def judge(
    frame: pd.DataFrame,
    name: str,
    entries: list[dict],
    *,
    parameters: dict | None = None,
    text: pd.DataFrame | None = None,
    sample_columns: Callable[[dict], list[str]] = lambda entry: [entry["meta"]["column"]],
    naming_columns: list[str] = (),
) -> list[Failure]:
    """Run `entries` on `frame` and return what failed, in the suite's order.

    `text` is the frame as the file holds it, for the sample rows a report shows (default: `frame`);
    `sample_columns` says which of its columns to show for each entry, `naming_columns` which name a row.
    """
    parameters = parameters or {}
    results = run_expectations(frame, name, entries, parameters)
    shown = frame if text is None else text
    return [
        failure
        for entry in entries
        if (
            failure := failure_from(
                entry, results[entry["meta"]["id"]], shown, sample_columns(entry), parameters, naming_columns
            )
        )
    ]


def validate_frame(
    frame: pd.DataFrame,
    suite_name: str,
    *,
    subject: str,
    applies: Callable[[dict], bool] = lambda entry: True,
) -> QualityReport:
    """Run a suite from expectations/ (the entries `applies` selects) on a frame: the gate's usual input."""
    entries = [entry for entry in load_suite(suite_name)["expectations"] if applies(entry)]
    frame = frame.reset_index(drop=True)
    return QualityReport(
        suite=suite_name,
        subject=subject,
        as_at=None,
        rows=len(frame),
        evaluated=len(entries),
        failures=judge(frame, suite_name, entries) if entries else [],
    )
