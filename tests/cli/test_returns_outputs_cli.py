"""benchmark-services, service-profile and publish-statistics at a terminal: what they say matches what the
flows did, --json gives the same summary, and an unknown service is one line with exit code 2."""

import json
import shutil

import pytest

from tasks.shared.lake import open_lake
from tasks.shared.lake_map import InspectionBenchmarks, ReturnStatistics
from tasks.shared.published_text import read_published_csv
from tests.support.cli import run_carestats

YEAR = 2026


@pytest.fixture(scope="module")
def benchmarked(two_return_years, tmp_path_factory):
    """A copy of the session's two return years (what these commands write stays here), benchmarked once
    through the command, no profile drawn."""
    from cli.main import main

    lake = str(tmp_path_factory.mktemp("returns_outputs_cli") / "lake")
    shutil.copytree(two_return_years, lake)
    assert main(["benchmark-services", "--year", YEAR, "--profiles", "0", "--lake", lake]) == 0
    return lake


def test_benchmark_services_says_how_many_stand_out_and_where_the_table_is(benchmarked, capsys):
    result = run_carestats(
        capsys, ["benchmark-services", "--year", YEAR, "--profiles", "0", "--lake", benchmarked]
    )
    place = InspectionBenchmarks(YEAR)
    table = read_published_csv(open_lake(benchmarked).read_bytes(f"{place.folder}/{place.table}"))
    flagged = int((table["Flags"].astype(int) > 0).sum())
    assert result.exit_code == 0, result.output
    assert f"Inspection benchmarks {YEAR}: {len(table):,} services, {flagged:,} standing out" in result.stdout
    assert f"Table: {open_lake(benchmarked).uri(place.folder)}/{place.table}" in result.stdout
    assert "Profiles: 0 written" in result.stdout


def test_service_profile_prints_where_the_profile_is_and_each_flag(benchmarked, capsys):
    place = InspectionBenchmarks(YEAR)
    table = read_published_csv(open_lake(benchmarked).read_bytes(f"{place.folder}/{place.table}"))
    row = table.loc[table["Flags"].astype(int) > 0].iloc[0]
    cs = row["CSNumber"]

    text = run_carestats(capsys, ["service-profile", cs.lower(), "--year", YEAR, "--lake", benchmarked])
    assert text.exit_code == 0, text.output
    profile = open_lake(benchmarked).uri(place.profile(cs))
    assert text.stdout.splitlines()[0] == f"{cs} ({YEAR} return): {profile}"
    assert f"Stands out on: {row['Flagged']}" in text.stdout
    assert f"  Turnover: {float(row['Turnover']):.1f}%, {row['Turnover_Flag'].lower()}" in text.stdout

    as_json = run_carestats(capsys, ["service-profile", cs, "--year", YEAR, "--lake", benchmarked, "--json"])
    summary = json.loads(as_json.stdout)
    assert summary["profile"] == profile and summary["stands_out"] == row["Flagged"].split("; ")
    assert summary["flags"]["Vacancy_Rate"] == row["Vacancy_Rate_Flag"]


def test_an_unknown_service_is_one_line_and_exit_code_2(benchmarked, capsys):
    result = run_carestats(capsys, ["service-profile", "CS0000000001", "--year", YEAR, "--lake", benchmarked])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"carestats: CS0000000001 is not in the inspection benchmarks of {YEAR}: it has no current {YEAR} "
        "annual return (or is not a CS number of a registered service)"
    ]


def test_publish_statistics_says_the_headline_the_bulletin_and_tables_give(benchmarked, capsys):
    result = run_carestats(capsys, ["publish-statistics", "--year", YEAR, "--lake", benchmarked, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    place = ReturnStatistics(YEAR)
    assert summary["folder"] == open_lake(benchmarked).uri(place.folder)
    assert summary["trend_years"] == [2025, 2026] and summary["quality"] == "passed"
    national = read_published_csv(
        open_lake(benchmarked).read_bytes(
            f"{place.folder}/{place.table('vacancies_by_service_type_and_sector')}"
        )
    )
    total = national.loc[(national["Care_Service"] == "Total") & (national["Sector"] == "Total")].iloc[0]
    assert summary["headline"]["services"] == int(total["Services"])
    assert f"{summary['headline']['percent_with_vacancies']}" == total["Percent_With_Vacancies"]

    text = run_carestats(capsys, ["publish-statistics", "--year", YEAR, "--lake", benchmarked])
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[:2] == [
        f"Staff vacancy statistics {YEAR} unchanged: {summary['folder']}",
        f"{total['Percent_With_Vacancies']}% of {int(total['Services']):,} services (childminders aside) had "
        f"vacancies; WTE vacancy rate {total['Vacancy_Rate']}%",
    ]
