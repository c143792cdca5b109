"""The published statistics' steps as Prefect tasks: which return years the lake holds, whether the register
is simulated, build the publication, judge it, and say what the run did.

Building is one pure function of the returns and the register (build_publication), so that unchanged returns
give the same bytes and a test can make a publication without a flow run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from carestats.dictionary import DataDictionary, load_dictionary
from carestats.policies import retry_transient_only
from carestats.provenance import code_version
from tasks.annual_returns.steps import stored_years
from tasks.shared.cell_suppression import PRIMARY, SECONDARY
from tasks.shared.lake import PublishOutcome, open_lake
from tasks.shared.lake_map import RegisterExtract, ReturnStatistics
from tasks.shared.publication import with_manifest
from tasks.shared.published_text import csv_bytes
from tasks.shared.quality.results import QualityReport
from tasks.shared.statistical_tables import suppression_counts
from tasks.statistics.bulletin import build_bulletin, quoted_figures
from tasks.statistics.spreadsheet import build_workbook
from tasks.statistics.tables import TREND, StatisticsTables, asked_services, build_tables, headline
from tasks.statistics.validation import validate_statistics


@dataclass(frozen=True)
class Publication:
    """What would be published (files without their manifest, and the facts the manifest states) and what
    the gate judges.
    """

    return_year: int
    tables: StatisticsTables
    bulletin: str
    files: dict[str, bytes]
    facts: dict

    @property
    def published(self) -> dict[str, bytes]:
        """The files with their manifest: exactly what the year's folder will hold."""
        return with_manifest(self.files, self.facts)


def trend_years(tables: StatisticsTables) -> list[int]:
    """The return years the trend table has a row for, oldest first."""
    return [int(year) for year in dict.fromkeys(tables.text[TREND]["Return_Year"])]


def suppressed_cells(tables: StatisticsTables) -> dict[str, dict[str, int]]:
    """Each table's suppressed cells, primary and secondary (margins included)."""
    return {table.spec.name: suppression_counts(table) for table in tables.protected}


def build_publication(
    returns_by_year: dict[int, pd.DataFrame],
    register: pd.DataFrame,
    dictionary: DataDictionary,
    *,
    return_year: int,
    extract_date: dt.date,
    simulated: bool,
) -> Publication:
    """The year's publication from the current returns of every return year up to it (the trend) and the
    register: each table as CSV, the spreadsheet and the bulletin, the bulletin drawn from the tables' text.
    """
    place = ReturnStatistics(return_year)
    services = {
        year: asked_services(returns, register, dictionary) for year, returns in returns_by_year.items()
    }
    tables = build_tables(services, dictionary, return_year)
    csv_files = {place.table(name): csv_bytes(text) for name, text in tables.text.items()}
    workbook = build_workbook(
        tables.text, dictionary, return_year, extract_date, bulletin=place.bulletin, simulated=simulated
    )
    bulletin = build_bulletin(
        tables.text,
        dictionary,
        return_year,
        files={name: place.table(name) for name in tables.text},
        workbook=place.workbook,
        simulated=simulated,
    )
    files = {**csv_files, place.workbook: workbook, place.bulletin: bulletin.encode("utf-8")}
    facts = {
        "title": dictionary.return_statistics["title"],
        "return_year": return_year,
        "describes": dt.date(return_year - 1, 12, 31).isoformat(),
        "trend_years": trend_years(tables),
        "register_extract": extract_date.isoformat(),
        "simulated": simulated,
        "headline": headline(tables.text),
        "rows": {place.table(name): len(text) for name, text in tables.text.items()},
        "suppressed": suppressed_cells(tables),
        "code_version": code_version(),
    }
    return Publication(return_year, tables, bulletin, files, facts)


@task(
    name="find-return-years",
    task_run_name="find-return-years-to-{return_year}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def years_with_returns(lake_location: str, return_year: int) -> list[int]:
    """The return years up to `return_year` whose curated store the lake holds, oldest first, and the year
    itself (whose missing store is then a clear error when its returns are loaded).
    """
    held = stored_years(open_lake(lake_location))
    years = sorted({year for year in held if year <= return_year} | {return_year})
    get_run_logger().info("Return years in the trend: %s", ", ".join(map(str, years)))
    return years


@task(name="register-is-simulated", cache_policy=NO_CACHE)
def register_is_simulated(lake_location: str, extract_date: dt.date) -> bool:
    """Whether the simulator wrote the register extract (it leaves its mark beside the tables): a publication
    made from it says so on its cover and in its bulletin.
    """
    place = RegisterExtract(extract_date)
    return open_lake(lake_location).exists(f"{place.folder}/{place.SIMULATED}")


@task(name="build-return-statistics", task_run_name="build-statistics-{return_year}", cache_policy=NO_CACHE)
def build(
    returns_by_year: dict[int, pd.DataFrame],
    register: pd.DataFrame,
    return_year: int,
    extract_date: dt.date,
    simulated: bool,
) -> Publication:
    """The tables, spreadsheet and bulletin of the year, protected and rounded as the dictionary says."""
    publication = build_publication(
        returns_by_year,
        register,
        load_dictionary(),
        return_year=return_year,
        extract_date=extract_date,
        simulated=simulated,
    )
    figures = publication.facts["headline"]
    get_run_logger().info(
        "Statistics %d: %s%% of %s services had vacancies, vacancy rate %s%%; cells suppressed: %s",
        return_year,
        figures["percent_with_vacancies"],
        figures["services"],
        figures["vacancy_rate"],
        ", ".join(f"{n} {c[PRIMARY]} + {c[SECONDARY]}" for n, c in publication.facts["suppressed"].items()),
    )
    return publication


@task(
    name="validate-return-statistics",
    task_run_name="validate-statistics-{publication.return_year}",
    cache_policy=NO_CACHE,
)
def validate(publication: Publication) -> QualityReport:
    """Every suite of the publication, on exactly what would be published: the gate's input."""
    return validate_statistics(
        publication.tables, quoted_figures(publication.bulletin), load_dictionary(), publication.return_year
    )


@task(
    name="report-return-statistics",
    task_run_name="report-statistics-{publication.return_year}",
    cache_policy=NO_CACHE,
)
def report_publication(publication: Publication, outcome: PublishOutcome, report: QualityReport) -> dict:
    """Say in the Prefect UI what the run published (or that the folder already held it), the headline and
    what disclosure control did; return the run's summary.
    """
    year, figures = publication.return_year, publication.facts["headline"]
    summary = {
        "return_year": year,
        "folder": outcome.uri,
        "files": sorted(publication.published),
        "outcome": "published" if outcome.changed else "unchanged",
        "headline": figures,
        "trend_years": publication.facts["trend_years"],
        "suppressed": publication.facts["suppressed"],
        "quality": report.status,
    }
    create_table_artifact(
        table=[
            {"table": name, "primary": counts[PRIMARY], "secondary": counts[SECONDARY]}
            for name, counts in summary["suppressed"].items()
        ],
        key=f"statistics-disclosure-{year}",
        description=f"Staff vacancy statistics {year}: cells suppressed in each table",
    )
    create_markdown_artifact(
        key=f"statistics-{year}",
        markdown=(
            f"# Staff vacancy statistics {year}: {summary['outcome']}\n\n"
            f"Folder: `{outcome.uri}`\n\n"
            f"{figures['percent_with_vacancies']}% of {figures['services']} services (childminders aside) "
            f"had vacancies; vacancy rate {figures['vacancy_rate']}%. Trend: "
            + ", ".join(map(str, summary["trend_years"]))
            + f". Quality: {report.status}.\n\n"
            + "\n".join(f"- `{name}`" for name in summary["files"])
        ),
        description=f"What the staff vacancy statistics run for {year} did",
    )
    return summary
