"""The benchmarks flow on the session's two simulated return years: the table is what the pure functions
make, its national figures and changes agree with sums taken straight from the store, a rerun rewrites
nothing, a changed table clears the profiles drawn from the old one, any service's profile can be drawn on
demand, and a profile and the index read well in a browser."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from prefect.logging import disable_run_logger

from carestats.dictionary import load_dictionary
from carestats.errors import BadInputError, MissingInputError
from flows.benchmark_services import benchmark_services, service_profile
from tasks.annual_returns.steps import load_register_services, load_store
from tasks.shared.lake import open_lake, sha256_hex
from tasks.shared.lake_map import MANIFEST, InspectionBenchmarks
from tasks.shared.published_text import read_published_csv
from tasks.statistics.indicators import benchmark_table, flag_counts, most_flagged, table_files
from tasks.statistics.profiles import drawn_from
from tests.support.browser import screenshot

YEAR = 2026
PROFILES = 3
PLACE = InspectionBenchmarks(YEAR)
INDICATORS = ["Turnover", "Vacancy_Rate", "Agency_Reliance", "Absence_Rate", "SSSC_Registered_Share"]


def current_returns(lake: str, year: int) -> pd.DataFrame:
    store = load_store(lake, year)
    return store[store["Current"] == "Yes"].reset_index(drop=True)


def register_services(lake: str) -> pd.DataFrame:
    with disable_run_logger():
        return load_register_services.fn(lake)[0]


def files_under(lake: str, prefix: str) -> dict[str, bytes]:
    """Every file a reader sees under a prefix (hidden staging and superseded copies left out)."""
    opened = open_lake(lake)
    return {key: opened.read_bytes(key) for key in opened.list_keys(prefix)}


@pytest.fixture(scope="module")
def benchmarked(two_return_years) -> dict:
    """The flow run once for the module, with what it returned and left in the lake straight after."""
    summary = benchmark_services(return_year=YEAR, lake=two_return_years, profiles=PROFILES)
    lake = open_lake(two_return_years)
    return {
        "lake": two_return_years,
        "summary": summary,
        "table": read_published_csv(lake.read_bytes(f"{PLACE.folder}/{PLACE.table}")),
        "files": files_under(two_return_years, PLACE.folder),
    }


def test_the_table_is_what_the_pure_functions_make_from_the_store_and_register(benchmarked):
    lake = benchmarked["lake"]
    expected = table_files(
        benchmark_table(
            current_returns(lake, YEAR), current_returns(lake, YEAR - 1), register_services(lake), YEAR
        ),
        YEAR,
    )
    files = benchmarked["files"]
    assert files[f"{PLACE.folder}/{PLACE.table}"] == expected[PLACE.table]
    assert files[f"{PLACE.folder}/{PLACE.workbook}"] == expected[PLACE.workbook]
    manifest = json.loads(files[f"{PLACE.folder}/{MANIFEST}"])
    assert (
        manifest["return_year"] == YEAR and manifest["internal"] is True and manifest["change_since"] == 2025
    )
    assert manifest["files"][PLACE.table]["sha256"] == sha256_hex(expected[PLACE.table])
    assert manifest["rules"] == {
        "peer_group": ["CareService", "Subtype", "ServiceType", "Council_Area_Name"],
        "min_peers": 5,
        "flag_percentile": 90,
    }
    workbook = openpyxl.load_workbook(io.BytesIO(expected[PLACE.workbook]))
    assert workbook.sheetnames == ["Benchmarks", "Definitions"]
    assert workbook["Benchmarks"].max_row == 3 + len(benchmarked["table"])


def test_the_summary_counts_what_the_table_holds_and_says_where_everything_is(benchmarked):
    summary, table, lake = benchmarked["summary"], benchmarked["table"], benchmarked["lake"]
    current = current_returns(lake, YEAR)
    assert summary["services"] == len(table) == len(current) > 400
    assert sorted(table["CSNumber"]) == sorted(current["CSNumber"])
    flagged = int((table["Flags"].astype(int) > 0).sum())
    assert summary["flagged"] == flagged > PROFILES
    assert summary["by_indicator"] == flag_counts(table)
    assert {name: set(counts) for name, counts in summary["by_indicator"].items()} == {
        name: {"stands_out", "in_range", "too_few_peers", "no_value"} for name in INDICATORS
    }
    assert sum(summary["by_indicator"]["Turnover"].values()) == len(table)
    # childminders are never asked about vacancies
    minders = table["CareService"] == "Child Minding"
    assert minders.sum() > 0 and set(table.loc[minders, "Vacancy_Rate_Flag"]) == {"No value"}
    assert summary["by_indicator"]["Vacancy_Rate"]["no_value"] >= minders.sum()
    opened = open_lake(lake)
    assert summary["table"] == opened.uri(f"{PLACE.folder}/{PLACE.table}")
    assert summary["workbook"] == opened.uri(f"{PLACE.folder}/{PLACE.workbook}")
    assert summary["index"] == opened.uri(PLACE.index) and Path(summary["index"]).is_file()
    assert summary["profiles"] == opened.uri(PLACE.profiles)
    assert summary["profiles_written"] == PROFILES
    assert summary["manifest_sha256"] == sha256_hex(benchmarked["files"][f"{PLACE.folder}/{MANIFEST}"])
    json.dumps(summary)  # the CLI prints it as JSON


def test_national_figures_and_changes_agree_with_sums_taken_straight_from_the_store(benchmarked):
    lake, table = benchmarked["lake"], benchmarked["table"].set_index("CSNumber")
    register = register_services(lake)
    minders = set(register.loc[register["CareService"] == "Child Minding", "CSNumber"])
    this_year = figures_by_hand(current_returns(lake, YEAR), minders)
    for name, (numerator, denominator) in this_year.items():
        has = ~np.isnan(numerator) & ~np.isnan(denominator) & (denominator > 0)
        national = numerator[has].sum() / denominator[has].sum() * 100
        published = {float(value) for value in table[f"{name}_National"]}
        assert len(published) == 1 and abs(published.pop() - national) <= 0.05 + 1e-9, name

    last = current_returns(lake, YEAR - 1)
    leavers, average = figures_by_hand(last, minders)["Turnover"]
    last_turnover = pd.Series(leavers / np.where(average > 0, average, np.nan) * 100, index=last["CSNumber"])
    now = current_returns(lake, YEAR)
    leavers, average = figures_by_hand(now, minders)["Turnover"]
    turnover = pd.Series(leavers / np.where(average > 0, average, np.nan) * 100, index=now["CSNumber"])
    change = (turnover - last_turnover.reindex(turnover.index)).dropna()
    published = table.loc[change.index, "Turnover_Change"].astype(float)
    assert len(change) > 300 and (published - change).abs().max() <= 0.05 + 1e-9
    blank = table.index.difference(change.index)
    assert len(blank) > 0 and (table.loc[blank, "Turnover_Change"] == "").all()


def figures_by_hand(returns: pd.DataFrame, minders: set[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each indicator's numerator and denominator per return, written out from the brief's definitions."""
    roles = list(load_dictionary().job_roles)

    def total(measure: str) -> np.ndarray:
        return returns[[f"{r}_{measure}" for r in roles]].astype(float).sum(axis=1, min_count=1).to_numpy()

    headcount, wte, vacant = total("Headcount"), total("WTE"), total("Vacant_WTE")
    leavers, starters, agency, absence = (
        total("Leavers"),
        total("Starters"),
        total("Agency_Hours"),
        total("Absence_Days"),
    )
    asked = ~returns["CSNumber"].isin(minders).to_numpy()
    return {
        "Turnover": (leavers, (headcount + headcount - starters + leavers) / 2),
        "Vacancy_Rate": (np.where(asked, vacant, np.nan), wte + vacant),
        "Agency_Reliance": (agency, agency + wte * 1950),
        "Absence_Rate": (absence, wte * 225),
        "SSSC_Registered_Share": (returns["SSSC_Registered_Staff"].astype(float).to_numpy(), headcount),
    }


def test_the_flow_draws_the_profiles_of_those_standing_out_most(benchmarked):
    table = benchmarked["table"]
    drawn = most_flagged(table, PROFILES)
    flags = table.set_index("CSNumber")["Flags"].astype(int)
    assert flags[drawn].tolist() == sorted(flags[drawn], reverse=True) and flags[drawn].min() >= 1
    assert flags.drop(drawn).max() <= flags[drawn].min()
    lake = open_lake(benchmarked["lake"])
    manifest = sha256_hex(benchmarked["files"][f"{PLACE.folder}/{MANIFEST}"])
    for cs_number in drawn:
        page = lake.read_bytes(PLACE.profile(cs_number))
        assert drawn_from(page) == manifest
        assert f'<p class="cs">{cs_number}</p>'.encode() in page
    index = lake.read_bytes(PLACE.index).decode()
    assert all(f'href="{cs_number}.html"' in index for cs_number in drawn)
    assert index.count("<tr data-find=") == len(table)


def test_a_rerun_on_the_same_returns_rewrites_nothing(benchmarked):
    lake = benchmarked["lake"]
    before = files_under(lake, InspectionBenchmarks.AREA)
    summary = benchmark_services(return_year=YEAR, lake=lake, profiles=PROFILES)
    assert files_under(lake, InspectionBenchmarks.AREA) == before
    assert files_under(lake, PLACE.folder) == benchmarked["files"]
    assert summary == benchmarked["summary"]


def test_a_service_profile_is_drawn_on_demand_from_the_table(benchmarked):
    lake, table = benchmarked["lake"], benchmarked["table"].set_index("CSNumber")
    flagged = most_flagged(benchmarked["table"], 1)[0]
    result = service_profile(flagged.lower(), return_year=YEAR, lake=lake)
    row = table.loc[flagged]
    assert result["cs_number"] == flagged and result["return_year"] == YEAR
    assert result["profile"] == open_lake(lake).uri(PLACE.profile(flagged))
    assert result["flags"] == {name: row[f"{name}_Flag"] for name in INDICATORS}
    assert result["stands_out"] == row["Flagged"].split("; ") and len(result["stands_out"]) == int(
        row["Flags"]
    )
    assert result["figures"] == {name: float(row[name]) if row[name] else None for name in INDICATORS}
    page = Path(result["profile"]).read_bytes()
    assert drawn_from(page) == benchmarked["summary"]["manifest_sha256"]
    assert page == open_lake(lake).read_bytes(PLACE.profile(flagged))

    unflagged = table.index[table["Flags"] == "0"][0]
    result = service_profile(unflagged, return_year=YEAR, lake=lake)
    assert result["stands_out"] == [] and Path(result["profile"]).is_file()
    assert f'href="{unflagged}.html"' in Path(benchmarked["summary"]["index"]).read_text()


def test_an_unknown_service_or_a_year_without_a_table_is_an_error_naming_it(benchmarked):
    lake = benchmarked["lake"]
    with pytest.raises(BadInputError, match=f"CS1999000001 is not in the inspection benchmarks of {YEAR}"):
        service_profile("CS1999000001", return_year=YEAR, lake=lake)
    with pytest.raises(MissingInputError, match="no inspection benchmarks for 2024"):
        service_profile(benchmarked["table"]["CSNumber"].iloc[0], return_year=2024, lake=lake)
    with pytest.raises(BadInputError, match="no annual returns have been ingested for 2024"):
        benchmark_services(return_year=2024, lake=lake, profiles=PROFILES)
    assert not open_lake(lake).exists(PLACE.profile("CS1999000001"))


def test_a_changed_table_clears_the_profiles_drawn_from_the_one_before(benchmarked):
    lake = open_lake(benchmarked["lake"])
    stale = PLACE.profile("CS1999000002")
    lake.write_bytes(stale, b'<meta name="carestats-table-manifest" content="' + b"e" * 64 + b'">')
    benchmark_services(return_year=YEAR, lake=benchmarked["lake"], profiles=PROFILES)
    assert not lake.exists(stale)
    drawn = sorted(most_flagged(benchmarked["table"], PROFILES))
    pages = [key.rsplit("/", 1)[1] for key in lake.list_keys(PLACE.profiles)]
    assert sorted(pages) == sorted([f"{cs_number}.html" for cs_number in drawn] + ["index.html"])


# Last in the module: once Playwright's browser is open on this thread, Prefect cannot run flows here.
def test_a_profile_and_the_index_read_well_in_a_browser(benchmarked, browser):
    table = benchmarked["table"].set_index("CSNumber")
    flagged = most_flagged(benchmarked["table"], 1)[0]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(Path(open_lake(benchmarked["lake"]).uri(PLACE.profile(flagged))).as_uri())
    assert page.title().startswith(f"{flagged} ")
    body = page.inner_text("body")
    assert "Internal: not for publication." in body
    assert page.inner_text("h1") == table.loc[flagged, "ServiceName"] and flagged in body
    assert f"Stands out on {table.loc[flagged, 'Flags']} of 5 indicators" in body
    figures = page.inner_text("#figures ~ .scroll table")
    assert figures.count("Stands out") == int(table.loc[flagged, "Flags"])
    assert page.locator("figure svg").is_visible()
    screenshot(page, "service-profile.png")

    page.goto(Path(benchmarked["summary"]["index"]).as_uri())
    assert page.locator("#services tbody tr:visible").count() == len(table)
    page.fill("#find", flagged.lower())
    assert page.locator("#services tbody tr:visible").count() == 1
    assert page.inner_text("#shown") == f'1 of {len(table)} services match "{flagged.lower()}".'
    screenshot(page, "benchmarks-index.png")
    page.click(f'a[href="{flagged}.html"]')
    page.wait_for_load_state()
    assert page.title().startswith(f"{flagged} ")
    page.close()
