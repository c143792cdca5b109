"""The statistics' bulletin: one self-contained HTML page of the main findings, with charts.

Built only from the published tables' text (the frames their CSV files are written from), never from the
returns: every number it shows is a cell of a table, marked up as <data value=... data-table=... data-row=...
data-column=... data-figure=...> so that the gate and a reader's tools can look each one up. Charts are
inline SVG (tasks/shared/charts.py) with a title and a description, each followed by the table of the figures
it draws. Dates are marked up as <time>. The same tables give the same bytes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

import pandas as pd

from carestats.dictionary import DataDictionary
from tasks.shared.cell_suppression import TOTAL
from tasks.shared.charts import HIGHLIGHT, MAIN, chart, svg_text
from tasks.shared.statistical_tables import NOT_APPLICABLE, SUPPRESSED
from tasks.statistics.spreadsheet import SIMULATED, described_day
from tasks.statistics.tables import BY_COUNCIL_AREA, BY_SERVICE_TYPE, REASONS, ROLES, TREND

QUOTE_COLUMNS = ["Table", "Row", "Column", "Figure", "Quoted"]  # what quoted_figures() finds of each number
PERCENTAGES = ("Percent_With_Vacancies", "Vacancy_Rate")
CHART_WIDTH = 7.5  # inches
BAR_HEIGHT = 0.32  # inches per bar
CAPTIONS = {
    "Services": "Services",
    "Services_With_Vacancies": "Services with vacancies",
    "Percent_With_Vacancies": "Services with vacancies (%)",
    "Headcount": "Headcount",
    "WTE": "WTE staff",
    "Vacant_WTE": "Vacant WTE",
    "Vacancy_Rate": "Vacancy rate (%)",
}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#0b0c0c;line-height:1.5;
margin:0 auto;padding:1rem 1.25rem 3rem;max-width:52rem}
h1{font-size:1.9rem;line-height:1.2}h2{font-size:1.4rem;margin-top:2.5rem;border-top:1px solid #b1b4b6;
padding-top:1rem}
.label{color:#505a5f;font-weight:600;margin:0}.warning{border-left:6px solid #d4351c;padding:.5rem 1rem;
font-weight:600}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}figcaption{font-weight:600}
table{border-collapse:collapse;margin:1rem 0;font-size:.95rem}caption{text-align:left;font-weight:600;
padding-bottom:.3rem}
th,td{border-bottom:1px solid #b1b4b6;padding:.3rem .6rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}a{color:#1d70b8}
"""


@dataclass(frozen=True)
class PublishedTables:
    """The published tables' text by name, and how to quote a cell of one as a marked-up number."""

    text: dict[str, pd.DataFrame]

    def cell(self, table: str, row: str, column: str, figure: str) -> str:
        """A cell's text exactly as its CSV holds it."""
        frame = self.text[table]
        rows, columns = frame.columns[:2]
        found = frame.loc[(frame[rows] == row) & (frame[columns] == column), figure]
        if len(found) != 1:
            raise KeyError(f"{table}: no single cell {row!r} x {column!r}")
        return str(found.iloc[0])

    def number(self, table: str, row: str, column: str, figure: str) -> float | None:
        """A cell as a number, None where it is [c] or [x]."""
        return _as_number(self.cell(table, row, column, figure))

    def quote(self, table: str, row: str, column: str, figure: str, unit: str = "") -> str:
        """A cell as the page shows it, marked up with where it comes from; `unit` after it when it is a
        number (a % in prose).
        """
        value = self.cell(table, row, column, figure)
        suffix = unit if _as_number(value) is not None else ""
        return (
            f'<data value="{_e(value)}" data-table="{_e(table)}" data-row="{_e(row)}" '
            f'data-column="{_e(column)}" data-figure="{_e(figure)}">{_e(shown(value))}</data>{suffix}'
        )

    def categories(self, table: str) -> list[str]:
        """A table's row categories in its order, the total left out."""
        rows = self.text[table][self.text[table].columns[0]]
        return [r for r in dict.fromkeys(rows) if r != TOTAL]


def build_bulletin(
    text: dict[str, pd.DataFrame],
    dictionary: DataDictionary,
    return_year: int,
    *,
    files: dict[str, str],
    workbook: str,
    simulated: bool = False,
) -> str:
    """The bulletin's HTML from the published tables' text. `files`: each table's CSV file name, `workbook`
    the spreadsheet's, which it links to.
    """
    tables = PublishedTables(text)
    title = f"{dictionary.return_statistics['title']}, Scotland"
    day = f'<time datetime="{return_year - 1}-12-31">{described_day(return_year)}</time>'
    sections = [
        _main_points(tables, return_year, day),
        _by_service_type(tables),
        _by_sector(tables),
        _by_council_area(tables),
        _reasons(tables),
        _roles(tables),
        _trend(tables),
        _about(dictionary, files, workbook, return_year),
    ]
    warning = (
        f'<p class="warning">{SIMULATED}: this bulletin was made from simulated annual returns of fictitious '
        "care services, to test and demonstrate the publication.</p>"
        if simulated
        else ""
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en-GB">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}: {described_day(return_year)}</title><style>{CSS}</style></head>",
            "<body>",
            "<header>",
            '<p class="label">Statistics from the care service annual returns of '
            f"<time>{return_year}</time></p>",
            f"<h1>{_e(title)}: {day}</h1>",
            warning,
            "</header>",
            "<main>",
            *sections,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def quoted_figures(page: str) -> pd.DataFrame:
    """Every number a bulletin quotes: the table, row, column and figure it names and the value it gives
    (QUOTE_COLUMNS), in page order.
    """
    finder = _DataFinder()
    finder.feed(page)
    return pd.DataFrame(finder.found, columns=QUOTE_COLUMNS)


class _DataFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "data":
            got = dict(attrs)
            names = ("data-table", "data-row", "data-column", "data-figure", "value")
            self.found.append(tuple(got.get(name) or "" for name in names))


def _main_points(tables: PublishedTables, return_year: int, day: str) -> str:
    """The national share of services with vacancies and vacancy rate, against last year's where the trend has
    it; the sector and job role where the rate is highest; the most common reason vacancies are hard to fill.
    """
    total = (BY_SERVICE_TYPE, TOTAL, TOTAL)
    points = [
        f"On {day}, {tables.quote(*total, 'Percent_With_Vacancies', '%')} of the "
        f"{tables.quote(*total, 'Services')} care services asked about vacancies (childminders aside) had at "
        "least one vacancy" + _last_year(tables, return_year, "Percent_With_Vacancies") + ".",
        "The vacancy rate, vacant posts as a share of filled and vacant posts in whole-time equivalents "
        f"(WTE), was {tables.quote(*total, 'Vacancy_Rate', '%')}"
        + _last_year(tables, return_year, "Vacancy_Rate")
        + ".",
    ]
    sector = _highest(tables, BY_SERVICE_TYPE, "Vacancy_Rate", by_column=True)
    if sector:
        points.append(
            f"By sector, the vacancy rate was highest in {_e(sector)} services: "
            f"{tables.quote(BY_SERVICE_TYPE, TOTAL, sector, 'Vacancy_Rate', '%')}."
        )
    role = _highest(tables, ROLES, "Vacancy_Rate")
    if role:
        points.append(
            f"By job role, it was highest for {_e(role.lower())} posts: "
            f"{tables.quote(ROLES, role, TOTAL, 'Vacancy_Rate', '%')}."
        )
    reason = _highest(tables, REASONS, "Services")
    if reason:
        points.append(
            f"The reason most often given for vacancies being hard to fill was {_e(reason.lower())}, by "
            f"{tables.quote(REASONS, reason, TOTAL, 'Services')} services."
        )
    return "<h2>Main points</h2>\n<ul>" + "".join(f"<li>{p}</li>" for p in points) + "</ul>"


def _last_year(tables: PublishedTables, return_year: int, figure: str) -> str:
    """The clause comparing with last year's figure in the trend (against X a year earlier), or nothing
    where the trend has no such figure published.
    """
    previous = str(return_year - 1)
    if previous not in tables.categories(TREND) or tables.number(TREND, previous, TOTAL, figure) is None:
        return ""
    unit = "%" if figure in PERCENTAGES else ""
    return f", against {tables.quote(TREND, previous, TOTAL, figure, unit)} a year earlier"


def _highest(tables: PublishedTables, table: str, figure: str, by_column: bool = False) -> str | None:
    """The category (a row; a column of the totals row when `by_column`) whose published figure is highest."""
    frame = tables.text[table]
    rows, columns = frame.columns[:2]
    at_total = frame.loc[frame[rows if by_column else columns] == TOTAL]
    label = columns if by_column else rows
    values = {
        category: _as_number(value)
        for category, value in zip(at_total[label], at_total[figure], strict=True)
        if category != TOTAL
    }
    shown = {category: value for category, value in values.items() if value is not None}
    return max(shown, key=shown.__getitem__) if shown else None


def _by_service_type(tables: PublishedTables) -> str:
    rows = tables.categories(BY_SERVICE_TYPE)
    return _section(
        "Vacancies by type of care service",
        "How many services of each type had vacancies, and the vacancy rate: the total over sectors of each "
        "type of care service.",
        tables,
        BY_SERVICE_TYPE,
        [(row, TOTAL) for row in [*rows, TOTAL]],
        ["Services", "Services_With_Vacancies", "Percent_With_Vacancies", "Vacancy_Rate"],
        ["Percent_With_Vacancies", "Vacancy_Rate"],
        "Type of care service",
    )


def _by_sector(tables: PublishedTables) -> str:
    frame = tables.text[BY_SERVICE_TYPE]
    sectors = [c for c in dict.fromkeys(frame[frame.columns[1]]) if c != TOTAL]
    return _section(
        "Vacancies by sector",
        "Services by the sector of the provider that runs them, every type of care service together.",
        tables,
        BY_SERVICE_TYPE,
        [(TOTAL, sector) for sector in [*sectors, TOTAL]],
        ["Services", "Services_With_Vacancies", "Percent_With_Vacancies", "Vacancy_Rate"],
        ["Percent_With_Vacancies", "Vacancy_Rate"],
        "Sector",
        label_of=lambda row, column: column,
    )


def _by_council_area(tables: PublishedTables) -> str:
    rows = tables.categories(BY_COUNCIL_AREA)
    return _section(
        "Vacancies by council area",
        "The share of services with vacancies in each council area, every sector together. Areas with few "
        f"services show {SUPPRESSED} to protect the services in them.",
        tables,
        BY_COUNCIL_AREA,
        [(row, TOTAL) for row in [*rows, TOTAL]],
        ["Services", "Services_With_Vacancies", "Percent_With_Vacancies", "Vacancy_Rate"],
        ["Percent_With_Vacancies"],
        "Council area",
    )


def _reasons(tables: PublishedTables) -> str:
    rows = tables.categories(REASONS)
    return _section(
        "Why vacancies are hard to fill",
        "Services with vacancies they found hard to fill said why, choosing every reason that applied: a "
        "service giving several reasons is counted under each, so the total counts reasons given.",
        tables,
        REASONS,
        [(row, TOTAL) for row in [*rows, TOTAL]],
        ["Services"],
        ["Services"],
        "Reason",
        label_html=lambda label: "All reasons given" if label == TOTAL else _e(label),
    )


def _roles(tables: PublishedTables) -> str:
    rows = tables.categories(ROLES)
    return _section(
        "Staff and vacancies by job role",
        "Staff employed and posts vacant in each job role, every sector together. A service is counted once "
        "for each role it employs staff in or recruits to.",
        tables,
        ROLES,
        [(row, TOTAL) for row in [*rows, TOTAL]],
        ["Services", "Headcount", "WTE", "Vacant_WTE", "Vacancy_Rate"],
        ["Vacancy_Rate"],
        "Job role",
        label_html=lambda label: "All roles" if label == TOTAL else _e(label),
    )


def _trend(tables: PublishedTables) -> str:
    rows = tables.categories(TREND)
    return _section(
        "Vacancies over the years",
        "The share of services with vacancies and the vacancy rate in every return year held, each year "
        "describing services on the last day of the year before.",
        tables,
        TREND,
        [(row, TOTAL) for row in rows],
        ["Services", "Services_With_Vacancies", "Percent_With_Vacancies", "Vacancy_Rate"],
        ["Percent_With_Vacancies", "Vacancy_Rate"],
        "Return year",
        label_html=lambda label: f"<time>{_e(label)}</time>",
    )


def _section(
    heading: str,
    about: str,
    tables: PublishedTables,
    table: str,
    cells: list[tuple[str, str]],
    figures: list[str],
    charted: list[str],
    dimension: str,
    *,
    label_of=lambda row, column: row,
    label_html=lambda label: _e(label),
) -> str:
    """A heading, what it shows, a chart of the `charted` figures of the cells (those published), and the
    table of the figures behind it, every number quoted from the table.
    """
    labels = [label_of(row, column) for row, column in cells]
    drawn = [
        (label, cell)
        for label, cell in zip(labels, cells, strict=True)
        if cell != (TOTAL, TOTAL) and any(tables.number(table, *cell, f) is not None for f in charted)
    ]
    series = {
        CAPTIONS[figure]: [tables.cell(table, *cell, figure) for _, cell in drawn] for figure in charted
    }
    title = f"{heading}: " + " and ".join(CAPTIONS[f].lower() for f in charted)
    description = (
        f"Bar chart of {' and '.join(CAPTIONS[f].lower() for f in charted)} by {dimension.lower()}. "
        f"Categories whose figures are {SUPPRESSED} or {NOT_APPLICABLE} in the table below are left out. "
        "The figures are in the table."
    )
    svg = _bar_chart([label for label, _ in drawn], series, title, description)
    head = "".join(f'<th scope="col" class="n">{_e(CAPTIONS[f])}</th>' for f in figures)
    body = "".join(
        f'<tr><th scope="row">{label_html(label)}</th>'
        + "".join(f'<td class="n">{tables.quote(table, *cell, f)}</td>' for f in figures)
        + "</tr>"
        for label, cell in zip(labels, cells, strict=True)
    )
    return "\n".join(
        [
            f"<h2>{_e(heading)}</h2>",
            f"<p>{about}</p>",
            f"<figure>{svg}<figcaption>{_e(title)}</figcaption></figure>",
            f"<table><caption>The figures behind the chart: {_e(heading.lower())}</caption>",
            f'<thead><tr><th scope="col">{_e(dimension)}</th>{head}</tr></thead>',
            f"<tbody>{body}</tbody></table>",
        ]
    )


def _bar_chart(labels: list[str], series: dict[str, list[str]], title: str, description: str) -> str:
    """Horizontal bars, one group per label and one bar per series of published figures, each labelled as
    the table shows it; no bar where a figure is not published. Inline SVG with `title`, described for
    screen readers.
    """
    colours = [MAIN, HIGHLIGHT]
    height = BAR_HEIGHT * len(labels) * len(series) + 0.9
    with chart(CHART_WIDTH, height) as figure:
        axes = figure.add_subplot()
        bar = 0.8 / len(series)
        for i, (name, values) in enumerate(series.items()):
            positions = [k + (i - (len(series) - 1) / 2) * bar for k in range(len(labels))]
            drawn = [(p, v) for p, v in zip(positions, values, strict=True) if _as_number(v) is not None]
            bars = axes.barh(
                [p for p, _ in drawn],
                [_as_number(v) for _, v in drawn],
                height=bar,
                color=colours[i],
                label=name,
            )
            axes.bar_label(bars, labels=[shown(v) for _, v in drawn], padding=3, fontsize=8)
        axes.set_yticks(range(len(labels)), labels)
        axes.invert_yaxis()
        axes.margins(x=0.12)
        axes.tick_params(axis="y", length=0)
        if len(series) > 1:
            axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=len(series), frameon=False)
        else:
            axes.set_xlabel(next(iter(series)))
        svg = svg_text(figure, title)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_e(description)}" ', 1)


def _about(dictionary: DataDictionary, files: dict[str, str], workbook: str, return_year: int) -> str:
    """Where the figures come from, what the symbols mean, the files to download, and whom to ask."""
    publisher = dictionary.publisher
    links = "".join(
        f'<li><a href="{_e(files[name])}">{_e(dictionary.return_statistics["tables"][name]["title"])}</a> '
        "(CSV)</li>"
        for name in files
    )
    return "\n".join(
        [
            "<h2>About these statistics</h2>",
            "<p>Every figure comes from the care service annual returns of "
            f"<time>{return_year}</time> accepted by {_e(publisher.name)}, each service described by its "
            "entry on the register. Childminders are not asked about vacancies and are left out. Staff "
            "figures are rounded; percentages are worked out before rounding.</p>",
            f"<p>{SUPPRESSED} marks a figure suppressed to protect the confidentiality of the services in a "
            f"small group; {NOT_APPLICABLE} a figure that cannot exist, such as a percentage of no services. "
            "The notes in the spreadsheet give the rules in full.</p>",
            f'<h3>Download the tables</h3><ul><li><a href="{_e(workbook)}">Every table in one spreadsheet, '
            f"with notes and definitions</a> (Excel)</li>{links}</ul>",
            f'<p>Contact: {_e(publisher.name)} {_e(publisher.team)}, <a href="mailto:{_e(publisher.email)}">'
            f'{_e(publisher.email)}</a>. <a href="{_e(publisher.website)}">{_e(publisher.website)}</a></p>',
        ]
    )


def shown(value: str) -> str:
    """A published figure as people read it: thousands separated (1,659), symbols as they are."""
    number = _as_number(value)
    if number is None:
        return value
    return f"{number:,.1f}" if "." in value else f"{int(number):,}"


def _as_number(text: str) -> float | None:
    return None if text in (SUPPRESSED, NOT_APPLICABLE, "") else float(text)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
