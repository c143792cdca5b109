"""The Datastore workbook: cover, data, pre-prepared pivot tables and definitions, as deterministic bytes.

The input is the edition as published text (the frame the CSV is written from, or any Datastore CSV
read back), so the monthly flow and `carestats workbook FILE.csv` build the same file from the same data.
The layout follows the Analysis Function's guidance on releasing statistics in spreadsheets: a cover that
is also the notes, one table per sheet under its title in A1, no merged cells, no blank rows for layout.
It prints as people read it: the workbook opens on the Cover, every sheet fits the width of A4 with its
header rows repeated, and the Data sheet prints only its first rows (the CSV and the sheet hold them all).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook

from carestats.dictionary import DataDictionary, load_dictionary
from tasks.shared.excel.pivots import PIVOT_TOP_ROW, PivotSpec, add_pivot, build_cache, count_field, crosstab
from tasks.shared.excel.sheets import (
    EXCEL_MAX_ROWS,
    TABLE_TOP_ROW,
    WRAP,
    TooManyRowsError,
    add_definitions_sheet,
    document_bytes,
    fit_row_heights,
    font,
    set_print,
    table_ref,
    typed_values,
    write_sheet_title,
    write_table_sheet,
)

COVER_SHEET = "Cover"
DATA_SHEET = "Data"
DATA_TABLE = "Datastore"
DEFINITIONS_SHEET = "Definitions"
DEFINITIONS_TABLE = "Definitions"
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)  # document time of a workbook whose edition date is unknown
COUNTABLE_COLUMNS = ("CSNumber", "ServiceName", "SP_number")  # never blank in a Datastore: one per service
COVER_WIDTH = 72  # characters: the Cover's one column, within a portrait A4 page in Excel and LibreOffice
DATA_PRINT_ROWS = 30  # the Data sheet prints its header and this many rows, a sample of the data
DATA_PRINT_PAGES_WIDE = 3  # ...on at most this many landscape pages across
SIMULATED = "Simulated data, not the register"

PIVOTS = (
    PivotSpec(
        "ServicesByCouncilAndCareService",
        "Services by council area",
        "Number of services by council area (rows) and care service (columns)",
        "Council_Area_Name",
        "CareService",
    ),
    PivotSpec(
        "PlacesByCareServiceAndHealthBoard",
        "Places by health board",
        "Registered places by care service (rows) and health board (columns)",
        "CareService",
        "Health_Board_Name",
        "Registered_Places",
    ),
    PivotSpec(
        "ServicesByMinGradeAndCareService",
        "Services by lowest grade",
        "Number of services by lowest key-question grade, MinGrade (rows), and care service (columns)",
        "MinGrade",
        "CareService",
    ),
    PivotSpec(
        "ServicesBySectorAndClientGroup",
        "Services by sector",
        "Number of services by sector, ServiceType (rows), and client group (columns)",
        "ServiceType",
        "Client_group",
    ),
)


@dataclass
class WorkbookResult:
    """The workbook's bytes and what it holds: rows, sheets,
    and which pivots were built or left out and why.
    """

    data: bytes
    rows: int
    sheets: list[str]
    pivots_built: list[str] = field(default_factory=list)
    pivots_skipped: dict[str, str] = field(default_factory=dict)  # pivot name -> why


def build_workbook(
    text: pd.DataFrame,
    as_at: dt.date | None,
    changes: dict[str, int] | None = None,
    *,
    simulated: bool = False,
    row_limit: int = EXCEL_MAX_ROWS,
) -> WorkbookResult:
    """The workbook for an edition given as published text (all strings, '' for blank).

    A `simulated` edition (fictitious services, never the register) says so first on the Cover, in every
    sheet's title and in the file's title, so that no copy of it can pass for the register.
    """
    if len(text) + TABLE_TOP_ROW > row_limit:
        raise TooManyRowsError(len(text) + TABLE_TOP_ROW, row_limit)
    dictionary = load_dictionary()
    known = {name: dictionary.column_for_name(name) for name in text.columns}
    columns = {name: typed_values(text[name], known[name]) for name in text.columns}
    title = f"{dictionary.datastore_title} {_edition_words(as_at)}"
    edition = f"Datastore {_edition_words(as_at)}"  # what every sheet's title ends with
    if simulated:
        title, edition = f"{SIMULATED}: {title}", f"{edition} ({SIMULATED.lower()})"

    wb = Workbook()
    cover = wb.active
    cover.title = COVER_SHEET
    data_ws = wb.create_sheet(DATA_SHEET)
    write_sheet_title(
        data_ws,
        f"Every registered care service, {edition}",
        f"One row per service, the same rows and columns as the Datastore CSV file, as the table "
        f"'{DATA_TABLE}'. Printing shows the first {DATA_PRINT_ROWS} rows only: the full data is here "
        "and in the CSV file.",
    )
    write_table_sheet(data_ws, columns, known, DATA_TABLE)
    set_print(
        data_ws,
        TABLE_TOP_ROW + min(len(text), DATA_PRINT_ROWS),
        max(len(columns), 1),
        title_rows=f"{TABLE_TOP_ROW}:{TABLE_TOP_ROW}",
        pages_wide=DATA_PRINT_PAGES_WIDE,
        pages_tall=1,
    )

    result = WorkbookResult(b"", len(text), [])
    buildable: list[tuple[PivotSpec, str]] = []
    for spec in PIVOTS:
        missing = [name for name in spec.needs if name not in columns]
        counted = spec.values or count_field(columns, spec, COUNTABLE_COLUMNS)
        if not len(text):
            result.pivots_skipped[spec.name] = "the file has no rows"
        elif missing:
            result.pivots_skipped[spec.name] = "the file has no " + " or ".join(missing) + " column"
        elif counted is None:
            result.pivots_skipped[spec.name] = "no column has a value in every row to count services by"
        else:
            buildable.append((spec, counted))
    if buildable:
        axis_fields = {name for spec, _ in buildable for name in (spec.rows, spec.columns)}
        cache = build_cache(columns, DATA_SHEET, table_ref(len(columns), len(text)), axis_fields)
        for spec, counted in buildable:
            ws = wb.create_sheet(spec.sheet)
            write_sheet_title(
                ws,
                f"{spec.title}, {edition}",
                "A pivot table of the Data sheet, recalculated when the file is opened. "
                + (
                    "Each service counts once."
                    if not spec.values
                    else f"Blank {spec.values} counts as nothing."
                ),
            )
            table = crosstab(columns, spec)
            add_pivot(ws, spec, cache, columns, counted, table)
            ws.freeze_panes = f"B{PIVOT_TOP_ROW + 2}"
            set_print(
                ws,
                table.last_row,
                table.last_column,
                title_rows=f"{PIVOT_TOP_ROW}:{PIVOT_TOP_ROW + 1}",
            )
            result.pivots_built.append(spec.name)

    add_definitions_sheet(
        wb,
        f"What every column of the Data sheet means, {edition}",
        DATA_SHEET,
        list(text.columns),
        known,
        DEFINITIONS_SHEET,
        DEFINITIONS_TABLE,
    )
    _write_cover(
        cover, dictionary, title, as_at, len(text), wb.sheetnames, changes, result.pivots_skipped, simulated
    )
    stamp = dt.datetime.combine(as_at, dt.time()) if as_at else FIXED_TIMESTAMP
    result.data = document_bytes(wb, title, stamp, opens_on=cover)
    result.sheets = wb.sheetnames
    return result


def _edition_words(as_at: dt.date | None) -> str:
    return f"as at {as_at.day} {as_at:%B %Y}" if as_at else "(edition date not known)"


def _write_cover(
    ws,
    dictionary: DataDictionary,
    title: str,
    as_at: dt.date | None,
    rows: int,
    sheets: list[str],
    changes: dict[str, int] | None,
    skipped: dict[str, str],
    simulated: bool,
) -> None:
    """Title, what the file holds, licence, source, contact, how to use the pivots, printing and what changed.

    The Cover is also the workbook's notes: one column of text, each line a row, headings in bold.
    """
    publisher = dictionary.publisher
    pivot_sheets = [s for s in sheets if s not in (COVER_SHEET, DATA_SHEET, DEFINITIONS_SHEET)]
    lines: list[tuple[str, str]] = [("title", title)]
    if simulated:
        lines.append(
            (
                "warning",
                "This file holds simulated data about fictitious care services, made to test and demonstrate "
                f"the Datastore. It is not {publisher.name}'s register: no row describes a real service, "
                "and no figure in it is an official statistic.",
            )
        )
    lines += [
        ("text", f"As at: {as_at:%d/%m/%Y}" if as_at else "As at: not known (the file name holds no date)"),
        ("heading", "What this file holds"),
        (
            "text",
            f"Every care service registered on the edition date, one row each: {rows:,} "
            + ("fictitious services." if simulated else "services."),
        ),
        (
            "text",
            f"Sheet '{DATA_SHEET}': the same rows and columns as the Datastore CSV, "
            f"as the table '{DATA_TABLE}'.",
        ),
        *[("text", f"Sheet '{s}': a pivot table of the Data sheet.") for s in pivot_sheets],
        (
            "text",
            f"Sheet '{DEFINITIONS_SHEET}': what every column means, its type, allowed values "
            f"and disclosure notes, as the table '{DEFINITIONS_TABLE}'.",
        ),
        ("text", "Each sheet has its title in cell A1 and one table, starting in row 3."),
        ("heading", "Licence"),
        (
            "text",
            "You may use and re-use this data free of charge in any format or medium under the terms "
            f"of the {dictionary.licence}. To view this licence visit {publisher.licence_url}",
        ),
        ("heading", "Source and contact"),
        ("text", f"Source: {publisher.source}"),
        ("text", f"Contact: {publisher.contact}"),
        ("text", f"Website: {publisher.website}"),
        ("heading", "How to use the pivot tables"),
        (
            "text",
            "Each pivot sheet counts or sums the rows of the Data sheet "
            "and is recalculated when the file is opened.",
        ),
        (
            "text",
            "To change one, click inside it and use the PivotTable Fields list (Excel) "
            "or Properties (LibreOffice).",
        ),
        (
            "text",
            "If you filter or edit the Data sheet, use Refresh (Data > Refresh All) to update the pivots.",
        ),
        ("text", "'(blank)' is the count of services with no value in that column."),
        (
            "text",
            "Text that starts with =, +, -, @ or a tab is shown with a leading apostrophe "
            "so that it is never run as a formula.",
        ),
        ("heading", "Printing"),
        (
            "text",
            "Printing the whole workbook prints this cover, the pivot tables, the definitions and the first "
            f"{DATA_PRINT_ROWS} rows of the Data sheet, each sheet fitted to the width of A4 with its header "
            "repeated on every page. The full data is in the Data sheet and in the Datastore CSV file.",
        ),
        ("heading", "Changes since the previous edition (number of services)"),
    ]
    if changes is None:
        lines.append(("text", "Not known: there is no previous edition to compare with."))
    else:
        lines += [("text", f"{kind}: {count:,}") for kind, count in changes.items()]
    if skipped:
        lines.append(("heading", "Pivot tables left out"))
        lines += [("text", f"{name}: {reason}.") for name, reason in skipped.items()]
    fonts = {
        "title": font(16, bold=True),
        "warning": font(12, bold=True),
        "heading": font(12, bold=True),
        "text": font(),
    }
    ws.column_dimensions["A"].width = COVER_WIDTH
    for row, (kind, line) in enumerate(lines, start=1):
        cell = ws.cell(row, 1, line)
        cell.font = fonts[kind]
        cell.alignment = WRAP
    fit_row_heights(ws, 1)
    set_print(ws, len(lines), 1)
