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
                "",  # the backfill stages have their own smoke test (test_smoke_backfill.py)
                "--history-scales",
                "",
                "--dask-scales",
                "",
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
    publication, workbook = results["results"]
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
    report = (tmp_path / "docs" / "benchmarks.md").read_text()
    assert "| publication | 0.02x |" in report and "| workbook | 0.02x |" in report
    assert "Workbook at 1x" not in report  # targets are judged only at the scales measured
    assert "| `carestats --help` |" in report and "Start-up of carestats --help" in report
