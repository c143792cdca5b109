"""The statistics flow on the session's two ingested return years: every table checked against figures worked
out here from the curated store, disclosure proved on what was published, a rerun that changes nothing, and
the bulletin read beside the tables and opened in a browser."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carestats.dictionary import load_dictionary
from flows.publish_return_statistics import publish_return_statistics
from tasks.register.extract import parse_table
from tasks.shared.cell_suppression import TOTAL, ProtectedTable, TableSpec, audit
from tasks.shared.lake_map import MANIFEST, AnnualReturns, Catalogue, RegisterExtract, ReturnStatistics
from tests.support.browser import screenshot
from tests.support.return_statistics import Page

pytestmark = pytest.mark.usefixtures("prefect_harness")

YEAR = 2026
DICTIONARY = load_dictionary()
ROLES = list(DICTIONARY.job_roles)
FIGURES = {
    "vacancies_by_service_type_and_sector": ["Services", "Services_With_Vacancies", "WTE", "Vacant_WTE"],
    "vacancies_by_council_area_and_sector": ["Services", "Services_With_Vacancies", "WTE", "Vacant_WTE"],
    "hard_to_fill_reasons_by_sector": ["Services"],
    "staffing_by_role_and_sector": ["Services", "Headcount", "WTE", "Vacant_WTE"],
    "vacancies_by_return_year_and_sector": ["Services", "Services_With_Vacancies", "WTE", "Vacant_WTE"],
}
PUBLISHED_TOGETHER = [list(FIGURES)[:2], *[[name] for name in list(FIGURES)[2:]]]
TREND = "vacancies_by_return_year_and_sector"


@pytest.fixture(scope="module")
def published(two_return_years):
    """The flow's summary and the year's folder as it published it (file name to bytes)."""
    summary = publish_return_statistics(return_year=YEAR, lake=two_return_years)
    return summary, folder_files(two_return_years)


def folder_files(lake: str) -> dict[str, bytes]:
    folder = Path(lake) / ReturnStatistics(YEAR).folder
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def tables_in(files: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    """Every published table read back as text, by its name in the dictionary."""
    place = ReturnStatistics(YEAR)
    return {
        name: pd.read_csv(
            io.BytesIO(files[place.table(name)]), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
        for name in FIGURES
    }


@pytest.fixture(scope="module")
def units(two_return_years) -> dict[str, pd.DataFrame]:
    """The units of every table worked out here from the curated stores and the latest register extract."""
    lake = Path(two_return_years)
    extract = sorted((lake / RegisterExtract.AREA).iterdir())[-1]
    register = parse_table(
        lambda: (extract / "services.csv").open("rb"),
        "services.csv",
        DICTIONARY.extract_table("services"),
        DICTIONARY,
    ).frame
    years = []
    for year in (2025, 2026):
        returns = pd.read_parquet(lake / AnnualReturns(year).store / "returns.parquet")
        current = returns.loc[returns["Current"] == "Yes"].merge(
            register[["CSNumber", "CareService", "ServiceType", "Council_Area_Name"]], on="CSNumber"
        )
        years.append(current.loc[current["CareService"] != "Child Minding"].reset_index(drop=True))
    services = pd.concat(years, ignore_index=True)

    def summed(measure: str) -> np.ndarray:
        return sum(services[f"{r}_{measure}"].astype(float).fillna(0).to_numpy() for r in ROLES)

    vacancies = pd.DataFrame(
        {
            "CSNumber": services["CSNumber"],
            "Return_Year": services["Return_Year"].astype(str),
            "Care_Service": services["CareService"],
            "Council_Area": services["Council_Area_Name"],
            "Sector": services["ServiceType"],
            "Services_With_Vacancies": (summed("Vacant_WTE") > 0).astype(int),
            "WTE": summed("WTE"),
            "Vacant_WTE": summed("Vacant_WTE"),
            "Hard_To_Fill": summed("Hard_To_Fill"),
            "Reasons": services["Hard_To_Fill_Reasons"].fillna(""),
        }
    )
    this_year = vacancies.loc[vacancies["Return_Year"] == str(YEAR)]
    hard = this_year.loc[this_year["Hard_To_Fill"] > 0]
    reasons = hard.assign(Reason=hard["Reasons"].str.split("; ")).explode("Reason")
    roles = pd.concat(
        [
            pd.DataFrame(
                {
                    "CSNumber": services["CSNumber"],
                    "Return_Year": services["Return_Year"].astype(str),
                    "Sector": services["ServiceType"],
                    "Role": role.replace("_", " ").capitalize(),
                    **{
                        m: services[f"{role}_{m}"].astype(float).fillna(0)
                        for m in ("Headcount", "WTE", "Vacant_WTE")
                    },
                }
            )
            for role in ROLES
        ]
    )
    roles = roles.loc[
        (roles["Return_Year"] == str(YEAR)) & (roles[["Headcount", "WTE", "Vacant_WTE"]] > 0).any(axis=1)
    ]
    return {
        "vacancies_by_service_type_and_sector": this_year,
        "vacancies_by_council_area_and_sector": this_year,
        "hard_to_fill_reasons_by_sector": reasons.loc[reasons["Reason"] != ""],
        "staffing_by_role_and_sector": roles,
        "vacancies_by_return_year_and_sector": vacancies,
    }


def true_cells(units: pd.DataFrame, row: str, column: str, labels: pd.DataFrame, figures: list[str]):
    """Every cell the published table has (and the trend's total over years), with its figures and the
    distinct services behind it, worked out from the units."""
    records = []
    for r in dict.fromkeys([*labels[row], TOTAL]):
        in_row = units if r == TOTAL else units.loc[units[row] == r]
        for c in dict.fromkeys([*labels[column], TOTAL]):
            chosen = in_row if c == TOTAL else in_row.loc[in_row[column] == c]
            sums = {f: float(len(chosen)) if f == "Services" else float(chosen[f].sum()) for f in figures}
            records.append({row: r, column: c, **sums, "Behind": chosen["CSNumber"].nunique()})
    return pd.DataFrame(records)


def test_every_table_is_published_as_worked_out_here_and_no_suppressed_cell_can_be_worked_out(
    published, units
):
    summary, files = published
    text = tables_in(files)
    threshold = DICTIONARY.return_statistics["disclosure"]["min_cell_services"]
    protected = {}
    for name, figures in FIGURES.items():
        layout = DICTIONARY.return_statistics["tables"][name]
        row, column = layout["rows"], layout["columns"]
        cells = true_cells(units[name], row, column, text[name], figures)
        shown = cells.merge(text[name], on=[row, column], how="left", suffixes=("", "_published"))
        dropped = shown["Suppressed"].isna()  # the trend's total over return years, never published
        assert set(shown.loc[dropped, row]) == ({TOTAL} if name == TREND else set())
        live = shown.loc[~dropped]
        published_cells = live.loc[live["Suppressed"] == ""]
        small = published_cells.loc[(published_cells["Behind"] > 0) & (published_cells["Behind"] < threshold)]
        assert small.empty, f"{name}: cells of 1 to {threshold - 1} services published:\n{small}"
        assert (published_cells["Services_published"].astype(int) == published_cells["Services"]).all(), name
        hidden = live.loc[live["Suppressed"] != ""]
        assert (
            (hidden[[f"{f}_published" for f in figures if f != "Services"] + ["Services_published"]] == "[c]")
            .all()
            .all()
        )
        assert (hidden.loc[hidden["Behind"].between(1, threshold - 1), "Suppressed"] == "primary").all()
        spec = TableSpec(name, row, column, "Services", figures[1:])
        status = shown["Suppressed"].fillna("")  # what was never published is taken as known: the harder test
        protected[name] = ProtectedTable(
            spec, shown[[row, column, *figures]].assign(Suppression=status.to_numpy())
        )
    protection = DICTIONARY.return_statistics["disclosure"]["protection"]
    for group in PUBLISHED_TOGETHER:
        for name in group:
            found = audit(protected[name], protection, [protected[other] for other in group if other != name])
            assert not found["recoverable"].any(), f"{name}:\n{found.loc[found['recoverable']]}"
    suppressed = {n: int((text[n]["Suppressed"] != "").sum()) for n in FIGURES}
    assert sum(suppressed.values()) > 0
    assert {n: c["primary"] + c["secondary"] for n, c in summary["suppressed"].items()} == suppressed


def test_the_national_figures_are_those_of_the_store(published, units):
    summary, files = published
    services = units["vacancies_by_service_type_and_sector"]
    expected = {
        "services": len(services),
        "percent_with_vacancies": round(100 * services["Services_With_Vacancies"].mean(), 1),
        "vacancy_rate": round(
            100 * services["Vacant_WTE"].sum() / (services["WTE"] + services["Vacant_WTE"]).sum(), 1
        ),
    }
    assert summary["headline"] == expected
    # Near what Scotland publishes: 36% to 44% of services with vacancies, a WTE vacancy rate of 5.5% to 5.9%.
    assert 25 <= expected["percent_with_vacancies"] <= 55 and 3 <= expected["vacancy_rate"] <= 9
    total = tables_in(files)["vacancies_by_service_type_and_sector"].iloc[-1]
    assert (total["Care_Service"], total["Sector"]) == (TOTAL, TOTAL)
    assert total["WTE"] == str(int(np.floor(services["WTE"].sum() / 5 + 0.5) * 5))
    assert total["Percent_With_Vacancies"] == f"{expected['percent_with_vacancies']:.1f}"


def test_the_run_publishes_every_file_with_a_manifest_and_says_what_it_did(published, two_return_years):
    summary, files = published
    place = ReturnStatistics(YEAR)
    assert summary["return_year"] == YEAR and summary["quality"] == "passed"
    assert summary["folder"].endswith(place.folder)
    assert summary["files"] == sorted(files) and summary["outcome"] == "published"
    assert {place.workbook, place.bulletin, MANIFEST, *(place.table(n) for n in FIGURES)} == set(files)
    manifest = json.loads(files[MANIFEST])
    assert manifest["trend_years"] == summary["trend_years"] == [2025, YEAR]
    assert manifest["simulated"] is True and manifest["describes"] == "2025-12-31"
    assert set(manifest["files"]) == set(files) - {MANIFEST}
    latest = json.loads((Path(two_return_years) / place.AREA / "latest.json").read_text())
    assert latest["edition"] == str(YEAR)
    report = json.loads(
        (
            Path(two_return_years) / place.quality_report.folder / f"{place.quality_report.stem}.json"
        ).read_text()
    )
    assert report["status"] == "passed" and report["evaluated"] > 40
    trend = tables_in(files)["vacancies_by_return_year_and_sector"]
    assert list(dict.fromkeys(trend["Return_Year"])) == ["2025", "2026"] and TOTAL not in set(
        trend["Return_Year"]
    )


def test_the_public_catalogue_lists_the_year_with_every_file_as_its_manifest_states_it(
    published, two_return_years
):
    summary, files = published
    place = ReturnStatistics(YEAR)
    lake = Path(two_return_years)
    assert summary["catalogue"] == str(lake / Catalogue.key(Catalogue.PAGE))
    (listed,) = json.loads((lake / Catalogue.key(Catalogue.JSON)).read_text())["statistics"]
    manifest = json.loads(files[MANIFEST])
    linked = [listed["bulletin"], listed["workbook"], *listed["tables"]]
    assert {file["name"] for file in linked} == set(files) - {MANIFEST}
    for file in linked:  # each link leads, from the publish area, to the file whose sha256 it states
        assert file["link"] == f"statistics/{YEAR}/{file['name']}"
        assert file["sha256"] == manifest["files"][file["name"]]["sha256"]
    assert [table["title"] for table in listed["tables"]] == [
        spec["title"] for spec in DICTIONARY.return_statistics["tables"].values()
    ]
    page = (lake / Catalogue.key(Catalogue.PAGE)).read_text()
    assert "<h2>Statistics from the annual returns</h2>" in page
    assert f'href="statistics/{YEAR}/{place.bulletin}"' in page


def test_a_rerun_on_the_same_returns_changes_no_byte(published, two_return_years):
    summary, files = published
    again = publish_return_statistics(return_year=YEAR, lake=two_return_years)
    assert again["outcome"] == "unchanged"
    assert {k: v for k, v in again.items() if k != "outcome"} == {
        k: v for k, v in summary.items() if k != "outcome"
    }
    assert folder_files(two_return_years) == files


def test_the_bulletin_quotes_the_published_tables_and_reads_well_in_a_browser(
    published, two_return_years, browser
):
    summary, files = published
    place = ReturnStatistics(YEAR)
    page_text = files[place.bulletin].decode("utf-8")
    text = tables_in(files)
    quotes = Page(page_text)
    assert len(quotes.data) > 100
    for quote in quotes.data:
        table = text[quote["data-table"]]
        rows, columns = table.columns[:2]
        (value,) = table.loc[
            (table[rows] == quote["data-row"]) & (table[columns] == quote["data-column"]),
            quote["data-figure"],
        ]
        assert quote["value"] == value, quote
    assert not re.search(r"\d", " ".join(quotes.prose))

    page = browser.new_page(viewport={"width": 900, "height": 1200})
    try:
        page.goto((Path(two_return_years) / place.folder / place.bulletin).as_uri())
        screenshot(page, "statistics-bulletin.png")
        assert page.title().startswith("Staff vacancies in care services, Scotland")
        assert (
            page.locator("h1").inner_text() == "Staff vacancies in care services, Scotland: 31 December 2025"
        )
        points = page.locator("main ul").first.inner_text()
        headline = summary["headline"]
        assert (
            f"{headline['percent_with_vacancies']:.1f}% of the {headline['services']:,} care services asked "
            "about vacancies (childminders aside) had at least one vacancy" in points
        )
        assert "Simulated data, not official statistics" in page.locator("header").inner_text()
        charts = page.locator("figure svg")
        assert charts.count() == 6
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and 300 < box["width"] <= 900 and box["height"] > 50
        assert page.evaluate("document.documentElement.scrollWidth") <= 900  # nothing wider than the window
        assert page.locator("table").count() == 6
    finally:
        page.close()
