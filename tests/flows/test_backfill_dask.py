"""The backfill on a Dask cluster: the editions built in Dask worker processes, which reach the session's
Prefect API through the context prefect-dask sends with each task, are the bytes the thread pool publishes."""

import datetime as dt
import os
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.task_runners import ThreadPoolTaskRunner

from carestats.settings import Settings
from flows.backfill_datastore import backfill_datastore, backfill_task_runner
from tasks.datastore.backfill import month_ends_between
from tests.support.extracts import land_monthly_extracts

pytestmark = pytest.mark.usefixtures("prefect_harness")

MONTHS = month_ends_between(dt.date(2025, 1, 31), dt.date(2025, 3, 31))
WORKERS = 2


def lake_files(lake: str) -> dict[str, bytes]:
    """Every file the backfill wrote to a lake (editions, manifests, latest.json, the catalogue, the
    quality reports), by its path in the lake; the landed extracts left out."""
    root = Path(lake)
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.relative_to(root).parts[0] == "landing"
    }


def test_the_runner_comes_from_the_settings(monkeypatch):
    from prefect_dask import DaskTaskRunner

    monkeypatch.delenv("CARESTATS_BACKFILL_DASK_ADDRESS", raising=False)
    monkeypatch.setenv("CARESTATS_BACKFILL_WORKERS", "3")
    default = backfill_task_runner()
    assert isinstance(default, ThreadPoolTaskRunner) and default._max_workers == 3

    monkeypatch.setenv("CARESTATS_BACKFILL_DASK_ADDRESS", "tcp://dask-scheduler:8786")
    remote = backfill_task_runner()
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://dask-scheduler:8786"

    local = backfill_task_runner(Settings(backfill_dask_address="local", backfill_workers=3))
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs == {
        "n_workers": 3,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
    }
    assert local.duplicate() == local  # what a flow run enters is the same cluster's description


def test_a_backfill_on_a_dask_cluster_publishes_the_bytes_the_thread_pool_publishes(tmp_path):
    from distributed import Client, LocalCluster, get_task_stream

    pooled, on_dask = str(tmp_path / "pooled"), str(tmp_path / "on_dask")
    for lake in (pooled, on_dask):
        land_monthly_extracts(lake, MONTHS)

    # Worker processes (spawned: nothing of this process is inherited) start while the thread pool runs,
    # importing the backfill and Great Expectations (seconds each) as they start rather than in their first
    # edition; the editions then reach them through the scheduler's address, as in production.
    with (
        LocalCluster(
            n_workers=0,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            preload=["flows.backfill_datastore", "great_expectations"],
        ) as cluster,
        Client(cluster) as client,
    ):
        cluster.scale(WORKERS)
        assert isinstance(backfill_datastore.task_runner, ThreadPoolTaskRunner)
        pooled_run = backfill_datastore(MONTHS[0], MONTHS[-1], pooled, workbook=False)

        client.wait_for_workers(WORKERS, timeout=120)
        workers = client.run(os.getpid)  # {worker address: its process}
        assert len(set(workers.values())) == WORKERS and os.getpid() not in workers.values()
        runner = backfill_task_runner(Settings(backfill_dask_address=cluster.scheduler_address))
        on_cluster = backfill_datastore.with_options(task_runner=runner)
        with get_task_stream(client) as stream:
            state = on_cluster(MONTHS[0], MONTHS[-1], on_dask, workbook=False, return_state=True)
        dask_run = state.result()
        # The workers kept each edition's result where this process's settings say (they came with the task):
        # the same backfill again finds every edition's inputs and code unchanged.
        rerun = on_cluster(MONTHS[0], MONTHS[-1], on_dask, workbook=False)

    # Every file published, manifests, latest.json and the catalogue included, is the same to the byte.
    assert [m["outcome"] for m in dask_run["months"]] == ["built"] * 3
    assert dask_run["months"] == pooled_run["months"]
    assert [m["outcome"] for m in rerun["months"]] == ["skipped"] * 3
    published = lake_files(pooled)
    assert any(name.endswith("manifest.json") for name in published)
    assert lake_files(on_dask) == published

    # The editions ran in the cluster's worker processes (a thread pool would leave the stream empty) ...
    edition_tasks = [t for t in stream.data if t["key"].startswith("rebuild_edition-")]
    assert len(edition_tasks) == len(MONTHS)
    assert {t["worker"] for t in edition_tasks} <= set(workers)
    # ... and reported to this session's Prefect API, whose address only this process's settings hold.
    with get_client(sync_client=True) as prefect:
        task_runs = prefect.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    assert sorted(r.name for r in task_runs if r.name.startswith("rebuild-edition-")) == [
        f"rebuild-edition-{month}" for month in MONTHS
    ]
    assert all(r.state.is_completed() for r in task_runs if r.name.startswith("rebuild-edition-"))

    # The cluster is closed: none of its worker processes is left.
    assert not [pid for pid in workers.values() if is_running(pid)]


def is_running(pid: int) -> bool:
    """Whether a process is alive (a zombie, ended but not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
