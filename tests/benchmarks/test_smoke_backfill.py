"""The benchmark's backfill stages run end to end on a tiny scale: a file of their own, so that the test
runner can run them beside the other benchmark stages' smoke test."""

import json

import pytest

from benchmarks.run import main


@pytest.mark.usefixtures("prefect_harness")
def test_backfill_benchmarks_run_on_a_tiny_scale_and_report_every_figure(tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("CARESTATS_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    arguments = ["--scales", "", "--returns-scales", "", "--history-scales", ""]  # 132 extracts: make bench
    arguments += ["--backfill-scales", "0.02", "--backfill-months", "2"]
    # ten years by default: two month ends on one Dask worker, then two
    arguments += ["--dask-scales", "0.02", "--dask-months", "2", "--out", str(tmp_path / "docs")]
    assert main(arguments) == 0

    results = json.loads((tmp_path / "docs" / "benchmarks.json").read_text())
    backfill, on_dask = results["results"]
    # The backfill stage: the command built both editions, then skipped both on the same inputs and code.
    assert (backfill["stage"], backfill["months"]) == ("backfill", 2)
    assert backfill["first_run_counts"] == {"built": 2, "unchanged": 0, "skipped": 0, "failed": 0}
    assert backfill["second_run_counts"] == {"built": 0, "unchanged": 0, "skipped": 2, "failed": 0}
    assert backfill["second_run_seconds_per_edition"] == backfill["second_run_seconds"] / 2
    # The Dask stage: both runs (a local cluster of one worker, then two) built both editions, the same bytes.
    assert (on_dask["stage"], on_dask["months"], on_dask["workbook"]) == ("dask_scaling", 2, False)
    assert on_dask["one_worker_counts"] == on_dask["two_workers_counts"] == backfill["first_run_counts"]
    assert on_dask["identical"] and on_dask["files"] > 0
    assert on_dask["speedup"] == on_dask["one_worker_seconds"] / on_dask["two_workers_seconds"]
    report = (tmp_path / "docs" / "benchmarks.md").read_text()
    one, two = on_dask["one_worker_seconds"], on_dask["two_workers_seconds"]
    assert "Backfill on Dask" in report and f"| 0.02x | 2 | {one:.1f} | {two:.1f} |" in report
    assert "| 0.02x | 2 |" in report and "Backfill at 1x, second run" not in report
