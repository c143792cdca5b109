"""The statistics' accessible spreadsheet: cover, contents, notes, definitions and one table per sheet.

Follows the Analysis Function's guidance on releasing statistics in spreadsheets: every sheet's title in A1
and how to read it in A2, one table per sheet as an Excel table with a header row, no merged cells and no
blank rows or columns inside a table, sheet names without spaces, [c] for a suppressed figure and [x] for one
that cannot exist, notes referred to as [note 1] and kept on their own sheet. The tables are the published
CSV text, numbers typed as numbers; the file has fixed timestamps, so the same tables give the same bytes.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from carestats.dictionary import Column, DataDictionary
from tasks.shared.excel.sheets import (
    TABLE_TOP_ROW,
    WRAP,
    document_bytes,
    fit_row_heights,
    font,
    set_print,
    typed_values,
    write_sheet_title,
    write_table_sheet,
)
from tasks.shared.statistical_tables import NOT_APPLICABLE, SUPPRESSED
from tasks.statistics.tables import BY_COUNCIL_AREA, BY_SERVICE_TYPE, REASONS, ROLES, TREND, role_label

COVER_SHEET, CONTENTS_SHEET, NOTES_SHEET, DEFINITIONS_SHEET = "Cover", "Contents", "Notes", "Definitions"
DECIMAL_FORMAT = "0.0"  # percentages, to the one decimal place the tables give them
COVER_WIDTH = 72  # characters: the Cover's one column, within a portrait A4 page
TEXT_COLUMN_WIDTH = 90  # the notes' and definitions' text, wrapped
TOP = Alignment(vertical="top")
SIMULATED = "Simulated data, not official statistics"
# The notes each table refers to in its title, by the names notes() gives them.
TABLE_NOTES = {
    BY_SERVICE_TYPE: ["coverage", "childminders", "suppression", "rounding", "not applicable"],
    BY_COUNCIL_AREA: ["coverage", "childminders", "suppression", "rounding", "not applicable"],
    REASONS: ["coverage", "childminders", "suppression", "reasons"],
    ROLES: ["coverage", "childminders", "suppression", "rounding", "not applicable", "roles"],
    TREND: ["coverage", "childminders", "suppression", "rounding", "not applicable", "trend"],
}


def sheet_names(text: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Each table's sheet, in publication order: Table_1, Table_2, ..."""
    return {name: f"Table_{number}" for number, name in enumerate(text, start=1)}


def described_day(return_year: int) -> str:
    """The day a return year's answers describe, as titles write it: 31 December of the year before."""
    return f"31 December {return_year - 1}"


def table_title(dictionary: DataDictionary, name: str, years: list[int]) -> str:
    """A table's title as its sheet and the contents give it, with the day it describes (the first and last
    of them, for a table of several return years).
    """
    days = " to ".join(dict.fromkeys(described_day(year) for year in (min(years), max(years))))
    return f"{dictionary.return_statistics['tables'][name]['title']}, Scotland, {days}"


def notes(dictionary: DataDictionary, return_year: int, extract_date: dt.date) -> dict[str, str]:
    """Every note the tables refer to, by name, in their order (note 1 first)."""
    disclosure = dictionary.return_statistics["disclosure"]
    rounding = disclosure["table_rounding"]
    return {
        "coverage": (
            f"Every care service with a current accepted annual return for {return_year}, which describes "
            f"the service on {described_day(return_year)}. Type of care service, sector and council area are "
            f"the service's on the register extract of {extract_date:%d/%m/%Y}."
        ),
        "childminders": (
            "Childminders are not asked about vacancies, so they are left out of every table, the staff "
            "and job role figures included."
        ),
        "suppression": (
            f"{SUPPRESSED}: suppressed to protect confidentiality. A cell of fewer than "
            f"{disclosure['min_cell_services']} services is suppressed (primary); further cells are "
            "suppressed (secondary) so that no suppressed cell can be worked out from the published cells "
            f"and totals to within {disclosure['protection']:.0%} of its value, as an audit by linear "
            "programming confirms. The Suppressed column says which."
        ),
        "rounding": (
            "Staff figures are rounded to the nearest multiple of: "
            + ", ".join(f"{figure} {base}" for figure, base in rounding.items())
            + ". Percentages are worked out from unrounded figures, to one decimal place, so totals may not "
            "equal the sum of their rounded parts. Counts of services are not rounded."
        ),
        "not applicable": (
            f"{NOT_APPLICABLE}: not applicable, a percentage of nothing (a cell with no services, or with no "
            "staff and no vacancies)."
        ),
        "reasons": (
            "Services with vacancies hard to fill could give several reasons, and are counted once for each "
            "reason they gave: the rows cannot be added up to count services, and the Total row counts "
            "reasons given."
        ),
        "roles": (
            "A service is counted once for each job role it employs staff in or recruits to: the Total row's "
            "Services counts services once for each such role; its Headcount, WTE and Vacant_WTE are totals "
            "over every role. Job roles: "
            + " ".join(f"{role_label(role)}: {what}" for role, what in dictionary.job_roles.items())
        ),
        "trend": (
            "One row per return year whose returns are held; each year's services are described as the "
            "register describes them now. There is no total over return years: it would add up different "
            "years."
        ),
    }


def build_workbook(
    text: dict[str, pd.DataFrame],
    dictionary: DataDictionary,
    return_year: int,
    extract_date: dt.date,
    *,
    bulletin: str,
    simulated: bool = False,
) -> bytes:
    """The workbook of every published table (their CSV text, numbers typed): the same tables, the same
    bytes. `bulletin` is the bulletin's file name, which the cover points to.
    """
    title = f"{dictionary.return_statistics['title']}, Scotland, {described_day(return_year)}"
    if simulated:
        title = f"{SIMULATED}: {title}"
    note_texts = notes(dictionary, return_year, extract_date)
    number = {name: i for i, name in enumerate(note_texts, start=1)}
    sheets = sheet_names(text)

    wb = Workbook()
    cover = wb.active
    cover.title = COVER_SHEET
    contents = wb.create_sheet(CONTENTS_SHEET)
    notes_ws = wb.create_sheet(NOTES_SHEET)
    definitions = wb.create_sheet(DEFINITIONS_SHEET)
    titles = {}
    for name, table in text.items():
        ws = wb.create_sheet(sheets[name])
        references = " ".join(f"[note {number[n]}]" for n in TABLE_NOTES[name])
        years = [int(y) for y in table["Return_Year"]] if name == TREND else [return_year]
        titles[name] = f"{table_title(dictionary, name, years)} {references}"
        write_sheet_title(
            ws,
            f"{sheets[name].replace('_', ' ')}: {titles[name]}",
            f"This worksheet contains one table, '{name}', the same as the CSV file of that name. "
            f"{SUPPRESSED} marks a suppressed figure, {NOT_APPLICABLE} one that cannot exist; the notes are "
            f"on the {NOTES_SHEET} sheet and what every column means on the {DEFINITIONS_SHEET} sheet.",
        )
        _write_table(ws, table, dictionary.statistics_table_columns(), name)

    _write_text_table(
        notes_ws,
        "Notes",
        "This worksheet contains one table of the notes the tables refer to, as [note 1] and so on.",
        {"Note number": [f"note {number[n]}" for n in note_texts], "Note text": list(note_texts.values())},
    )
    columns = dictionary.statistics_table_columns()
    _write_text_table(
        definitions,
        "Definitions",
        "This worksheet contains one table: what every figure of the tables means.",
        {"Column": [c.name for c in columns], "Definition": [c.definition for c in columns]},
    )
    _write_contents(contents, sheets, titles)
    _write_cover(cover, dictionary, title, return_year, bulletin, simulated)
    return document_bytes(wb, title, dt.datetime(return_year - 1, 12, 31), opens_on=cover)


def _write_table(ws: Worksheet, table: pd.DataFrame, figures: list[Column], name: str) -> None:
    """One published table from TABLE_TOP_ROW: labels as text (return years as numbers), figures as numbers
    where they are numbers, [c] and [x] as text.
    """
    known = {c.name: c for c in figures}
    columns = {
        label: [int(v) if label == "Return_Year" else v for v in table[label].tolist()]
        for label in table.columns[:2]
    }
    columns |= {c: typed_values(table[c], known[c]) for c in table.columns[2:]}
    write_table_sheet(ws, columns, {c: known.get(c) for c in table.columns}, name)
    for index, label in enumerate(table.columns, start=1):
        if label in known and known[label].type == "decimal":  # one decimal place, 28.0 rather than 28
            for (cell,) in ws.iter_rows(min_row=TABLE_TOP_ROW + 1, min_col=index, max_col=index):
                if isinstance(cell.value, float):
                    cell.number_format = DECIMAL_FORMAT
    set_print(ws, TABLE_TOP_ROW + len(table), len(columns), title_rows=f"{TABLE_TOP_ROW}:{TABLE_TOP_ROW}")


def _write_text_table(ws: Worksheet, name: str, about: str, columns: dict[str, list[str]]) -> None:
    """A table of text (the contents, the notes, the definitions) whose last column wraps at a readable
    width, every cell at the top of its row.
    """
    write_sheet_title(ws, name, about)
    write_table_sheet(ws, columns, dict.fromkeys(columns), name)
    last = len(columns)
    ws.column_dimensions[ws.cell(TABLE_TOP_ROW, last).column_letter].width = TEXT_COLUMN_WIDTH
    for row in ws.iter_rows(min_row=TABLE_TOP_ROW + 1, max_col=last):
        for cell in row:
            cell.alignment = WRAP if cell.column == last else TOP
    fit_row_heights(ws, TABLE_TOP_ROW)
    set_print(ws, ws.max_row, last, title_rows=f"{TABLE_TOP_ROW}:{TABLE_TOP_ROW}")


def _write_contents(ws: Worksheet, sheets: dict[str, str], titles: dict[str, str]) -> None:
    """The contents: every sheet of the workbook, each name a link to its sheet."""
    listed = {
        NOTES_SHEET: "Notes the tables refer to",
        DEFINITIONS_SHEET: "What every figure of the tables means",
        **{sheets[name]: titles[name] for name in sheets},
    }
    _write_text_table(
        ws,
        "Contents",
        "This worksheet contains one table: every sheet of the workbook, each a link to it.",
        {"Sheet name": list(listed), "Table title": list(listed.values())},
    )
    for row, sheet in enumerate(listed, start=TABLE_TOP_ROW + 1):
        cell = ws.cell(row, 1)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{sheet}'!A1")
        cell.style = "Hyperlink"
        cell.alignment = TOP


def _write_cover(
    ws: Worksheet, dictionary: DataDictionary, title: str, return_year: int, bulletin: str, simulated: bool
) -> None:
    """What the workbook is, where its figures come from, the licence and whom to ask: one column of text."""
    publisher = dictionary.publisher
    lines: list[tuple[str, str]] = [("title", title)]
    if simulated:
        lines.append(
            (
                "warning",
                "This workbook was made from simulated annual returns of fictitious care services, to test "
                "and demonstrate the publication. No figure in it is an official statistic.",
            )
        )
    lines += [
        ("heading", "About these statistics"),
        (
            "text",
            f"Staff, vacancies and why vacancies are hard to fill in care services in Scotland on "
            f"{described_day(return_year)}, from the care service annual returns of {return_year}, by type "
            "of care service, sector, council area and job role, and over every return year held.",
        ),
        (
            "text",
            f"The bulletin {bulletin} shows the main findings with charts; every number in it is from here.",
        ),
        ("heading", "What this workbook holds"),
        (
            "text",
            f"The {CONTENTS_SHEET} sheet lists every sheet; each table is also published as a CSV file.",
        ),
        ("text", "Each sheet has its title in cell A1 and one table, starting in row 3."),
        ("text", f"The {NOTES_SHEET} sheet holds the notes the tables refer to, as [note 1] and so on."),
        ("heading", "Source"),
        (
            "text",
            f"The care service annual returns accepted by {publisher.name}, and its register of care "
            "services.",
        ),
        ("heading", "Licence"),
        (
            "text",
            "You may use and re-use these statistics free of charge in any format or medium under the terms "
            f"of the {dictionary.licence}. To view this licence visit {publisher.licence_url}",
        ),
        ("heading", "Contact"),
        ("text", publisher.contact),
        ("text", f"Website: {publisher.website}"),
    ]
    fonts = {"title": font(16, bold=True), "warning": font(12, bold=True), "heading": font(12, bold=True)}
    ws.column_dimensions["A"].width = COVER_WIDTH
    for row, (kind, line) in enumerate(lines, start=1):
        cell = ws.cell(row, 1, line)
        cell.font = fonts.get(kind, font())
        cell.alignment = WRAP
    fit_row_heights(ws, 1)
    set_print(ws, len(lines), 1)
