"""The annual-returns benchmark runs end to end on a tiny scale, and its bare baseline rejects exactly the
rows the flow quarantines (the real runs are `make bench`, outside the suite).
"""

import json

import pytest

from benchmarks.run import main


@pytest.mark.usefixtures("prefect_harness")
def test_returns_benchmark_runs_on_a_tiny_scale_and_both_sides_reject_the_same_rows(tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("CARESTATS_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # the session's server
    out = tmp_path / "docs"
    arguments = ["--scales", "", "--workbook-scales", "", "--returns-scales", "0.02", "--repetitions", "1"]
    arguments += ["--backfill-scales", "", "--history-scales", "", "--dask-scales", ""]
    assert main([*arguments, "--out", str(out)]) == 0

    raw = [json.loads(line) for line in (out / "benchmarks-raw.jsonl").read_text().splitlines()]
    by_side = {run["implementation"]: run for run in raw}
    assert {run["stage"] for run in raw} == {"returns"} and set(by_side) == {"carestats", "bare"}
    carestats, bare = by_side["carestats"], by_side["bare"]
    assert carestats["rows"] > 100 and carestats["rejected"] > 0  # the simulator injects defects
    assert (bare["rows"], bare["rejected"], bare["accepted"]) == (
        carestats["rows"],
        carestats["rejected"],
        carestats["accepted"],
    )
    assert bare["files"] == carestats["files"] and bare["files_refused"] >= 1  # the damaged export
    assert list((tmp_path / "cache").glob("*/bare/*.parquet"))

    (returns,) = json.loads((out / "benchmarks.json").read_text())["results"]
    assert returns["stage"] == "returns" and returns["carestats_seconds"] > 0 and returns["bare_seconds"] > 0
    assert returns["carestats_rejected"] == returns["bare_rejected"]
    report = (out / "benchmarks.md").read_text()
    assert "| returns | 0.02x |" in report and "Annual returns at 1x" not in report  # judged at 1x only
