"""The Datastore workbook: cover, data, pre-prepared pivot tables and definitions, as deterministic bytes.

The input is the edition as published text (the frame the CSV is written from, or any Datastore CSV
read back), so the monthly flow and `carestats workbook FILE.csv` build the same file from the same data.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from carestats.dictionary import Column, load_dictionary
from tasks.datastore.render import definitions_frame, neutralise_formulae
from tasks.excel.pivots import PIVOT_TOP_ROW, PIVOTS, PivotSpec, add_pivot, build_cache, count_field, crosstab

EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, the header row included
DATA_SHEET = "Data"
DATA_TABLE = "Datastore"
DEFINITIONS_SHEET = "Definitions"
DEFINITIONS_TABLE = "Definitions"
NUMBER_FORMATS = {"integer": "0", "decimal": "General", "date": "dd/mm/yyyy"}
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)  # document time of a workbook whose edition date is unknown
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
MAX_COLUMN_WIDTH = 60
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
SOURCE = "The Care Inspectorate's register of care services, as it stood on the edition date."
CONTACT = "Care Inspectorate Intelligence team: enquiries@careinspectorate.gov.scot, 0345 600 9527."


class TooManyRowsError(ValueError):
    """The edition has more rows than one worksheet holds."""

    def __init__(self, rows: int, limit: int):
        self.rows, self.limit = rows, limit
        super().__init__(
            f"the edition has {rows:,} rows, but a worksheet holds {limit:,} rows including its header "
            f"({limit - 1:,} data rows): publish the CSV alone for this edition"
        )


@dataclass
class WorkbookResult:
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
    _write_data(data_ws, columns, known)

    last_row = max(len(text), 1) + 1
    source_ref = f"A1:{get_column_letter(len(columns))}{last_row}"
    result = WorkbookResult(b"", len(text), [])
    buildable: list[tuple[PivotSpec, str]] = []
    for spec in PIVOTS:
        missing = [name for name in spec.needs if name not in columns]
        counted = spec.values or count_field(columns, spec)
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
    _write_definitions(definitions_ws, list(text.columns), known, as_at)
    _write_cover(cover, as_at, len(text), wb.sheetnames, changes, result.pivots_skipped)

    stamp = dt.datetime.combine(as_at, dt.time()) if as_at else FIXED_TIMESTAMP
    title = f"{dictionary.datastore_title} {_edition_words(as_at)}"
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.title, wb.properties.creator, wb.properties.lastModifiedBy = title, "carestats", "carestats"
    wb.properties.language = "en-GB"
    result.data = workbook_bytes(wb)
    result.sheets = wb.sheetnames
    return result


def typed_values(text: pd.Series, column: Column | None) -> list[Any]:
    """Cell values for one column: numbers and dates where the dictionary says so, else neutralised text.

    A value that does not parse as its column's type stays text (so nothing is lost); blanks are None.
    """
    raw = text.astype(str)
    shown = neutralise_formulae(raw.str.replace(ILLEGAL_CHARACTERS_RE.pattern, "", regex=True)).astype(object)
    kind = column.type if column else "text"
    if kind in ("integer", "decimal"):
        parsed = pd.to_numeric(raw.where(raw != ""), errors="coerce")
        as_int = kind == "integer"
        values = [
            s if not math.isfinite(p) else int(p) if as_int and float(p).is_integer() else p
            for p, s in zip(parsed.tolist(), shown.tolist())
        ]
    elif kind == "date":
        parsed = pd.to_datetime(raw.where(raw != ""), format="%d/%m/%Y", errors="coerce")
        values = [p.date() if p is not pd.NaT else s for p, s in zip(parsed.tolist(), shown.tolist())]
    else:
        values = shown.tolist()
    return [None if v == "" else v for v in values]


def _write_data(ws, columns: dict[str, list[Any]], known: dict[str, Column | None]) -> None:
    """The data as a named table with filters, a frozen header, widths and number formats."""
    names = list(columns)
    ws.append(names)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    styles = []
    for name in names:
        kind = known[name].type if known[name] else "text"
        template = Cell(ws, value=None)
        template.number_format = NUMBER_FORMATS.get(kind, "General")
        styles.append(template._style if kind in NUMBER_FORMATS else None)
    for row in zip(*columns.values()):
        ws.append(
            [
                Cell(ws, value=value, style_array=StyleArray(style)) if style is not None and value is not None else value
                for value, style in zip(row, styles)
            ]
        )
    n_rows = len(next(iter(columns.values()), []))
    ref = f"A1:{get_column_letter(len(names))}{max(n_rows, 1) + 1}"
    table = Table(displayName=DATA_TABLE, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for index, name in enumerate(names, start=1):
        ws.column_dimensions[get_column_letter(index)].width = _width(name, columns[name])


def _width(name: str, values: list[Any]) -> float:
    longest = max([len(name)] + [10 if isinstance(v, dt.date) else len(str(v)) for v in values if v is not None])
    return min(longest + 2, MAX_COLUMN_WIDTH)


def _write_definitions(ws, names: list[str], known: dict[str, Column | None], as_at: dt.date | None) -> None:
    """One row per column of this file, from the data dictionary; columns it does not know say so."""
    described = [known[n] or Column(n, "text", "Not in the current data dictionary (a column of an older edition).")
                 for n in names]
    frame = definitions_frame(described).apply(neutralise_formulae)
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([value or None for value in row])
    table = Table(displayName=DEFINITIONS_TABLE, ref=f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    widths = {"Column": 32, "Type": 10, "Definition": 80, "Allowed values": 50, "Format": 30, "Disclosure": 40}
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, name in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = widths.get(name, 20)
        for cell in ws.iter_rows(min_row=2, min_col=index, max_col=index):
            cell[0].alignment = wrap


def _edition_words(as_at: dt.date | None) -> str:
    return f"as at {as_at.day} {as_at:%B %Y}" if as_at else "(edition date not known)"


def _write_cover(ws, as_at: dt.date | None, rows: int, sheets: list[str], changes: dict[str, int] | None,
                 skipped: dict[str, str]) -> None:
    """Title, what the file holds, licence, source, contact, how to use the pivots and what changed."""
    dictionary = load_dictionary()
    pivot_sheets = [s for s in sheets if s not in ("Cover", DATA_SHEET, DEFINITIONS_SHEET)]
    lines: list[tuple[str, str]] = [
        ("title", f"{dictionary.datastore_title} {_edition_words(as_at)}"),
        ("text", f"As at: {as_at:%d/%m/%Y}" if as_at else "As at: not known (the file name holds no date)"),
        ("heading", "What this file holds"),
        ("text", f"Every care service registered on the edition date, one row each: {rows:,} services."),
        ("text", f"Sheet '{DATA_SHEET}': the same rows and columns as the Datastore CSV, as the table '{DATA_TABLE}'."),
        *[("text", f"Sheet '{s}': a pivot table of the Data sheet.") for s in pivot_sheets],
        ("text", f"Sheet '{DEFINITIONS_SHEET}': what every column means, its type, allowed values and disclosure notes."),
        ("heading", "Licence"),
        ("text", (f"You may use and re-use this data free of charge in any format or medium under the terms of the "
                  f"{dictionary.licence}. To view this licence visit {LICENCE_URL}")),
        ("heading", "Source and contact"),
        ("text", f"Source: {SOURCE}"),
        ("text", f"Contact: {CONTACT}"),
        ("heading", "How to use the pivot tables"),
        ("text", "Each pivot sheet counts or sums the rows of the Data sheet and is recalculated when the file is opened."),
        ("text", "To change one, click inside it and use the PivotTable Fields list (Excel) or Properties (LibreOffice)."),
        ("text", "If you filter or edit the Data sheet, use Refresh (Data > Refresh All) to update the pivots."),
        ("text", "'(blank)' is the count of services with no value in that column."),
        ("text", "Text that starts with =, +, -, @ or a tab is shown with a leading apostrophe so that it is never run as a formula."),
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


def workbook_bytes(wb: Workbook) -> bytes:
    """Save without openpyxl's own timestamps, then give every zip entry the same fixed date."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    fixed = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(entry.filename))
    return fixed.getvalue()
