"""The statistics' bulletin, read with a parser of its own: every number it shows is a cell of the tables,
as they publish it, and no other number is in its prose; its charts are described and followed by their
figures."""

from __future__ import annotations

import re

import pytest

from tasks.shared.cell_suppression import TOTAL
from tasks.statistics.bulletin import build_bulletin
from tasks.statistics.tables import BY_COUNCIL_AREA, BY_SERVICE_TYPE, TREND
from tests.support.return_statistics import DICTIONARY, Page, synthetic_services, tables_of


@pytest.fixture(scope="module")
def tables():
    return tables_of(synthetic_services())


@pytest.fixture(scope="module")
def bulletin(tables):
    return bulletin_of(tables.text)


def bulletin_of(text) -> str:
    files = {name: f"staff_vacancies_2026_{name}.csv" for name in text}
    return build_bulletin(text, DICTIONARY, 2026, files=files, workbook="staff_vacancies_2026.xlsx")


def table_cell(text, table: str, row: str, column: str, figure: str) -> str:
    frame = text[table]
    rows, columns = frame.columns[:2]
    (value,) = frame.loc[(frame[rows] == row) & (frame[columns] == column), figure]
    return value


def test_every_number_shown_is_the_cell_of_the_table_it_names(bulletin, tables):
    page = Page(bulletin)
    assert len(page.data) > 100
    for quoted in page.data:
        published = table_cell(
            tables.text,
            quoted["data-table"],
            quoted["data-row"],
            quoted["data-column"],
            quoted["data-figure"],
        )
        assert quoted["value"] == published, quoted
        assert quoted["text"].replace(",", "") == published, quoted  # shown as published, 1,234 for 1234
    assert {q["data-table"] for q in page.data} == set(tables.text)
    headline = page.data[:2]
    assert [(q["data-figure"], q["data-row"], q["data-column"]) for q in headline] == [
        ("Percent_With_Vacancies", TOTAL, TOTAL),
        ("Services", TOTAL, TOTAL),
    ]


def test_no_other_number_is_in_the_prose_and_dates_are_the_years_of_the_returns(bulletin, tables):
    page = Page(bulletin)
    prose = " ".join(page.prose)
    assert "had at least one vacancy" in prose
    assert not re.search(r"\d", prose), re.findall(r".{30}\d.{30}", prose)
    years = {int(y) for y in tables.text[TREND]["Return_Year"]}
    allowed = {str(y) for y in years} | {f"31 December {y - 1}" for y in years}
    assert set(page.times) <= allowed
    assert "31 December 2025" in page.times


def test_the_headline_compares_with_last_year_only_where_the_trend_has_it(bulletin, tables):
    prose = " ".join(Page(bulletin).prose)
    assert prose.count("a year earlier") == 2
    earlier = [q for q in Page(bulletin).data if q["data-table"] == TREND and q["data-row"] == "2025"][:2]
    assert [q["data-figure"] for q in earlier] == ["Percent_With_Vacancies", "Vacancy_Rate"]
    this_year_only = [s for s in synthetic_services() if s["Return_Year"] == 2026]
    assert "a year earlier" not in " ".join(Page(bulletin_of(tables_of(this_year_only).text)).prose)


def test_the_bulletin_is_drawn_from_the_tables_text_alone(tables, bulletin):
    text = {name: frame.copy() for name, frame in tables.text.items()}
    frame = text[BY_SERVICE_TYPE]
    total = (frame["Care_Service"] == TOTAL) & (frame["Sector"] == TOTAL)
    frame.loc[total, "Vacancy_Rate"] = "12.3"
    quoted = {
        (q["data-table"], q["data-row"], q["data-column"], q["data-figure"]): q["value"]
        for q in Page(bulletin_of(text)).data
    }
    assert quoted[(BY_SERVICE_TYPE, TOTAL, TOTAL, "Vacancy_Rate")] == "12.3"
    assert "12.3" not in {q["value"] for q in Page(bulletin).data}
    assert bulletin_of(tables.text) == bulletin  # the same tables, the same bytes


def test_charts_are_described_and_followed_by_their_figures(bulletin):
    page = Page(bulletin)
    assert bulletin.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    assert len(page.svgs) == 6 and all(svg["role"] == "img" and svg["aria-label"] for svg in page.svgs)
    assert len(page.titles_in_svg) == 6
    assert bulletin.count("<figure>") == bulletin.count("<caption>The figures behind the chart") == 6
    assert bulletin.count("<h1>") == 1 and bulletin.count("<h2>") == 8


def test_a_category_whose_figures_are_suppressed_has_no_bar_and_shows_c_in_the_figures(tables):
    text = {name: frame.copy() for name, frame in tables.text.items()}
    areas = text[BY_COUNCIL_AREA]
    hidden = (areas["Council_Area"] == "Angus") & (areas["Sector"] == TOTAL)
    areas.loc[hidden, areas.columns[2:]] = ["[c]"] * (len(areas.columns) - 3) + ["secondary"]
    section = bulletin_of(text).split("<h2>Vacancies by council area</h2>")[1].split("<h2>")[0]
    chart, figures = section.split("</svg>")
    assert ">Angus<" not in chart and ">Aberdeenshire<" in chart
    assert re.search(
        r'<th scope="row">Angus</th>(<td class="n"><data [^>]*>\[c\]</data></td>){4}</tr>', figures
    )
