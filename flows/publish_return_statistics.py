"""The official statistics "Staff vacancies in care services": tables, spreadsheet and bulletin of a year."""

from __future__ import annotations

from prefect import flow

from carestats.collection import latest_closed_year
from carestats.settings import get_settings
from tasks.annual_returns import steps as returns
from tasks.catalogue.steps import rebuild_catalogue
from tasks.shared.lake_map import ReturnStatistics
from tasks.shared.orchestration import record_parameters
from tasks.shared.publication import publish_folder
from tasks.shared.quality.gate import quality_gate
from tasks.statistics import statistics_steps as statistics


def statistics_run_name() -> str:
    """The run's name in the Prefect UI: the return year published, e.g. statistics-2026."""
    from prefect.runtime import flow_run

    return f"statistics-{flow_run.parameters.get('return_year') or latest_closed_year()}"


@flow(name="publish-return-statistics", flow_run_name=statistics_run_name, log_prints=True)
def publish_return_statistics(return_year: int | None = None, lake: str | None = None) -> dict:
    """Publish the year's staff vacancy statistics (default: the latest year whose collection window has
    closed): a CSV per table, the accessible spreadsheet and the bulletin, with every earlier return year the
    lake holds as the trend.

    Disclosure control and the quality gate come before anything is published; the year's folder is swapped
    in whole with its manifest, and unchanged returns leave it as it is (outcome "unchanged"). The public
    catalogue page then lists it beside the Datastore's editions.
    """
    return_year = return_year or latest_closed_year()
    record_parameters(return_year=return_year)
    lake = lake or get_settings().lake
    place = ReturnStatistics(return_year)

    years = statistics.years_with_returns(lake, return_year)
    returns_by_year = {year: returns.load_current_returns(lake, year) for year in years}
    register, extract_date = returns.load_register_services(lake)
    simulated = statistics.register_is_simulated(lake, extract_date)
    publication = statistics.build(returns_by_year, register, return_year, extract_date, simulated)
    report = statistics.validate(publication)
    quality_gate(lake, report, place.quality_report)
    outcome = publish_folder(lake, place.AREA, place.name, publication.published)
    catalogue = rebuild_catalogue(lake)
    return {**statistics.report_publication(publication, outcome, report), "catalogue": catalogue["page"]}
