"""Prefect task for the Excel edition: the workbook, cached by what it is built from."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from prefect import get_run_logger, task

from carestats.orchestration import cache_key_from
from tasks.excel.workbook import build_workbook


@task(name="render-workbook", cache_key_fn=cache_key_from("as_at", "csv_sha256", "changes"))
def render_workbook(text: pd.DataFrame, as_at: dt.date, changes: dict[str, int] | None, csv_sha256: str) -> dict[str, bytes]:
    """datastore_<as_at>.xlsx for an edition. The workbook is a pure function of the edition's CSV (named by
    its sha256), date and change counts, and is the costliest file to make, so a rerun takes it from the cache.
    """
    result = build_workbook(text, as_at, changes)
    get_run_logger().info("Workbook: %d rows, pivots %s", result.rows, ", ".join(result.pivots_built))
    return {f"datastore_{as_at.isoformat()}.xlsx": result.data}
