"""Prefect tasks for the quality gates: validate a stage's output, show the result, stop on critical failures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.artifacts import create_table_artifact

from tasks.quality import report as render
from tasks.quality.validate import QualityReport, validate_datastore, validate_register_extract
from tasks.storage.lake import open_lake

QUALITY_PREFIX = "quality"


class QualityGateError(RuntimeError):
    """A critical expectation failed: the stage's output must not be used."""

    def __init__(self, report: QualityReport, where: str):
        self.report = report
        self.where = where
        failures = "\n  ".join(render.failure_summary(f) for f in report.critical)
        super().__init__(
            f"Quality gate '{report.suite}' blocked {report.subject or 'the output'}: "
            f"{len(report.critical)} critical expectation(s) failed:\n  {failures}\nFull report: {where}"
        )


def quality_file_names(as_at: dt.date) -> tuple[str, str]:
    return f"quality_{as_at.isoformat()}.json", f"quality_{as_at.isoformat()}.html"


def quality_files(report: QualityReport, as_at: dt.date, title: str) -> dict[str, bytes]:
    json_name, html_name = quality_file_names(as_at)
    return {json_name: render.report_json_bytes(report), html_name: render.report_html(report, title)}


def _show(report: QualityReport, key: str) -> None:
    logger = get_run_logger()
    for failure in report.warnings:
        logger.warning("Quality warning: %s", render.failure_summary(failure))
    for failure in report.critical:
        logger.error("Quality failure: %s", render.failure_summary(failure))
    create_table_artifact(
        table=render.artifact_rows(report) or [{"severity": "", "expectation": "all expectations passed", "column": "",
                                                "failing": 0, "lines": "", "sample rows": ""}],
        key=key,
        description=f"{report.suite} quality: {report.status} ({report.subject})",
    )


def _keep(lake_location: str, folder: str, files: dict[str, bytes]) -> str:
    """Write the results beside nothing they judged (the quality area); returns the report's address."""
    lake = open_lake(lake_location)
    for name, data in files.items():
        lake.write_bytes(f"{folder}/{name}", data)
    html_name = next(name for name in files if name.endswith(".html"))
    return lake.uri(f"{folder}/{html_name}")


@task(name="check-register-extract", cache_policy=NO_CACHE)
def check_register_extract(lake_location: str, tables: dict[str, pd.DataFrame], extract_date: dt.date) -> QualityReport:
    """The register extract suite; results kept under quality/register/<extract date>/; stops on a critical failure."""
    report = validate_register_extract(tables, subject=f"register extract {extract_date}")
    _show(report, "register-extract-quality")
    files = quality_files(report, extract_date, f"Register extract {extract_date}: quality report")
    where = _keep(lake_location, f"{QUALITY_PREFIX}/register/{extract_date.isoformat()}", files)
    if not report.passed:
        raise QualityGateError(report, where)
    return report


@task(name="check-edition", cache_policy=NO_CACHE)
def check_edition(
    lake_location: str, text: pd.DataFrame, as_at: dt.date, previous_row_count: int | None, tolerance: float
) -> tuple[QualityReport, dict[str, bytes]]:
    """The Datastore suites on the edition exactly as its CSV holds it.

    Passing, the results are returned to be published with the edition; failing, they are kept under
    quality/datastore/<as_at>/ (never publish/) and the run stops naming the failures.
    """
    report = validate_datastore(
        text, as_at=as_at, previous_row_count=previous_row_count, tolerance=tolerance, subject=f"Datastore edition {as_at}"
    )
    _show(report, "datastore-quality")
    files = quality_files(report, as_at, f"Datastore edition {as_at}: quality report")
    if not report.passed:
        raise QualityGateError(report, _keep(lake_location, f"{QUALITY_PREFIX}/datastore/{as_at.isoformat()}", files))
    return report, files
