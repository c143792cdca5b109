"""The annual returns: take in every export of the collection window, lose nothing, know who is missing."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from carestats.collection import collection_window, latest_open_year
from carestats.settings import get_settings
from tasks.annual_returns import steps as returns
from tasks.shared.lake import open_lake
from tasks.shared.lake_map import AnnualReturns
from tasks.shared.orchestration import record_parameters


def returns_run_name() -> str:
    """The run's name in the Prefect UI: the return year and the day, e.g. returns-2026-day-2026-01-14
    while the window is open, returns-2026-close-out-2026-02-18 once it has closed."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    day = dt.date.fromisoformat(str(parameters.get("as_at") or dt.date.today()))
    return_year = int(parameters.get("return_year") or latest_open_year(day))
    stage = "close-out" if collection_window(return_year).closes < day else "day"
    return f"returns-{return_year}-{stage}-{day}"


@flow(name="ingest-annual-returns", flow_run_name=returns_run_name, log_prints=True)
def ingest_annual_returns(
    return_year: int | None = None, lake: str | None = None, as_at: dt.date | None = None
) -> dict:
    """Take in the new export files of a return year (default: the latest whose window has opened),
    rebuild its curated store,
    prove every row is accounted for, and report who must submit and has not as at `as_at` (default today).

    Run daily during the collection window and once more after it closes. A file already ingested is
    skipped, so a rerun (or a run after a crash) picks up where the last stopped.
    """
    today = dt.date.today()
    return_year = return_year or latest_open_year(today)
    as_at = as_at or today
    record_parameters(return_year=return_year, as_at=as_at)
    lake = lake or get_settings().lake
    window = collection_window(return_year)

    exports = returns.find_exports(lake, return_year)
    services, register_extract = returns.load_register_services(lake)
    received = returns.already_received(lake, return_year)
    new = [export for export in exports if not export.ingested]
    read = [returns.receive_export(lake, return_year, export) for export in new]
    outcomes = returns.judge_returns(read, services, window, today, received)
    records = [
        returns.record_export(lake, return_year, outcome, export, register_extract)
        for outcome, export in zip(outcomes, new, strict=True)
    ]
    accounting = returns.rebuild_store(lake, return_year)
    compliance = returns.report_compliance(lake, window, services, as_at)
    returns.report_run(return_year, records, accounting, window)

    return {
        "return_year": return_year,
        "as_at": as_at.isoformat(),
        "window": {"opens": window.opens.isoformat(), "closes": window.closes.isoformat()},
        "files": {"new": len(records), "already_ingested": len(exports) - len(records)},
        "register_extract": register_extract.isoformat(),
        "counts": {**accounting.as_dict(), "late": compliance["late"], "missing": compliance["missing"]},
        "compliance": compliance,
        "store": open_lake(lake).uri(AnnualReturns(return_year).store),
    }


def status_run_name() -> str:
    """The run's name in the Prefect UI, e.g. returns-status-2026-as-at-2026-02-10."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    return_year = parameters.get("return_year") or latest_open_year()
    return f"returns-status-{return_year}-as-at-{parameters.get('as_at') or dt.date.today()}"


@flow(name="annual-returns-status", flow_run_name=status_run_name, log_prints=True)
def annual_returns_status(
    return_year: int | None = None, lake: str | None = None, as_at: dt.date | None = None
) -> dict:
    """Where a return year stands as at a day (default today), from what has been ingested: rows received,
    current, superseded, quarantined and late, and the mandatory services still missing, with the
    compliance reports and reminder list rewritten for that day.
    """
    as_at = as_at or dt.date.today()
    return_year = return_year or latest_open_year()
    record_parameters(return_year=return_year, as_at=as_at)
    lake = lake or get_settings().lake
    window = collection_window(return_year)
    accounting = returns.read_accounting(lake, return_year)
    services, register_extract = returns.load_register_services(lake)
    compliance = returns.report_compliance(lake, window, services, as_at)
    return {
        "return_year": return_year,
        "as_at": as_at.isoformat(),
        "window": {"opens": window.opens.isoformat(), "closes": window.closes.isoformat()},
        "register_extract": register_extract.isoformat(),
        "counts": {**accounting, "late": compliance["late"], "missing": compliance["missing"]},
        "compliance": compliance,
    }
