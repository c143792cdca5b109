"""The quality gate every flow uses: show a report, keep it beside its subject, and block or let pass.

A domain step validates its data (any suite from expectations/, see runner.py) and hands the report to
quality_gate(): warnings are logged and the run goes on; a critical failure keeps the report where the
lake map says, fails the task with a QualityGateError naming the failures and the report, and so stops
the flow before anything is published.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from carestats.errors import QualityGateBlocked
from tasks.shared.lake import open_lake
from tasks.shared.lake_map import ReportPlace
from tasks.shared.quality import report as render
from tasks.shared.quality.results import QualityReport


class QualityGateError(QualityGateBlocked):
    """A critical expectation failed: the stage's output must not be used."""

    def __init__(self, report: QualityReport, where: str):
        self.report = report
        self.where = where
        failures = "\n  ".join(render.failure_summary(f) for f in report.critical)
        super().__init__(
            f"Quality gate '{report.suite}' blocked {report.subject or 'the output'}: "
            f"{len(report.critical)} critical expectation(s) failed; report at {where}\n  {failures}"
        )


def report_files(report: QualityReport, stem: str) -> dict[str, bytes]:
    """The report as <stem>.json and <stem>.html, titled after its subject."""
    subject = report.subject or report.suite
    title = f"{subject[:1].upper()}{subject[1:]}: quality report"
    return {
        f"{stem}.json": render.report_json_bytes(report),
        f"{stem}.html": render.report_html(report, title),
    }


def _show(report: QualityReport, where: str | None) -> None:
    """Log each failure and add a table artifact, so the Prefect UI says what the gate found, how many
    checks ran and where the report is.
    """
    logger = get_run_logger()
    for failure in report.warnings:
        logger.warning("Quality warning: %s", render.failure_summary(failure))
    for failure in report.critical:
        logger.error("Quality failure: %s", render.failure_summary(failure))
    passed = {
        "severity": "",
        "expectation": "all expectations passed",
        "column": "",
        "failing": 0,
        "lines": "",
        "rows": "",
        "sample rows": "",
        "why": "",
    }
    kept = f"report at {where}" if where else "report published with its subject"
    create_table_artifact(
        table=render.artifact_rows(report) or [passed],
        key=f"{report.suite.replace('_', '-')}-quality",
        description=(
            f"{report.suite} quality: {report.status} ({report.subject}); {report.evaluated} checks run, "
            f"{len(report.skipped)} skipped; {kept}"
        ),
    )


@task(name="quality-gate", task_run_name="quality-gate-{report.suite}", cache_policy=NO_CACHE)
def quality_gate(
    lake_location: str, report: QualityReport, place: ReportPlace, judged: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    """Show the report, keep it at `place` (always, or when blocked), and stop the flow on a critical failure.

    judged: the files the report judged (an edition's CSV), kept beside the report when it blocks, so
    that the exact bytes the gate refused can be investigated. Returns the report's files, for a
    publication that carries its own quality report.
    """
    files = report_files(report, place.stem)
    where = None
    if place.always or not report.passed:
        lake = open_lake(lake_location)
        kept = {**files, **(judged or {})} if not report.passed else files
        for name, data in kept.items():
            lake.write_bytes(f"{place.folder}/{name}", data)
        where = lake.uri(f"{place.folder}/{place.stem}.html")
    _show(report, where)
    if not report.passed:
        raise QualityGateError(report, where)
    return files
