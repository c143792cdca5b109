"""End to end: a simulated year of annual returns through the CLI, as `make demo` runs it."""

import json

import pytest

from tests.support.cli import run_carestats

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(capsys, *arguments: str) -> dict:
    result = run_carestats(capsys, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_simulated_year_is_taken_in_whole_only_the_planted_faults_quarantined(capsys, tmp_path):
    lake = str(tmp_path / "lake")
    simulated = run(
        capsys,
        "simulate",
        "--until",
        "2026-03-31",
        "--months",
        "1",
        "--scale",
        "0.25",
        "--return-year",
        "2026",
        "--lake",
        lake,
    )["annual_returns"]["2026"]
    ingested = run(capsys, "ingest-returns", "--year", "2026", "--as-at", "2026-03-31", "--lake", lake)
    counts = ingested["counts"]
    lost_in_bad_files = sum(f["submissions"] for f in simulated["bad_files"])
    planted = [row for rows in simulated["bad_rows"].values() for row in rows]

    # Every row of every readable file is received; only the planted faults are quarantined: no rule fires
    # on a genuine simulated return, and every planted fault is caught.
    copies = len(simulated["bad_rows"]["duplicate_row"])  # a row repeated in its file is one more row
    assert counts["received"] == simulated["submissions"] - lost_in_bad_files + copies
    assert counts["quarantined"] == len(planted)
    assert counts["files_unreadable"] == len(simulated["bad_files"])
    assert counts["received"] == counts["current"] + counts["superseded"] + counts["quarantined"]
    assert counts["files"] == len(simulated["files"])
    # Missing: the mandatory services that never submitted, and those whose only return was lost or refused.
    assert simulated["mandatory_never_submitted"] <= counts["missing"]
    assert counts["missing"] <= simulated["mandatory_never_submitted"] + lost_in_bad_files + len(planted)
    assert 0.05 <= counts["missing"] / ingested["compliance"]["mandatory"] <= 0.12

    status = run(capsys, "returns-status", "--year", "2026", "--as-at", "2026-03-31", "--lake", lake)
    assert status["counts"] == counts
    assert json.loads(json.dumps(status["compliance"]))["reports"].endswith("reports/annual-returns/2026")
