"""The shared quality gate: warnings pass, a critical failure stops the flow, the report is kept as told."""

import json

import pandas as pd
import pytest

from carestats.errors import QualityGateBlocked
from tasks.shared.lake_map import ReportPlace
from tasks.shared.quality.gate import QualityGateError, quality_gate
from tasks.shared.quality.results import QualityReport
from tasks.shared.quality.runner import judge
from tasks.shared.quality.suites import expectation

pytestmark = pytest.mark.usefixtures("prefect_harness")

ENTRIES = [
    expectation(
        "expect_column_values_to_not_be_null",
        {"column": "staff"},
        id="staff: required",
        column="staff",
        reason="every return states its staff",
    ),
    expectation(
        "expect_column_values_to_be_between",
        {"column": "staff", "max_value": 500},
        id="staff: plausible",
        column="staff",
        severity="warning",
    ),
]


def report_on(frame: pd.DataFrame) -> QualityReport:
    return QualityReport(
        "returns", "annual returns 2026", None, len(frame), len(ENTRIES), judge(frame, "returns", ENTRIES)
    )


def gate_in_a_flow(lake: str, report: QualityReport, place: ReportPlace):
    from prefect import flow

    @flow
    def gated():
        return quality_gate(lake, report, place)

    return gated()


def test_warnings_pass_and_a_report_kept_always_is_written(tmp_path):
    report = report_on(pd.DataFrame({"staff": [3.0, 900.0]}))
    files = gate_in_a_flow(
        str(tmp_path), report, ReportPlace("quality/returns/2026", "quality_2026", always=True)
    )
    assert report.status == "passed with warnings" and report.warnings[0].lines == [3]
    assert set(files) == {"quality_2026.json", "quality_2026.html"}
    kept = tmp_path / "quality" / "returns" / "2026"
    assert (kept / "quality_2026.json").read_bytes() == files["quality_2026.json"]
    assert b"<title>Annual returns 2026: quality report</title>" in (kept / "quality_2026.html").read_bytes()


def test_a_report_that_travels_with_its_publication_is_not_written_when_it_passes(tmp_path):
    gate_in_a_flow(
        str(tmp_path), report_on(pd.DataFrame({"staff": [3.0]})), ReportPlace("quality/x", "q", always=False)
    )
    assert not (tmp_path / "quality").exists()


def test_a_critical_failure_blocks_naming_the_failure_and_keeps_the_report(tmp_path):
    report = report_on(pd.DataFrame({"staff": [3.0, None, 4.0]}))
    with pytest.raises(QualityGateError) as blocked:
        gate_in_a_flow(
            str(tmp_path), report, ReportPlace("quality/returns/2026", "quality_2026", always=False)
        )
    assert isinstance(blocked.value, QualityGateBlocked)
    headline = str(blocked.value).splitlines()[0]
    assert headline == (
        "Quality gate 'returns' blocked annual returns 2026: 1 critical expectation(s) failed; report at "
        f"{tmp_path / 'quality' / 'returns' / '2026' / 'quality_2026.html'}"
    )
    assert "staff: required [staff]: 1 row(s) fail; lines 3" in str(blocked.value)
    kept = json.loads((tmp_path / "quality" / "returns" / "2026" / "quality_2026.json").read_text())
    assert kept["status"] == "failed" and kept["failures"][0]["reason"] == "every return states its staff"


def test_the_ui_table_says_why_how_many_checks_ran_and_where_the_report_is(tmp_path):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    report = report_on(pd.DataFrame({"staff": [3.0, 900.0]}))

    @flow
    def gated():
        return quality_gate(str(tmp_path), report, ReportPlace("quality/returns/2026", "quality_2026", True))

    run_id = gated(return_state=True).state_details.flow_run_id
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    kept = tmp_path / "quality" / "returns" / "2026" / "quality_2026.html"
    assert artifact.description == (
        "returns quality: passed with warnings (annual returns 2026); 2 checks run, 0 skipped; "
        f"report at {kept}"
    )
    (row,) = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    assert (row["expectation"], row["failing"], row["lines"]) == ("staff: plausible", 1, "3")
    assert "why" in row
