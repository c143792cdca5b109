"""The benchmark code runs end to end on a tiny scale (the real runs are `make bench`, outside the suite)."""

import json

import pytest

from benchmarks.run import main


@pytest.mark.usefixtures("prefect_harness")
def test_benchmark_runs_on_a_tiny_scale_and_reports_every_figure(tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("CARESTATS_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(
        "PREFECT_API_URL", PREFECT_API_URL.value()
    )  # the session's server, as a deployment's would be
    assert (
        main(
            [
                "--scales",
                "0.02",
                "--repetitions",
                "1",
                "--workbook-scales",
                "0.02",
                "--returns-scales",
                "",  # the returns stage has its own smoke test (test_returns_bench.py)
                "--backfill-scales",
                "0.02",
                "--backfill-months",
                "2",
                "--history-scales",
                "",  # 132 extracts: measured by make bench alone
                "--dask-scales",
                "0.02",
                "--dask-months",
                "2",  # ten years by default: two month ends on one Dask worker, then two
                "--out",
                str(tmp_path / "docs"),
            ]
        )
        == 0
    )

    results = json.loads((tmp_path / "docs" / "benchmarks.json").read_text())
    assert (
        results["machine"]["cores"] >= 1 and results["prefect_server_startup_seconds"] == 0
    )  # not started here
    publication, workbook, backfill, on_dask = results["results"]
    assert (publication["stage"], workbook["stage"]) == ("publication", "workbook")
    assert 150 <= publication["rows"] <= 300 and workbook["rows"] == publication["rows"]
    for measured in (publication, workbook):
        assert measured["carestats_seconds"] > 0 and measured["bare_seconds"] > 0
        assert measured["ratio"] == measured["carestats_seconds"] / measured["bare_seconds"]
        assert measured["carestats_peak_rss_mb"] > 50
    assert publication["validation_seconds"] > 0
    assert {
        "load_register_extract",
        "build_edition",
        "validate_edition",
        "quality_gate",
        "publish_edition",
    } <= set(publication["task_seconds"])
    assert [s["command"] for s in results["startup"]] == [
        "carestats --help",
        "carestats workbook (3 rows)",
        "carestats publish-datastore (until its flow starts)",
    ]
    assert all(s["seconds"] > s["bare_seconds"] > 0 for s in results["startup"])
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
    assert "| publication | 0.02x |" in report and "| workbook | 0.02x |" in report
    assert "Workbook at 1x" not in report  # targets are judged only at the scales measured
    assert "| `carestats --help` |" in report and "Start-up of carestats --help" in report
