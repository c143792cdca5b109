"""The Datastore workbook: cover, data, pre-prepared pivot tables and definitions, as deterministic bytes.

The input is the edition as published text (the frame the CSV is written from, or any Datastore CSV
read back), so the monthly flow and `carestats workbook FILE.csv` build the same file from the same data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from carestats.dictionary import load_dictionary
from tasks.shared.excel.pivots import PIVOT_TOP_ROW, PivotSpec, add_pivot, build_cache, count_field, crosstab
from tasks.shared.excel.sheets import (
    EXCEL_MAX_ROWS,
    TooManyRowsError,
    typed_values,
    workbook_bytes,
    write_definitions_sheet,
    write_table_sheet,
)

DATA_SHEET = "Data"
DATA_TABLE = "Datastore"
DEFINITIONS_SHEET = "Definitions"
DEFINITIONS_TABLE = "Definitions"
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)  # document time of a workbook whose edition date is unknown
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
SOURCE = "The Care Inspectorate's register of care services, as it stood on the edition date."
CONTACT = "Care Inspectorate Intelligence team: enquiries@careinspectorate.gov.scot, 0345 600 9527."
COUNTABLE_COLUMNS = ("CSNumber", "ServiceName", "SP_number")  # never blank in a Datastore: one per service

PIVOTS = (
    PivotSpec(
        "ServicesByCareServiceAndCouncil",
        "Services by council area",
        "Number of services by care service (rows) and council area (columns)",
        "CareService",
        "Council_Area_Name",
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
    row_limit: int = EXCEL_MAX_ROWS,
) -> WorkbookResult:
    """The workbook for an edition given as published text (all strings, '' for blank)."""
    if len(text) + 1 > row_limit:
        raise TooManyRowsError(len(text) + 1, row_limit)
    dictionary = load_dictionary()
    known = {name: dictionary.column_for_name(name) for name in text.columns}
    columns = {name: typed_values(text[name], known[name]) for name in text.columns}

    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    data_ws = wb.create_sheet(DATA_SHEET)
    write_table_sheet(data_ws, columns, known, DATA_TABLE)

    last_row = max(len(text), 1) + 1
    source_ref = f"A1:{get_column_letter(len(columns))}{last_row}"
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
        cache = build_cache(columns, DATA_SHEET, source_ref, axis_fields)
        for spec, counted in buildable:
            ws = wb.create_sheet(spec.sheet)
            ws["A1"] = f"{spec.title}, Datastore {_edition_words(as_at)}"
            ws["A1"].font = Font(bold=True, size=14)
            ws["A2"] = "A pivot table of the Data sheet, recalculated when the file is opened. " + (
                "Each service counts once." if not spec.values else f"Blank {spec.values} counts as nothing."
            )
            add_pivot(ws, spec, cache, columns, counted, crosstab(columns, spec))
            ws.column_dimensions["A"].width = 40
            ws.freeze_panes = f"B{PIVOT_TOP_ROW + 2}"
            result.pivots_built.append(spec.name)

    definitions_ws = wb.create_sheet(DEFINITIONS_SHEET)
    write_definitions_sheet(definitions_ws, list(text.columns), known, DEFINITIONS_TABLE)
    _write_cover(cover, as_at, len(text), wb.sheetnames, changes, result.pivots_skipped)

    stamp = dt.datetime.combine(as_at, dt.time()) if as_at else FIXED_TIMESTAMP
    title = f"{dictionary.datastore_title} {_edition_words(as_at)}"
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.title, wb.properties.creator, wb.properties.lastModifiedBy = title, "carestats", "carestats"
    wb.properties.language = "en-GB"
    result.data = workbook_bytes(wb)
    result.sheets = wb.sheetnames
    return result


def _edition_words(as_at: dt.date | None) -> str:
    return f"as at {as_at.day} {as_at:%B %Y}" if as_at else "(edition date not known)"


def _write_cover(
    ws,
    as_at: dt.date | None,
    rows: int,
    sheets: list[str],
    changes: dict[str, int] | None,
    skipped: dict[str, str],
) -> None:
    """Title, what the file holds, licence, source, contact, how to use the pivots and what changed."""
    dictionary = load_dictionary()
    pivot_sheets = [s for s in sheets if s not in ("Cover", DATA_SHEET, DEFINITIONS_SHEET)]
    lines: list[tuple[str, str]] = [
        ("title", f"{dictionary.datastore_title} {_edition_words(as_at)}"),
        ("text", f"As at: {as_at:%d/%m/%Y}" if as_at else "As at: not known (the file name holds no date)"),
        ("heading", "What this file holds"),
        ("text", f"Every care service registered on the edition date, one row each: {rows:,} services."),
        (
            "text",
            f"Sheet '{DATA_SHEET}': the same rows and columns as the Datastore CSV, "
            f"as the table '{DATA_TABLE}'.",
        ),
        *[("text", f"Sheet '{s}': a pivot table of the Data sheet.") for s in pivot_sheets],
        (
            "text",
            f"Sheet '{DEFINITIONS_SHEET}': what every column means, its type, allowed values "
            "and disclosure notes.",
        ),
        ("heading", "Licence"),
        (
            "text",
            (
                "You may use and re-use this data free of charge in any format or medium "
                f"under the terms of the {dictionary.licence}. To view this licence visit {LICENCE_URL}"
            ),
        ),
        ("heading", "Source and contact"),
        ("text", f"Source: {SOURCE}"),
        ("text", f"Contact: {CONTACT}"),
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
        ("heading", "Changes since the previous edition (number of services)"),
    ]
    if changes is None:
        lines.append(("text", "Not known: there is no previous edition to compare with."))
    else:
        lines += [("text", f"{kind}: {count:,}") for kind, count in changes.items()]
    if skipped:
        lines.append(("heading", "Pivot tables left out"))
        lines += [("text", f"{name}: {reason}.") for name, reason in skipped.items()]
    fonts = {"title": Font(bold=True, size=16), "heading": Font(bold=True, size=12), "text": Font()}
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, (kind, line) in enumerate(lines, start=1):
        cell = ws.cell(row, 1, line)
        cell.font = fonts[kind]
        cell.alignment = wrap
    ws.column_dimensions["A"].width = 110
