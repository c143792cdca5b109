"""The monthly Datastore: every registered care service as at a month end, published as open data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from prefect import flow

from carestats.policies import return_freed_memory
from carestats.settings import get_settings, last_month_end, require_past_month_end
from tasks.annual_returns import steps as returns
from tasks.annual_returns.staff import staff_facts
from tasks.catalogue.steps import rebuild_catalogue
from tasks.datastore import steps as datastore
from tasks.datastore.quality import DEFAULT_ROW_COUNT_TOLERANCE
from tasks.register import steps as register
from tasks.register.steps import ExtractRef
from tasks.shared.lake import open_lake
from tasks.shared.lake_map import DatastoreEdition
from tasks.shared.orchestration import held_exclusively, record_parameters
from tasks.shared.publication import sha256_by_file
from tasks.shared.quality.gate import quality_gate


def edition_run_name() -> str:
    """The run's name in the Prefect UI: the edition it publishes, e.g. datastore-2025-08-31."""
    from prefect.runtime import flow_run

    return f"datastore-{flow_run.parameters.get('as_at') or last_month_end()}"


@flow(name="publish-monthly-datastore", flow_run_name=edition_run_name, log_prints=True)
def publish_monthly_datastore(
    as_at: dt.date | None = None,
    lake: str | None = None,
    row_count_tolerance: float = DEFAULT_ROW_COUNT_TOLERANCE,
    workbook: bool = True,
    revise: bool = False,
    reason: str | None = None,
) -> dict:
    """Publish (or rebuild exactly) the Datastore edition as at `as_at` (default: the last month end), then
    apply the retention setting and rebuild the catalogue page.

    Loading quarantines a bad register extract; the quality gate on the rendered edition (and against
    the previous edition) stops the run before anything is published on a critical failure.
    row_count_tolerance: the largest drop in services against the previous edition that still publishes.
    workbook: also publish the Excel edition.
    revise, reason: publish different files for a year-end snapshot (31 March) as its next revision.
    """
    as_at = require_past_month_end(as_at or last_month_end())
    record_parameters(as_at=as_at)
    lake = lake or get_settings().lake

    extract = register.find_register_extract(lake, as_at)
    summary = publish_edition(
        lake,
        as_at,
        extract,
        lambda: datastore.load_previous_edition(lake, as_at),
        row_count_tolerance=row_count_tolerance,
        workbook=workbook,
        revise=revise,
        reason=reason,
    )
    removed = datastore.apply_retention(lake, get_settings().keep_monthly_editions)
    catalogue = rebuild_catalogue(lake)
    return {**summary, "removed_by_retention": [day.isoformat() for day in removed], "catalogue": catalogue}


def publish_edition(
    lake: str,
    as_at: dt.date,
    extract: ExtractRef,
    find_previous: Callable[[], datastore.PreviousEdition | None],
    *,
    row_count_tolerance: float = DEFAULT_ROW_COUNT_TOLERANCE,
    workbook: bool = True,
    revise: bool = False,
    reason: str | None = None,
    latest: bool = True,
) -> dict:
    """One edition from its register extract, checked against the previous edition `find_previous` gives
    (the monthly run reads the published one; a backfill rebuilds it), and published: the process the
    monthly run and every edition of a backfill share. Two runs of the same edition never interleave: the
    second waits for the first (CARESTATS_EDITION_LOCK_WAIT_SECONDS), then is refused.
    """
    with held_exclusively(
        f"datastore-{as_at}", open_lake(lake).uri(), get_settings().edition_lock_wait_seconds
    ):
        place = DatastoreEdition(as_at)
        tables = register.load_register_extract(lake, extract)
        staff = returns.staff_from_returns(lake, as_at)
        edition = datastore.build_edition(tables, as_at, staff)
        del tables  # the whole register is the run's largest object, and nothing after the edition needs it
        return_freed_memory()
        # The previous edition's million rows live only as long as it takes to say what changed and to check
        # this edition against it.
        previous = find_previous()
        rendered = datastore.render_edition_files(edition, previous)
        report = datastore.validate_edition(rendered, previous, row_count_tolerance)
        del edition, previous  # from here on the edition is its published text and files
        return_freed_memory()
        report_files = quality_gate(lake, report, place.quality_report, datastore.judged_files(rendered))
        changes = rendered.change_counts if rendered.previous else None
        workbook_files = (
            datastore.render_workbook(rendered.text, as_at, changes, rendered.csv_sha256, extract.simulated)
            if workbook
            else {}
        )
        files = {**workbook_files, **report_files, **datastore.describe_edition(rendered, extract)}
        snapshot = datastore.plan_snapshot(lake, as_at, {**rendered.files, **files}, revise, reason)
        rendered = datastore.with_edition_manifest(
            rendered, extract, files, staff_facts(staff) if len(staff) else None, snapshot
        )
        outcome = datastore.publish_edition(lake, as_at, rendered.files, snapshot, latest)
        datastore.report_edition(rendered, outcome.uri, outcome.changed, extract)
        previous = rendered.previous

    return {
        "as_at": as_at.isoformat(),
        "edition": outcome.uri,
        "changed": outcome.changed,
        "year_end_snapshot": snapshot.revision.facts() if snapshot else None,
        "simulated": extract.simulated,
        "register_extract": extract.extract_date.isoformat(),
        "register_extract_age": datastore.extract_age(extract, as_at),
        "previous_edition": previous.as_at.isoformat() if previous else None,
        "rows": len(rendered.text),
        "quality": {"status": report.status, "warnings": [f.expectation for f in report.warnings]},
        "changes": rendered.change_counts,
        "files": sha256_by_file(rendered.files),
        "lake": open_lake(lake).uri(),
    }
