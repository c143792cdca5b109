"""The inspection benchmarks' steps as Prefect tasks: read returns, make the table, keep it, draw profiles.

The table (CSV and workbook) is a folder swapped in whole with its manifest under reports/, never publish/:
it names services. Profiles are drawn from the table as kept, and each records the sha256 of the manifest it
was drawn from: before drawing, a profiles folder holding any page drawn from another table is cleared, so
a page never shows figures the table no longer has.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from carestats.dictionary import load_dictionary
from carestats.errors import MissingInputError
from carestats.policies import retry_transient_only
from carestats.provenance import code_version
from tasks.shared.lake import Lake, open_lake, sha256_hex
from tasks.shared.lake_map import MANIFEST, InspectionBenchmarks
from tasks.shared.publication import with_manifest
from tasks.shared.published_text import read_published_csv
from tasks.statistics.indicators import BenchmarkRules, benchmark_table, flag_counts, table_files
from tasks.statistics.profiles import drawn_from, index_html, profile_html


@dataclass(frozen=True)
class BenchmarkTable:
    """The inspector table as kept: its published text ('' for blank) and the sha256 of its manifest,
    which every profile drawn from it records."""

    return_year: int
    text: pd.DataFrame
    manifest_sha256: str

    @classmethod
    def from_files(cls, return_year: int, files: dict[str, bytes]) -> BenchmarkTable:
        """The table from its folder's files (CSV and manifest), as a reader of the folder sees it."""
        place = InspectionBenchmarks(return_year)
        return cls(
            return_year,
            read_published_csv(files[place.table], place.table),
            sha256_hex(files[MANIFEST]),
        )


@task(name="compute-benchmarks", task_run_name="compute-benchmarks-{return_year}", cache_policy=NO_CACHE)
def compute_benchmarks(
    current: pd.DataFrame, previous: pd.DataFrame | None, register: pd.DataFrame, return_year: int
) -> pd.DataFrame:
    """The inspector table: every service with a current return beside the nation and its peers."""
    table = benchmark_table(current, previous, register, return_year)
    get_run_logger().info(
        "Benchmarks %d: %d services, %d standing out on at least one indicator",
        return_year,
        len(table),
        int((table["Flags"] > 0).sum()),
    )
    return table


@task(name="make-benchmark-files", task_run_name="make-benchmark-files-{return_year}", cache_policy=NO_CACHE)
def make_table_files(
    table: pd.DataFrame, return_year: int, register_extract: dt.date, previous_year_returns: bool
) -> dict[str, bytes]:
    """The table's folder: CSV, workbook and a manifest saying what they were made from and by which rules."""
    section = load_dictionary().inspection_benchmarks
    facts = {
        "title": section["title"],
        "internal": True,
        "return_year": return_year,
        "services": len(table),
        "register_extract": register_extract.isoformat(),
        "change_since": return_year - 1 if previous_year_returns else None,
        "rules": {key: section[key] for key in ("peer_group", "min_peers", "flag_percentile")},
        "code_version": code_version(),
    }
    return with_manifest(table_files(table, return_year), facts)


@task(
    name="read-benchmark-table",
    task_run_name="read-benchmarks-{return_year}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def read_table(lake_location: str, return_year: int) -> BenchmarkTable:
    """The year's table as kept; none yet is an error saying which run makes it."""
    lake, place = open_lake(lake_location), InspectionBenchmarks(return_year)
    manifest_key = f"{place.folder}/{MANIFEST}"
    if not lake.exists(manifest_key):
        raise MissingInputError(
            f"no inspection benchmarks for {return_year} at {lake.uri(place.folder)}: "
            f"run benchmark-services for {return_year} first"
        )
    manifest = lake.read_bytes(manifest_key)
    csv = lake.read_bytes(f"{place.folder}/{place.table}")
    if json.loads(manifest)["files"][place.table]["sha256"] != sha256_hex(csv):
        raise RuntimeError(f"{lake.uri(place.folder)} changed while it was being read: run again")
    return BenchmarkTable.from_files(return_year, {place.table: csv, MANIFEST: manifest})


@task(
    name="render-service-profiles",
    task_run_name="render-profiles-{table.return_year}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def render_profiles(lake_location: str, table: BenchmarkTable, cs_numbers: list[str]) -> list[str]:
    """Write these services' profiles, then the index linking every profile in the folder; a folder drawn
    from another table is cleared first. Returns where each profile went."""
    logger = get_run_logger()
    lake, place = open_lake(lake_location), InspectionBenchmarks(table.return_year)
    clear_stale_profiles(lake, place, table.manifest_sha256)
    dictionary = load_dictionary()
    written = []
    for cs_number in cs_numbers:
        page = profile_html(table.text, cs_number, table.return_year, table.manifest_sha256, dictionary)
        lake.write_bytes(place.profile(cs_number), page.encode("utf-8"))
        written.append(lake.uri(place.profile(cs_number)))
    drawn = drawn_profiles(lake, place)
    lake.write_bytes(
        place.index, index_html(table.text, drawn, table.return_year, table.manifest_sha256).encode("utf-8")
    )
    logger.info(
        "%d profile(s) drawn now, %d in %s; find any service on %s",
        len(written),
        len(drawn),
        lake.uri(place.profiles),
        lake.uri(place.index),
    )
    return written


def drawn_profiles(lake: Lake, place: InspectionBenchmarks) -> list[str]:
    """The CS numbers whose profiles are in the year's folder."""
    names = [key.rsplit("/", 1)[1] for key in lake.list_keys(place.profiles)]
    return sorted(
        name.removesuffix(".html") for name in names if name.startswith("CS") and name.endswith(".html")
    )


def clear_stale_profiles(lake: Lake, place: InspectionBenchmarks, manifest_sha256: str) -> None:
    """Remove the year's profiles folder when any page in it was drawn from a table other than this one."""
    pages = [key for key in lake.list_keys(place.profiles) if key.endswith(".html")]
    stale = [key for key in pages if drawn_from(lake.read_bytes(key)) != manifest_sha256]
    if stale:
        lake.delete_folder(place.profiles)
        get_run_logger().info(
            "The table changed: %d page(s) drawn from an earlier one cleared from %s",
            len(pages),
            lake.uri(place.profiles),
        )


@task(
    name="report-benchmarks", task_run_name="report-benchmarks-{summary[return_year]}", cache_policy=NO_CACHE
)
def report_benchmarks(summary: dict) -> None:
    """Say in the Prefect UI what the run did: services, flags per indicator, and where everything is."""
    rules = BenchmarkRules.from_dictionary()
    year = summary["return_year"]
    rows = [
        {
            "indicator": rules.indicator(name).label,
            "stand out": counts["stands_out"],
            "in range": counts["in_range"],
            "too few peers": counts["too_few_peers"],
            "no value": counts["no_value"],
        }
        for name, counts in summary["by_indicator"].items()
    ]
    create_table_artifact(
        table=rows,
        key=f"inspection-benchmarks-{year}",
        description=(
            f"Inspection benchmarks {year}: {summary['services']:,} services, {summary['flagged']:,} "
            "standing out on at least one indicator (fewer than "
            f"{rules.min_peers} peers with a value: too few peers)"
        ),
    )
    create_markdown_artifact(
        key=f"inspection-benchmarks-{year}-where",
        markdown="\n".join(
            [
                f"# Inspection benchmarks {year} (internal: not for publication)",
                "",
                f"{summary['services']:,} services with a current return; {summary['flagged']:,} stand out "
                f"on at least one indicator; {summary['profiles_written']:,} profile(s) drawn by this run.",
                "",
                f"- Table: `{summary['table']}`",
                f"- Workbook: `{summary['workbook']}`",
                f"- Profiles: `{summary['profiles']}`",
                f"- Find any service: `{summary['index']}`",
                f"- Table manifest sha256: `{summary['manifest_sha256']}`",
            ]
        ),
        description=f"Where the inspection benchmarks {year} are",
    )


def run_summary(lake_location: str, table: BenchmarkTable, profiles_written: int) -> dict:
    """What a benchmarks run reports and returns: counts, flags per indicator, and where everything is."""
    lake, place = open_lake(lake_location), InspectionBenchmarks(table.return_year)
    return {
        "return_year": table.return_year,
        "services": len(table.text),
        "flagged": int((pd.to_numeric(table.text["Flags"]) > 0).sum()),
        "by_indicator": flag_counts(table.text),
        "table": lake.uri(f"{place.folder}/{place.table}"),
        "workbook": lake.uri(f"{place.folder}/{place.workbook}"),
        "profiles": lake.uri(place.profiles),
        "index": lake.uri(place.index),
        "profiles_written": profiles_written,
        "manifest_sha256": table.manifest_sha256,
    }
