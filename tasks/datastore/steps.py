"""Prefect tasks for the Datastore: build an edition, render its files and workbook,
check it, tell the engineer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from carestats.dictionary import load_dictionary
from carestats.errors import BadInputError
from carestats.policies import WORKBOOK_BY_EDITION_CSV, retry_transient_only
from carestats.provenance import code_version
from carestats.settings import get_settings, is_year_end
from tasks.annual_returns.staff import with_staff_from_returns
from tasks.datastore import changes as changes_file
from tasks.datastore.datapackage import datapackage_descriptor
from tasks.datastore.derive import assemble_edition
from tasks.datastore.quality import validate_datastore
from tasks.datastore.workbook import build_workbook
from tasks.register.extract import as_text
from tasks.register.point_in_time import registered_on
from tasks.register.steps import ExtractRef
from tasks.shared.disclosure import apply_disclosure
from tasks.shared.lake import Lake, PublishOutcome, dated_folders, open_lake, sha256_hex
from tasks.shared.lake_map import MANIFEST, DatastoreEdition
from tasks.shared.publication import (
    RevisionPlan,
    keep_replaced_revision,
    plan_revision,
    point_latest,
    publish_into,
    sha256_by_file,
    with_manifest,
)
from tasks.shared.published_text import csv_bytes, definitions_frame, published_text, read_published_csv
from tasks.shared.quality.results import QualityReport


@dataclass(frozen=True)
class Edition:
    """An edition as the flow builds it: typed, disclosure rules applied, in the dictionary's column order."""

    as_at: dt.date
    frame: pd.DataFrame
    withheld_cells: dict[str, int]


@dataclass(frozen=True)
class PreviousEdition:
    """The latest edition published before this one, as its CSV holds it:
    what the changes are counted from.
    """

    as_at: dt.date
    text: pd.DataFrame
    csv_sha256: str


@dataclass(frozen=True)
class PreviousEditionRef:
    """What the run keeps of the previous edition once the changes are known: not its million rows."""

    as_at: dt.date
    csv_sha256: str
    rows: int


@dataclass(frozen=True)
class EditionFiles:
    """An edition as published text and files, with what changed since the previous one."""

    as_at: dt.date
    text: pd.DataFrame  # the edition exactly as the CSV holds it
    files: dict[str, bytes]
    changes: pd.DataFrame
    change_counts: dict[str, int]
    previous: PreviousEditionRef | None  # the edition the changes are counted from
    withheld_cells: dict[str, int]  # cells the disclosure rules blanked, per column

    @property
    def csv_sha256(self) -> str:
        """The sha256 of the edition's CSV: what names the edition's content
        (and its workbook's cache key).
        """
        return sha256_hex(self.files[DatastoreEdition(self.as_at).csv])


@task(name="build-edition", task_run_name="build-edition-{as_at}", cache_policy=NO_CACHE)
def build_edition(
    tables: dict[str, pd.DataFrame], as_at: dt.date, staff: pd.DataFrame | None = None
) -> Edition:
    """Services registered on the edition date, with derived columns and disclosure rules applied.

    staff: per CSNumber, the Total_WTE of its latest annual return accepted by the edition date; it is
    the service's NumberStaff, and a service without one keeps the register's figure.
    """
    dictionary = load_dictionary()
    services = with_staff_from_returns(as_text(registered_on(tables["services"], as_at)), staff)
    frame = assemble_edition(services, tables, as_at, dictionary)
    published, withheld = apply_disclosure(frame, dictionary.datastore_columns(as_at), dictionary)
    get_run_logger().info("Edition %s: %d services registered", as_at, len(published))
    return Edition(as_at, published, withheld)


@task(
    name="load-previous-edition",
    task_run_name="load-edition-before-{as_at}",
    retries=3,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def load_previous_edition(lake_location: str, as_at: dt.date) -> PreviousEdition | None:
    """The latest published edition before this one, as published text, to say what changed."""
    lake = open_lake(lake_location)
    earlier = [day for day in dated_folders(lake.list_folders(DatastoreEdition.AREA)) if day < as_at]
    for previous in reversed(earlier):
        place = DatastoreEdition(previous)
        key = f"{place.folder}/{place.csv}"
        if lake.exists(key):
            data = lake.read_bytes(key)
            return PreviousEdition(previous, read_published_csv(data, key), sha256_hex(data))
    return None


@task(name="render-edition-files", task_run_name="render-edition-{edition.as_at}", cache_policy=NO_CACHE)
def render_edition_files(edition: Edition, previous: PreviousEdition | None) -> EditionFiles:
    """The edition's CSV, definitions and changes files (the workbook, report and manifest come later)."""
    columns = load_dictionary().datastore_columns(edition.as_at)
    text = published_text(edition.frame, columns)
    changes = changes_file.changes_between(
        previous.text if previous else None, text, previous.as_at if previous else None
    )
    place = DatastoreEdition(edition.as_at)
    files = {
        place.csv: csv_bytes(text),
        place.definitions: csv_bytes(definitions_frame(columns)),
        place.changes: csv_bytes(changes),
    }
    reference = (
        PreviousEditionRef(previous.as_at, previous.csv_sha256, len(previous.text)) if previous else None
    )
    counts = changes_file.change_counts(changes)
    return EditionFiles(edition.as_at, text, files, changes, counts, reference, edition.withheld_cells)


@task(name="render-workbook", task_run_name="render-workbook-{as_at}", cache_policy=WORKBOOK_BY_EDITION_CSV)
def render_workbook(
    text: pd.DataFrame, as_at: dt.date, changes: dict[str, int] | None, csv_sha256: str, simulated: bool
) -> dict[str, bytes]:
    """datastore_<as_at>.xlsx for an edition, cached by the edition CSV's sha256
    (see WORKBOOK_BY_EDITION_CSV).

    The workbook is the costliest file to make and a pure function of the CSV, its date, its change
    counts and whether the data is simulated, so a rerun of an unchanged edition takes it from Prefect's
    result storage.
    """
    result = build_workbook(text, as_at, changes, simulated=simulated)
    get_run_logger().info("Workbook: %d rows, pivots %s", result.rows, ", ".join(result.pivots_built))
    return {DatastoreEdition(as_at).workbook: result.data}


@task(name="validate-edition", task_run_name="validate-edition-{rendered.as_at}", cache_policy=NO_CACHE)
def validate_edition(
    rendered: EditionFiles, previous: PreviousEdition | None, tolerance: float
) -> QualityReport:
    """The Datastore suites on the edition exactly as its CSV holds it, and the checks across editions
    against the previous published edition, for the quality gate to judge.
    """
    report = validate_datastore(
        rendered.text,
        as_at=rendered.as_at,
        previous=previous.text if previous else None,
        previous_as_at=previous.as_at if previous else None,
        tolerance=tolerance,
        subject=f"Datastore edition {rendered.as_at}",
    )
    csv = DatastoreEdition(rendered.as_at).csv
    report.notes.append(
        f"judged {csv} (sha256 {rendered.csv_sha256}), kept beside this report if the gate blocks it; "
        + (f"compared with the edition of {previous.as_at}" if previous else "no previous edition")
    )
    return report


def judged_files(rendered: EditionFiles) -> dict[str, bytes]:
    """The file the edition's gate judged (its CSV), to keep beside the report of a blocked edition."""
    csv = DatastoreEdition(rendered.as_at).csv
    return {csv: rendered.files[csv]}


def describe_edition(rendered: EditionFiles, extract: ExtractRef) -> dict[str, bytes]:
    """The edition's Frictionless data package descriptor (datapackage.json): its CSV files with their
    types, from the data dictionary, so anyone can load them typed; it says so when the data is simulated.
    """
    descriptor = datapackage_descriptor(rendered.as_at, rendered.files, simulated=extract.simulated)
    return {DatastoreEdition.DATAPACKAGE: descriptor}


def extract_age(extract: ExtractRef, as_at: dt.date) -> dict:
    """How long after the edition date its extract was taken, and whether that is too long for the
    edition to be what was known then (late_extract_days): a rebuilt old edition says so.
    """
    days = (extract.extract_date - as_at).days
    late = days > get_settings().late_extract_days
    return {"days_after_edition": days, "taken_late": late}


@task(name="plan-snapshot", task_run_name="plan-snapshot-{as_at}", cache_policy=NO_CACHE)
def plan_snapshot(
    lake_location: str,
    as_at: dt.date,
    files: dict[str, bytes],
    revise: bool = False,
    reason: str | None = None,
) -> RevisionPlan | None:
    """For a year-end edition (31 March), what publishing these files will do: its first revision, nothing
    (the snapshot already holds them), or a new revision when `revise` with a reason; different files
    without `revise` are refused, naming them. None for a monthly edition, which is simply rebuilt.
    """
    if not is_year_end(as_at):
        if revise or reason:
            raise BadInputError(
                f"{as_at} is a monthly edition: only year-end snapshots (31 March) have revisions, and a "
                "monthly edition is rebuilt in place by publishing it again"
            )
        return None
    place = DatastoreEdition(as_at)
    plan = plan_revision(open_lake(lake_location), place.folder, files, place.revision, revise, reason)
    logger = get_run_logger()
    if plan.unchanged:
        logger.info(
            "Year-end snapshot %s: revision %d already holds these files", as_at, plan.revision.number
        )
    else:
        logger.info("Year-end snapshot %s: publishing revision %d", as_at, plan.revision.number)
    return plan


def with_edition_manifest(
    rendered: EditionFiles,
    extract: ExtractRef,
    extra: dict[str, bytes],
    staff_source: dict | None = None,
    snapshot: RevisionPlan | None = None,
) -> EditionFiles:
    """The edition's files plus `extra` (workbook, quality report, data package) and, computed last,
    the manifest over them all; staff_source says which annual returns NumberStaff came from, and
    `snapshot` which revision of a year-end snapshot this is (the live manifest is kept as it is when the
    snapshot already holds these files).
    """
    files = {**rendered.files, **extra}
    if snapshot is not None and snapshot.unchanged:
        return dataclasses.replace(rendered, files={**files, MANIFEST: snapshot.live_manifest})
    previous = rendered.previous
    facts = {
        "as_at": rendered.as_at.isoformat(),
        "year_end_snapshot": is_year_end(rendered.as_at),
        "simulated": extract.simulated,
        "register_extract": {
            "extract_date": extract.extract_date.isoformat(),
            "files_sha256": dict(extract.files_sha256),
            **extract_age(extract, rendered.as_at),
        },
        "code_version": code_version(),
        "previous_edition": {"as_at": previous.as_at.isoformat(), "csv_sha256": previous.csv_sha256}
        if previous
        else None,
        "row_count": len(rendered.text),
        "rows_by_care_service": rows_by_care_service(rendered.text),
        "changes_since_previous_edition": rendered.change_counts,
        "withheld_cells": rendered.withheld_cells,
    }
    if staff_source:
        facts["number_staff_from_annual_returns"] = staff_source
    if snapshot is not None:
        facts["revision"] = snapshot.revision.facts()
    return dataclasses.replace(rendered, files=with_manifest(files, facts))


@task(
    name="publish-edition",
    task_run_name="publish-edition-{as_at}",
    retries=3,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def publish_edition(
    lake_location: str,
    as_at: dt.date,
    files: dict[str, bytes],
    snapshot: RevisionPlan | None = None,
    latest: bool = True,
) -> PublishOutcome:
    """Swap the edition's folder in whole (a year-end snapshot's replaced revision first kept whole in its
    own folder), then point latest.json at it unless `latest` is False (a backfill points it once, at the
    end).

    Retried on transient storage errors only: keeping the replaced revision and the swap are both all or
    nothing and change nothing when repeated.
    """
    lake, place = open_lake(lake_location), DatastoreEdition(as_at)
    if snapshot is not None and not snapshot.unchanged and snapshot.revision.revises is not None:
        keep_replaced_revision(lake, place.folder, snapshot.revision)
        get_run_logger().info(
            "Revision %d kept at %s", snapshot.revision.number - 1, lake.uri(place.revisions)
        )
    return publish_into(lake, place.AREA, place.stamp, files, get_run_logger(), latest=latest)


@task(name="point-latest-edition", cache_policy=NO_CACHE)
def point_latest_edition(lake_location: str) -> str | None:
    """Point latest.json at the newest complete edition (a backfill publishes many at once and points it
    once, at the end); it never moves back from a later edition. The newest edition's date, if any.
    """
    lake = open_lake(lake_location)
    complete = complete_editions(lake)
    if not complete:
        return None
    place = DatastoreEdition(complete[-1])
    manifest = lake.read_bytes(f"{place.folder}/{MANIFEST}")
    point_latest(lake, place.AREA, place.stamp, sha256_hex(manifest))
    return place.stamp


def complete_editions(lake: Lake) -> list[dt.date]:
    """The dates of the published editions whose folder holds its manifest, oldest first: a folder without
    one is not (or no longer, or not yet) an edition for readers.
    """
    return [
        day
        for day in dated_folders(lake.list_folders(DatastoreEdition.AREA))
        if lake.exists(f"{DatastoreEdition(day).folder}/{MANIFEST}")
    ]


def editions_beyond_retention(published: list[dt.date], keep: int | None) -> list[dt.date]:
    """The editions a retention of `keep` removes: all but the `keep` newest, year-end snapshots never."""
    if keep is None:
        return []
    kept = set(sorted(published)[-keep:])
    return [day for day in sorted(published) if day not in kept and not is_year_end(day)]


@task(name="apply-retention", task_run_name="apply-retention-keep-{keep}", cache_policy=NO_CACHE)
def apply_retention(lake_location: str, keep: int | None) -> list[dt.date]:
    """Remove the monthly editions the retention setting no longer keeps (CARESTATS_KEEP_MONTHLY_EDITIONS),
    each removed whole for readers (see Lake.delete_folder); year-end snapshots always stay.
    """
    lake = open_lake(lake_location)
    removed = editions_beyond_retention(dated_folders(lake.list_folders(DatastoreEdition.AREA)), keep)
    for day in removed:
        lake.delete_folder(DatastoreEdition(day).folder)
    if removed:
        get_run_logger().info(
            "Retention keeps the %d newest editions and every year-end snapshot: removed %s",
            keep,
            ", ".join(str(day) for day in removed),
        )
    return removed


def rows_by_care_service(frame: pd.DataFrame) -> dict[str, int]:
    """Services per care service type, for the manifest and the run's artifact."""
    return {str(k): int(v) for k, v in frame["CareService"].value_counts().sort_index().items()}


@task(name="report-edition", task_run_name="report-edition-{rendered.as_at}", cache_policy=NO_CACHE)
def report_edition(rendered: EditionFiles, location: str, changed: bool, extract: ExtractRef) -> None:
    """A markdown artifact that tells an engineer in the Prefect UI what this run published."""
    counts, previous, as_at = rows_by_care_service(rendered.text), rendered.previous, rendered.as_at
    age = extract_age(extract, as_at)
    registered = rendered.changes.loc[rendered.changes["Change"] == "Registered"]
    cancelled = rendered.changes.loc[rendered.changes["Change"] == "Cancelled"]
    lines = [
        f"# Datastore edition {as_at}",
        "",
        f"**{len(rendered.text):,} registered services** published to `{location}`"
        + ("" if changed else " (identical to what was already published: nothing rewritten)."),
        "",
        f"Built from the register extract of {extract.extract_date}, {age['days_after_edition']} days after "
        "the edition date"
        + (
            ": **taken late**, so it shows what was known then, not on the edition date."
            if age["taken_late"]
            else "."
        ),
        "",
        f"Compared with the edition of {previous.as_at}: "
        if previous
        else "No previous edition to compare with.",
    ]
    if previous:
        lines += [f"- {kind}: {n:,} services" for kind, n in rendered.change_counts.items()]
    lines += ["", "| Care service | Services |", "|---|---:|"]
    lines += [f"| {name} | {n:,} |" for name, n in counts.items()]
    for title, frame in (
        ("Registered since the previous edition", registered),
        ("Cancelled since the previous edition", cancelled),
    ):
        if len(frame):
            lines += ["", f"## {title} ({len(frame):,})", ""]
            lines += [f"- {row.CSNumber} {row.ServiceName}" for row in frame.head(50).itertuples()]
            if len(frame) > 50:
                lines.append(f"- ... and {len(frame) - 50:,} more (see the changes file)")
    lines += ["", "## Files", "", "| File | Bytes | sha256 |", "|---|---:|---|"]
    lines += [
        f"| {name} | {len(rendered.files[name]):,} | `{digest}` |"
        for name, digest in sha256_by_file(rendered.files).items()
    ]
    create_markdown_artifact(
        markdown="\n".join(lines), key="datastore-edition", description=f"Datastore {as_at}"
    )
    create_table_artifact(
        table=[{"CareService": k, "services": v} for k, v in counts.items()],
        key="datastore-services-by-type",
        description=f"Services by care service, edition {as_at}",
    )
