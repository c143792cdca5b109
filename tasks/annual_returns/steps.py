"""Prefect tasks for the annual returns: find new export files, ingest each, rebuild the store, report.

A file version is named by its sha256. Its raw copy is kept under received/ before anything else (never
rewritten), its accepted rows and quarantine copy are written next, and its record last: a record means
"ingested", so a run that crashed midway is picked up where it stopped by the next, and a file already
ingested is skipped. Everything a file version produces is a function of its bytes and of what was
received before it, so two runs that take the same file write the same bytes, never a duplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from carestats.collection import CollectionWindow
from carestats.dictionary import load_dictionary
from carestats.errors import MissingInputError
from carestats.policies import retry_transient_only
from tasks.annual_returns import compliance
from tasks.annual_returns.ingest import (
    FileIngest,
    ReadExport,
    Received,
    judge_exports,
    read_export,
    safe_file_name,
)
from tasks.annual_returns.staff import staff_wte_as_at
from tasks.annual_returns.store import (
    Accounting,
    account,
    parquet_bytes,
    read_parquet,
    require_store,
    staffing_rows,
    with_current,
)
from tasks.annual_returns.validation import RegisterFacts
from tasks.register.extract import parse_table
from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake import Lake, dated_folders, open_lake, sha256_hex
from tasks.shared.lake_map import MANIFEST, AnnualReturns, RegisterExtract
from tasks.shared.publication import with_manifest
from tasks.shared.published_text import csv_bytes
from tasks.shared.quarantine import Problem, quarantine

STORE_SETTLE_ATTEMPTS = 5  # rebuilds of the store while other runs keep adding files


@dataclass(frozen=True)
class LandedExport:
    """An export file version in landing: its name there, its key, its sha256, and whether it is done."""

    name: str
    key: str
    sha256: str
    ingested: bool


@task(
    name="find-annual-return-exports",
    task_run_name="find-exports-{return_year}",
    retries=3,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def find_exports(lake_location: str, return_year: int) -> list[LandedExport]:
    """Every file in the year's landing folder with its checksum, oldest name first, and whether that
    exact version was already ingested (a changed file under the same name is a new version).
    """
    lake, place = open_lake(lake_location), AnnualReturns(return_year)
    exports = []
    for key in lake.list_keys(place.landing):
        data = lake.read_bytes(key)
        sha = sha256_hex(data)
        name = key[len(place.landing) + 1 :]
        exports.append(LandedExport(name, key, sha, lake.exists(place.ingested_record(sha))))
    new = [e for e in exports if not e.ingested]
    get_run_logger().info(
        "%d export file(s) in %s: %d new, %d already ingested",
        len(exports),
        lake.uri(place.landing),
        len(new),
        len(exports) - len(new),
    )
    return exports


@task(
    name="load-register-services",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def load_register_services(lake_location: str) -> tuple[pd.DataFrame, dt.date]:
    """The latest register extract's services table (every service ever registered, cancelled ones
    included): what a return's CS number, type and dates are checked against, and who must submit.
    """
    lake, dictionary = open_lake(lake_location), load_dictionary()
    dates = dated_folders(lake.list_folders(RegisterExtract.AREA))
    if not dates:
        raise MissingInputError(
            f"no register extract in {lake.uri(RegisterExtract.AREA)}: returns cannot be checked"
        )
    place = RegisterExtract(dates[-1])
    decoded = parse_table(
        lambda: lake.open_read(place.table("services")),
        "services.csv",
        dictionary.extract_table("services"),
        dictionary,
    )
    if decoded.problems:
        raise MissingInputError(
            f"the register extract of {place.extract_date} cannot be read ({decoded.problems[0]}): "
            "publish-datastore quarantines and reports it"
        )
    get_run_logger().info("Returns are checked against the register extract of %s", place.extract_date)
    return decoded.frame, place.extract_date


def already_received(lake_location: str, return_year: int) -> dict[str, Received]:
    """Every return accepted so far for the year, by Return_ID, with where it was first seen."""
    lake, place = open_lake(lake_location), AnnualReturns(return_year)
    received: dict[str, Received] = {}
    for key in lake.list_keys(place.ingested):
        if key.endswith(".json"):  # only files whose record says they were ingested whole
            rows = read_parquet(
                lake.read_bytes(place.ingested_rows(json.loads(lake.read_bytes(key))["sha256"]))
            )
            for return_id, file, line in zip(
                rows["Return_ID"], rows["Source_File"], rows["Source_Line"], strict=True
            ):
                received.setdefault(return_id, Received(file, int(line)))
    return received


@task(
    name="receive-annual-return-export",
    task_run_name="receive-{export.name}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def receive_export(lake_location: str, return_year: int, export: LandedExport) -> ReadExport:
    """Keep the file version's raw copy (never rewritten), then read it safely: its returns as text, or
    why the whole file cannot be used. An unsafe landed name is replaced, and said so.
    """
    lake, place = open_lake(lake_location), AnnualReturns(return_year)
    data = lake.read_bytes(export.key)
    sha = sha256_hex(data)  # the bytes read now name the version, even if the file changed since listing
    name = safe_file_name(export.name)
    raw = place.received(sha, name)
    if not lake.exists(raw):
        lake.write_bytes(raw, data)
    read = read_export(name, sha, data)
    if name != export.name:
        read.problems.insert(
            0, Problem(name, None, None, export.name, f"unsafe landed file name; kept as {name}")
        )
    return read


@task(name="judge-annual-returns", task_run_name="judge-{window.return_year}-returns", cache_policy=NO_CACHE)
def judge_returns(
    exports: list[ReadExport],
    services: pd.DataFrame,
    window: CollectionWindow,
    today: dt.date,
    received: dict[str, Received],
) -> list[FileIngest]:
    """Every row of the new files judged in one pass against the suites and the register: accepted, or
    quarantined with its line, field, value and rule.
    """
    outcomes = judge_exports(exports, RegisterFacts.from_services(services), window, today, received)
    for outcome in outcomes:
        get_run_logger().info(
            "%s: %d rows received, %d accepted, %d quarantined%s",
            outcome.file,
            outcome.rows_received,
            outcome.rows_accepted,
            outcome.rows_quarantined,
            f" (whole file refused: {outcome.unreadable})" if outcome.unreadable else "",
        )
    return outcomes


@task(
    name="record-annual-return-export",
    task_run_name="record-{outcome.file}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def record_export(
    lake_location: str, return_year: int, outcome: FileIngest, export: LandedExport, register_extract: dt.date
) -> dict:
    """Write the file version's accepted rows, then its quarantine copy and problems, then its record,
    last: the record says "ingested", so a crash before it means the file is taken again, whole.
    """
    lake, place = open_lake(lake_location), AnnualReturns(return_year)
    lake.write_bytes(place.ingested_rows(outcome.sha256), parquet_bytes(outcome.accepted))
    raw = place.received(outcome.sha256, outcome.file)
    about = {
        "return_year": return_year,
        "register_extract": register_extract.isoformat(),
        "landed_as": export.name,
        "raw_copy": raw,
    }
    record = outcome.record(about)
    if outcome.problems:
        where = quarantine(
            lake,
            place.quarantine(outcome.sha256, outcome.file),
            {outcome.file: raw},
            outcome.problems,
            record,
        )
        get_run_logger().warning(
            "%s: %d row(s) quarantined at %s", outcome.file, outcome.rows_quarantined, where
        )
    lake.write_bytes(place.ingested_record(outcome.sha256), canonical_json(record))
    return record


def _store_files(lake, place: AnnualReturns) -> tuple[dict[str, bytes], Accounting, list[str]]:
    records = [json.loads(lake.read_bytes(k)) for k in lake.list_keys(place.ingested) if k.endswith(".json")]
    frames = [read_parquet(lake.read_bytes(place.ingested_rows(r["sha256"]))) for r in records]
    frames = [f for f in frames if len(f)]
    returns = with_current(pd.concat(frames, ignore_index=True)) if frames else pd.DataFrame()
    accounting = account(records, returns)
    accounting.check(place.return_year)
    files = {
        place.RETURNS: parquet_bytes(returns),
        place.STAFFING: parquet_bytes(staffing_rows(returns))
        if len(returns)
        else parquet_bytes(pd.DataFrame()),
        place.ACCOUNTING: canonical_json(accounting.as_dict()),
    }
    ingested = sorted(r["sha256"] for r in records)
    facts = {
        "return_year": place.return_year,
        "accounting": accounting.as_dict(),
        "files_ingested": {r["sha256"]: r["file"] for r in sorted(records, key=lambda r: r["sha256"])},
    }
    return with_manifest(files, facts), accounting, ingested


@task(
    name="rebuild-annual-returns-store",
    task_run_name="rebuild-store-{return_year}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def rebuild_store(lake_location: str, return_year: int) -> Accounting:
    """Rebuild the year's store from every file version ingested, check the accounting, and swap it in.

    If another run ingested a file meanwhile, the store is rebuilt again, so the last run to finish
    always leaves a store that holds every file ingested.
    """
    lake, place = open_lake(lake_location), AnnualReturns(return_year)
    for _ in range(STORE_SETTLE_ATTEMPTS):
        files, accounting, ingested = _store_files(lake, place)
        lake.publish_folder(place.store, files)
        now = sorted(
            k.rsplit("/", 1)[1][: -len(".json")]
            for k in lake.list_keys(place.ingested)
            if k.endswith(".json")
        )
        if now == ingested:
            break
    get_run_logger().info("Annual returns %d: %s", return_year, accounting.as_dict())
    return accounting


def stored_years(lake: Lake) -> list[int]:
    """Every return year whose curated store the lake holds (its manifest written), oldest first."""
    years = (int(n) for n in lake.list_folders(AnnualReturns.CURATED_AREA) if n.isdigit())
    return sorted(year for year in years if lake.exists(f"{AnnualReturns(year).store}/{MANIFEST}"))


@task(
    name="load-current-annual-returns",
    task_run_name="load-current-returns-{return_year}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def load_current_returns(lake_location: str, return_year: int, required: bool = True) -> pd.DataFrame | None:
    """The year's current accepted returns (one per service) from the curated store: what the SSSC share,
    the benchmarks and the statistics are made from. A year with no store is a clear error when `required`,
    else None (a year that only adds a comparison, such as the year before's change).
    """
    returns = load_store(lake_location, return_year)
    if returns is None:
        where = open_lake(lake_location).uri(AnnualReturns(return_year).store)
        require_store(not required, return_year, where)
        get_run_logger().info("No annual returns for %d at %s", return_year, where)
        return None
    current = returns.loc[returns["Current"] == "Yes"].reset_index(drop=True)
    get_run_logger().info("%d services have a current accepted return for %d", len(current), return_year)
    return current


def load_store(lake_location: str, return_year: int) -> pd.DataFrame | None:
    """Every accepted return of a year (Current marking the one that counts), or None before any."""
    lake, place = open_lake(lake_location), AnnualReturns(return_year)
    key = f"{place.store}/{place.RETURNS}"
    if not lake.exists(f"{place.store}/{MANIFEST}"):
        return None
    return read_parquet(lake.read_bytes(key))


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A report frame as text for CSV: blanks for missing values, dates as yyyy-mm-dd."""
    return frame.astype(object).where(frame.notna(), "").astype(str)


@task(
    name="report-annual-return-compliance",
    task_run_name="compliance-{window.return_year}-as-at-{as_at}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def report_compliance(
    lake_location: str, window: CollectionWindow, services: pd.DataFrame, as_at: dt.date
) -> dict:
    """Who must submit and has not, as at a day: the report by service (with the tables by provider
    and council area) and the reminder list per provider, written to reports/ (internal, never
    published) and shown as a table artifact. Returns the summary counts.
    """
    lake, place = open_lake(lake_location), AnnualReturns(window.return_year)
    returns = load_store(lake_location, window.return_year)
    if returns is None:
        returns = pd.DataFrame({"CSNumber": [], "Submitted_At": [], "Late": []})
    by_service = compliance.compliance_by_service(services, returns, window, as_at)
    summary = compliance.compliance_summary(by_service)
    by_council = compliance.compliance_by_group(by_service, "Council_Area_Name")
    by_provider = compliance.compliance_by_group(by_service, "ServiceProvider")
    reminders = compliance.reminder_list(by_service, services)
    lake.write_bytes(place.compliance(as_at), csv_bytes(_as_text(by_service)))
    lake.write_bytes(place.reminders(as_at), csv_bytes(_as_text(reminders)))
    lake.write_bytes(place.compliance_by("council_area", as_at), csv_bytes(_as_text(by_council)))
    lake.write_bytes(place.compliance_by("provider", as_at), csv_bytes(_as_text(by_provider)))
    create_table_artifact(
        table=_as_text(by_council).to_dict("records"),
        key=f"annual-returns-{window.return_year}-compliance",
        description=(
            f"Annual returns {window.return_year} as at {as_at}: {summary['missing']} of "
            f"{summary['mandatory']} mandatory services have not submitted; by council area. Reports by "
            f"service and provider, and the reminder list, at {lake.uri(place.reports)}"
        ),
    )
    get_run_logger().info("Compliance as at %s: %s", as_at, summary)
    return {**summary, "reports": lake.uri(place.reports)}


@task(name="report-annual-returns-run", cache_policy=NO_CACHE)
def report_run(
    return_year: int, records: list[dict], accounting: Accounting, window: CollectionWindow
) -> None:
    """Say what the run did in the Prefect UI: each file taken in, and where every row of the year went."""
    rows = [
        {
            "file": r["file"],
            "rows received": r["rows_received"],
            "accepted": r["rows_accepted"],
            "quarantined": r["rows_quarantined"],
            "whole file refused": r["unreadable"] or "",
        }
        for r in records
    ]
    create_table_artifact(
        table=rows
        or [
            {
                "file": "no new export files",
                "rows received": 0,
                "accepted": 0,
                "quarantined": 0,
                "whole file refused": "",
            }
        ],
        key=f"annual-returns-{return_year}-files",
        description=f"Annual returns {return_year}: the export files this run took in",
    )
    counts = accounting.as_dict()
    create_markdown_artifact(
        key=f"annual-returns-{return_year}-accounting",
        markdown="\n".join(
            [
                f"# Annual returns {return_year}: every row accounted for",
                f"Window {window.opens} to {window.closes}{' (' + window.note + ')' if window.note else ''}.",
                "",
                "| rows | count |",
                "|---|---:|",
                *[f"| {name.replace('_', ' ')} | {value:,} |" for name, value in counts.items()],
                "",
                f"received ({counts['received']:,}) = current ({counts['current']:,}) + superseded "
                f"({counts['superseded']:,}) + quarantined ({counts['quarantined']:,}): checked.",
            ]
        ),
        description=f"Annual returns {return_year}: where every row received went",
    )


@task(
    name="staff-from-annual-returns",
    task_run_name="staff-from-returns-as-at-{as_at}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def staff_from_returns(lake_location: str, as_at: dt.date) -> pd.DataFrame:
    """Every service's total WTE from its latest return accepted on or before the edition date (the
    Datastore's NumberStaff), from the curated store of every return year up to the edition's.
    """
    years = stored_years(open_lake(lake_location))
    stores = [load_store(lake_location, year) for year in years if year <= as_at.year]
    staff = staff_wte_as_at([s for s in stores if s is not None], as_at)
    get_run_logger().info(
        "NumberStaff as at %s: %d services have a return accepted by then", as_at, len(staff)
    )
    return staff


@task(name="fingerprint-annual-returns", cache_policy=NO_CACHE)
def fingerprint_returns(lake_location: str) -> str:
    """One sha256 over every return year's curated store manifest: a backfill's cache key changes when any
    year's accepted returns do, since NumberStaff comes from them.
    """
    lake = open_lake(lake_location)
    digest = hashlib.sha256()
    for year in stored_years(lake):
        key = f"{AnnualReturns(year).store}/{MANIFEST}"
        digest.update(f"{year}:{hashlib.sha256(lake.read_bytes(key)).hexdigest()}\n".encode())
    return digest.hexdigest()


@task(
    name="read-annual-returns-accounting",
    task_run_name="read-accounting-{return_year}",
    cache_policy=NO_CACHE,
)
def read_accounting(lake_location: str, return_year: int) -> dict:
    """The year's accounting as the last ingest run proved it (received, current, superseded, ...)."""
    lake, place = open_lake(lake_location), AnnualReturns(return_year)
    key = f"{place.store}/{place.ACCOUNTING}"
    require_store(lake.exists(key), return_year, lake.uri(place.store))
    return json.loads(lake.read_bytes(key))
