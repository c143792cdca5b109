"""Backfill: rebuild every month-end Datastore edition in a range from the register extracts in the lake.

Editions are built concurrently, each as the monthly run would publish it: by a thread pool of
CARESTATS_BACKFILL_WORKERS threads on this machine, or on a Dask cluster through prefect-dask when
CARESTATS_BACKFILL_DASK_ADDRESS is set, to a scheduler's address (tcp://dask-scheduler:8786) or to "local"
(a local cluster of CARESTATS_BACKFILL_WORKERS worker processes, one thread each), e.g.

    CARESTATS_BACKFILL_DASK_ADDRESS=local CARESTATS_BACKFILL_WORKERS=4 carestats backfill --from ... --to ...

The runner is read when this module is imported, as a deployment's flow run does (docs/kubernetes.md: a Dask
cluster on Kubernetes); `backfill_datastore.with_options(task_runner=...)` swaps it for one run.

An edition's previous edition, which its changes file and checks need, is rebuilt from the latest earlier
month's own extract rather than waiting for that month's edition, so no edition waits for another. An
edition whose inputs and code are unchanged is skipped through its cache key.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, task
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from carestats.dictionary import load_dictionary
from carestats.errors import PartlyDone
from carestats.policies import EDITION_BY_INPUTS
from carestats.settings import Settings, get_settings, last_month_end
from flows.publish_datastore import publish_edition
from tasks.annual_returns import steps as returns
from tasks.catalogue.steps import rebuild_catalogue
from tasks.datastore import backfill
from tasks.datastore import steps as datastore
from tasks.datastore.backfill import BUILT, FAILED, SKIPPED, UNCHANGED, MonthOutcome, MonthPlan
from tasks.datastore.quality import DEFAULT_ROW_COUNT_TOLERANCE
from tasks.register import steps as register
from tasks.register.steps import ExtractRef
from tasks.shared.lake import sha256_hex
from tasks.shared.published_text import csv_bytes, published_text


def backfill_run_name() -> str:
    """The run's name in the Prefect UI: the range it rebuilds, e.g. backfill-2015-03-31-to-2025-08-31."""
    from prefect.runtime import flow_run

    return f"backfill-{flow_run.parameters['start']}-to-{flow_run.parameters['end']}"


def backfill_task_runner(settings: Settings | None = None) -> TaskRunner:
    """Where a backfill's editions run, as the settings say: a thread pool of backfill_workers threads (the
    default); the Dask scheduler at backfill_dask_address; or, for "local", a local Dask cluster.
    """
    settings = settings or get_settings()
    address = settings.backfill_dask_address
    if not address:
        return ThreadPoolTaskRunner(max_workers=settings.backfill_workers)
    if address == "local":
        return local_dask_runner(settings.backfill_workers)
    from prefect_dask import DaskTaskRunner  # imported only when used: it takes seconds

    return DaskTaskRunner(address=address)


def local_dask_runner(workers: int) -> TaskRunner:
    """A Dask cluster on this machine for one backfill: `workers` worker processes of one thread each (an
    edition is pandas work that holds the GIL), started with the run and closed when it ends.
    """
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


@flow(
    name="backfill-datastore",
    flow_run_name=backfill_run_name,
    task_runner=backfill_task_runner(),
    log_prints=True,
)
def backfill_datastore(
    start: dt.date,
    end: dt.date,
    lake: str | None = None,
    workbook: bool = True,
    rebuild: bool = False,
    row_count_tolerance: float = DEFAULT_ROW_COUNT_TOLERANCE,
) -> dict:
    """Rebuild every month-end edition from `start` to `end` from the extracts in the lake, skipping those
    whose inputs and code are unchanged (all of them, with `rebuild`, are built again); then point
    latest.json at the newest edition, apply retention and rebuild the catalogue.

    A month without an extract of its own, or whose edition a quality gate blocks, fails alone and the
    rest go on; the run then ends failed, naming every failed month, after its table artifact.

    Editions run on a thread pool, or on a Dask cluster when CARESTATS_BACKFILL_DASK_ADDRESS is set (a
    scheduler's address, or "local" for a local cluster) before this module is imported.
    """
    lake = lake or get_settings().lake
    keep = get_settings().keep_monthly_editions
    months = backfill.plan_backfill(lake, start, end, keep)
    returns_key = returns.fingerprint_returns(lake)
    runs: dict[dt.date, PrefectFuture] = {}
    for month in months:
        if month.not_built:
            continue
        extract = register.find_month_extract.submit(lake, month.as_at)
        previous = (
            register.find_month_extract.submit(lake, month.previous_month) if month.previous_month else None
        )
        rebuild_this = rebuild or not month.published  # a cached result never stands in for a missing edition
        runs[month.as_at] = rebuild_edition.with_options(refresh_cache=rebuild_this).submit(
            lake, month.as_at, extract, previous, returns_key, workbook, row_count_tolerance
        )
    outcomes = [outcome_of(month, runs.get(month.as_at)) for month in months]
    newest = datastore.point_latest_edition(lake)
    removed = datastore.apply_retention(lake, keep)
    catalogue = rebuild_catalogue(lake)
    backfill.report_backfill(outcomes)

    summary = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "months": [o.row() for o in outcomes],
        "counts": backfill.outcome_counts(outcomes),
        "latest_edition": newest,
        "removed_by_retention": [day.isoformat() for day in removed],
        "catalogue": catalogue,
    }
    failed = [o for o in outcomes if o.outcome == FAILED]
    if failed:
        raise PartlyDone(
            f"backfill {start} to {end}: {len(failed)} of {len(outcomes)} editions failed "
            f"({', '.join(str(o.as_at) for o in failed)}); the rest completed\n"
            + "\n".join(f"{o.as_at}: {o.detail}" for o in failed)
        )
    return summary


@task(
    name="rebuild-edition",
    task_run_name="rebuild-edition-{as_at}",
    cache_policy=EDITION_BY_INPUTS,
    persist_result=True,
)
def rebuild_edition(
    lake: str,
    as_at: dt.date,
    extract: ExtractRef,
    previous_extract: ExtractRef | None,
    returns: str,
    workbook: bool,
    row_count_tolerance: float,
) -> dict:
    """One edition of a backfill, published as the monthly run publishes it (latest.json left for the end).

    Its previous edition is rebuilt from `previous_extract` (the latest earlier month's with an extract of
    its own), else it is the latest published before it. Cached by EDITION_BY_INPUTS: the extracts'
    checksums, the returns' store manifests (`returns`) and the code version, never the data itself.
    """

    def find_previous() -> datastore.PreviousEdition | None:
        if previous_extract is None:
            return datastore.load_previous_edition(lake, as_at)
        return rebuild_previous_edition(
            lake,
            previous_extract,
            last_month_end(previous_extract.extract_date),  # the month it is taken for
        )

    summary = publish_edition(
        lake,
        as_at,
        extract,
        find_previous,
        row_count_tolerance=row_count_tolerance,
        workbook=workbook,
        latest=False,
    )
    return {name: summary[name] for name in ("as_at", "rows", "changed", "edition", "register_extract")}


def rebuild_previous_edition(lake: str, extract: ExtractRef, as_at: dt.date) -> datastore.PreviousEdition:
    """The edition as at `as_at` as its CSV holds it, rebuilt from its own extract: exactly what its
    publication holds when that was built from the same inputs.
    """
    tables = register.load_register_extract(lake, extract)
    staff = returns.staff_from_returns(lake, as_at)
    edition = datastore.build_edition(tables, as_at, staff)
    del tables
    text = published_text(edition.frame, load_dictionary().datastore_columns(as_at))
    return datastore.PreviousEdition(as_at, text, sha256_hex(csv_bytes(text)))


def outcome_of(month: MonthPlan, run: PrefectFuture | None) -> MonthOutcome:
    """What became of a month: waited for when it was built; a cached run means its inputs were unchanged."""
    if run is None:
        return MonthOutcome(month.as_at, FAILED if month.fails else SKIPPED, detail=month.not_built or "")
    run.wait()
    state = run.state
    if not state.is_completed():
        error = run.result(raise_on_failure=False)
        return MonthOutcome(
            month.as_at, FAILED, detail=(str(error).strip() or type(error).__name__).splitlines()[0]
        )
    result = run.result()
    if state.name == "Cached":
        return MonthOutcome(
            month.as_at, SKIPPED, result["rows"], "inputs and code unchanged since it was built"
        )
    kind = BUILT if result["changed"] else UNCHANGED
    detail = f"from the register extract of {result['register_extract']}"
    return MonthOutcome(month.as_at, kind, result["rows"], detail)
