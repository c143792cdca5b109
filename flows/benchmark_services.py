"""Staffing benchmarks for inspectors: every service beside the nation and its peers, and its profile.

Internal, never published: the table and the profiles name services, so they live under reports/.
"""

from __future__ import annotations

from prefect import flow

from carestats.collection import latest_closed_year
from carestats.settings import get_settings
from tasks.annual_returns import steps as returns
from tasks.shared.lake_map import InspectionBenchmarks
from tasks.shared.orchestration import record_parameters
from tasks.shared.publication import publish_folder
from tasks.statistics import benchmark_steps as benchmarks
from tasks.statistics.indicators import STANDS_OUT, BenchmarkRules, most_flagged
from tasks.statistics.profiles import service_row


def benchmarks_run_name() -> str:
    """The run's name in the Prefect UI: the return year benchmarked, e.g. benchmarks-2026."""
    from prefect.runtime import flow_run

    return f"benchmarks-{flow_run.parameters.get('return_year') or latest_closed_year()}"


@flow(name="benchmark-services", flow_run_name=benchmarks_run_name, log_prints=True)
def benchmark_services(return_year: int | None = None, lake: str | None = None, profiles: int = 100) -> dict:
    """Benchmark every service with a current return of the year (default: the latest year whose
    collection window has closed) against the nation and its peers, for inspection planning.

    Keeps the inspector table (CSV and workbook, swapped in whole with its manifest) and draws the
    profiles of up to `profiles` services standing out on at least one indicator, most flags first (ties by
    CS number), with the index that finds any service. Unchanged returns and register rewrite the same bytes.
    """
    return_year = return_year or latest_closed_year()
    record_parameters(return_year=return_year)
    lake = lake or get_settings().lake
    place = InspectionBenchmarks(return_year)

    current = returns.load_current_returns(lake, return_year)
    previous = returns.load_current_returns(lake, return_year - 1, required=False)
    register, register_extract = returns.load_register_services(lake)
    table = benchmarks.compute_benchmarks(current, previous, register, return_year)
    files = benchmarks.make_table_files(table, return_year, register_extract, previous is not None)
    publish_folder(lake, InspectionBenchmarks.AREA, place.name, files)
    kept = benchmarks.BenchmarkTable.from_files(return_year, files)
    written = benchmarks.render_profiles(lake, kept, most_flagged(kept.text, profiles))
    summary = {
        **benchmarks.run_summary(lake, kept, len(written)),
        "register_extract": register_extract.isoformat(),
    }
    benchmarks.report_benchmarks(summary)
    return summary


def profile_run_name() -> str:
    """The run's name in the Prefect UI: the service and year, e.g. service-profile-CS2016348196-2026."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    year = parameters.get("return_year") or latest_closed_year()
    return f"service-profile-{str(parameters.get('cs_number', '')).strip().upper()}-{year}"


@flow(name="service-profile", flow_run_name=profile_run_name, log_prints=True)
def service_profile(cs_number: str, return_year: int | None = None, lake: str | None = None) -> dict:
    """Draw one service's profile from the year's inspector table (default: the latest closed year), for
    any service with a current return, and say where it stands out. Always redrawn: it is cheap.

    A CS number the table does not hold, or a year with no table, is an error naming it.
    """
    cs_number = cs_number.strip().upper()
    return_year = return_year or latest_closed_year()
    record_parameters(return_year=return_year)
    lake = lake or get_settings().lake

    table = benchmarks.read_table(lake, return_year)
    row = service_row(table.text, cs_number, return_year)
    (profile,) = benchmarks.render_profiles(lake, table, [cs_number])
    rules = BenchmarkRules.from_dictionary()
    flags = {i.name: row[f"{i.name}_Flag"] for i in rules.indicators}
    return {
        "cs_number": cs_number,
        "return_year": return_year,
        "profile": profile,
        "flags": flags,
        "stands_out": [name for name, flag in flags.items() if flag == STANDS_OUT],
        "figures": {i.name: float(row[i.name]) if row[i.name] != "" else None for i in rules.indicators},
    }
