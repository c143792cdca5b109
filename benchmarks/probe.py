"""One measurement in a fresh process, so that its peak memory is its own.

    python -m benchmarks.probe STAGE IMPLEMENTATION WORKDIR AS_AT

prints one JSON line: seconds (the stage alone, imports excluded), peak_rss_mb, rows, and for the
carestats publication the Prefect start-up seconds measured on their own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (ru_maxrss is in KiB): why each probe has its own process."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


READ_BACK_ATTEMPTS, READ_BACK_PAUSE = 50, 0.2  # up to 10 s for the server to record the runs


def task_seconds(flow_run_id) -> dict[str, float]:
    """Seconds each task of a flow run took, by the task's function name, read back from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    # Task runs reach the server as events, after the flow has returned: read them back once all are final
    # (until then a run's total_run_time is still 0).
    with get_client(sync_client=True) as client:
        for _ in range(READ_BACK_ATTEMPTS):
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            if runs and all(run.state is not None and run.state.is_final() for run in runs):
                break
            time.sleep(READ_BACK_PAUSE)
    seconds: dict[str, float] = {}
    for run in runs:
        name = run.task_key.rsplit("-", 1)[0]  # the function's name: run names carry the edition date
        seconds[name] = seconds.get(name, 0.0) + run.total_run_time.total_seconds()
    return seconds


def publication_carestats(work: Path, as_at: dt.date) -> dict:
    """The publication flow without the workbook; the quality checks' share is reported as validation."""
    started = time.perf_counter()
    import great_expectations  # noqa: F401  (imported by the quality checks: a start-up cost, like Prefect's)
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.publish_datastore import publish_monthly_datastore
    from tasks.shared.lake_map import DatastoreEdition

    imports = time.perf_counter() - started

    @flow(name="benchmark-warm-up")
    def warm_up() -> None:
        """Starts the embedded Prefect server, so its cost is reported on its own."""

    started = time.perf_counter()
    warm_up()
    startup = time.perf_counter() - started
    shutil.rmtree(work / "lake" / DatastoreEdition(as_at).folder, ignore_errors=True)
    # The flow heartbeat (on in deployments, where it tells a crashed run from a slow one) joins its thread
    # for about a second when a run ends, whatever the run did: off here, as in the test harness.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        started = time.perf_counter()
        state = publish_monthly_datastore(
            as_at=as_at, lake=str(work / "lake"), workbook=False, return_state=True
        )
        seconds = time.perf_counter() - started
    summary = state.result()
    tasks = task_seconds(state.state_details.flow_run_id)
    validation = sum(v for k, v in tasks.items() if k.startswith("validate_") or k == "quality_gate")
    return {
        "seconds": seconds - validation,
        "validation_seconds": validation,
        "rows": summary["rows"],
        "prefect_startup_seconds": startup,
        "import_seconds": imports,
        "tasks": tasks,
    }


def publication_bare(work: Path, as_at: dt.date) -> dict:
    """The bare baseline publishing the edition, from the extract and previous CSV carestats would use."""
    from benchmarks.bare import publish_edition
    from tasks.register.extract import choose_extract
    from tasks.shared.lake import dated_folders

    landing = work / "lake" / "landing" / "register"
    extract = choose_extract(dated_folders([p.name for p in landing.iterdir()]), as_at)
    previous = sorted((work / "lake" / "publish" / "datastore").glob("*/datastore_*.csv"))
    previous = [p for p in previous if p.parent.name < as_at.isoformat()]
    out = work / "bare"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    started = time.perf_counter()
    rows = publish_edition(landing / extract.isoformat(), as_at, previous[-1] if previous else None, out)
    return {"seconds": time.perf_counter() - started, "rows": rows}


def _edition_text(work: Path, as_at: dt.date):
    """The published edition's CSV as text: the input both workbook probes start from."""
    from tasks.shared.lake_map import DatastoreEdition
    from tasks.shared.published_text import read_published_csv

    place = DatastoreEdition(as_at)
    path = work / "lake" / place.folder / place.csv
    return read_published_csv(path.read_bytes())


def workbook_carestats(work: Path, as_at: dt.date) -> dict:
    """The carestats workbook of the published edition; reading the edition is not timed."""
    from tasks.datastore.workbook import build_workbook

    text = _edition_text(work, as_at)
    started = time.perf_counter()
    result = build_workbook(text, as_at, {"Registered": 0, "Cancelled": 0})
    (work / "carestats.xlsx").write_bytes(result.data)
    return {"seconds": time.perf_counter() - started, "rows": result.rows}


def workbook_bare(work: Path, as_at: dt.date) -> dict:
    """openpyxl alone writing the edition's data sheet: the baseline of the workbook ratio."""
    from benchmarks.bare import write_data_sheet

    text = _edition_text(work, as_at)
    started = time.perf_counter()
    write_data_sheet(text, work / "bare.xlsx")
    return {"seconds": time.perf_counter() - started, "rows": len(text)}


def returns_carestats(work: Path, as_at: dt.date) -> dict:
    """The ingest-annual-returns flow over the year's landed exports, from a lake with nothing ingested:
    every area the flow writes for the year (received, curated, quarantine, reports) is removed first.
    """
    started = time.perf_counter()
    import great_expectations  # noqa: F401  (imported by the row checks: a start-up cost, like Prefect's)
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.ingest_annual_returns import ingest_annual_returns
    from tasks.shared.lake_map import CURATED, QUARANTINE, RECEIVED, REPORTS, AnnualReturns

    imports = time.perf_counter() - started

    @flow(name="benchmark-warm-up")
    def warm_up() -> None:
        """Starts the embedded Prefect server, so its cost is reported on its own."""

    started = time.perf_counter()
    warm_up()
    startup = time.perf_counter() - started
    from benchmarks.run import RETURN_YEAR as year

    for area in (RECEIVED, CURATED, QUARANTINE, REPORTS):
        shutil.rmtree(work / "lake" / area / AnnualReturns.AREA, ignore_errors=True)
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        started = time.perf_counter()
        state = ingest_annual_returns(
            return_year=year, lake=str(work / "lake"), as_at=as_at, return_state=True
        )
        seconds = time.perf_counter() - started
    summary = state.result()
    counts = summary["counts"]
    return {
        "seconds": seconds,
        "rows": counts["received"],
        "accepted": counts["accepted"],
        "rejected": counts["quarantined"],
        "files": counts["files"],
        "prefect_startup_seconds": startup,
        "import_seconds": imports,
        "tasks": task_seconds(state.state_details.flow_run_id),
    }


def returns_bare(work: Path, as_at: dt.date) -> dict:
    """The bare baseline over the same landed exports, checked against the latest register extract."""
    import openpyxl  # noqa: F401  (imported before the clock, as the flow's probe imports before it)
    import pyarrow.parquet  # noqa: F401

    from benchmarks.bare_returns import ingest_year
    from benchmarks.run import RETURN_YEAR as year

    lake = work / "lake"
    register = sorted(p for p in (lake / "landing" / "register").iterdir() if p.is_dir())[-1]
    out = work / "bare"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    result = ingest_year(
        lake / "landing" / "annual-returns" / str(year), register / "services.csv", year, out
    )
    return {"seconds": time.perf_counter() - started, **result}


PROBES = {
    ("publication", "carestats"): publication_carestats,
    ("publication", "bare"): publication_bare,
    ("workbook", "carestats"): workbook_carestats,
    ("workbook", "bare"): workbook_bare,
    ("returns", "carestats"): returns_carestats,
    ("returns", "bare"): returns_bare,
}


def main(argv: list[str]) -> None:
    """Command line: run the probe named by stage and implementation and print its result as one JSON line."""
    stage, implementation, work, as_at = argv
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    result = PROBES[(stage, implementation)](Path(work), dt.date.fromisoformat(as_at))
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
