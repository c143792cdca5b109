"""Excel mechanics every workbook shares: typed cells, a sheet as a named table,
a definitions sheet, fixed bytes.

Values arrive as published text and become numbers and dates where the data dictionary says so; text a
spreadsheet would run as a formula is neutralised; the saved file has fixed timestamps, so the same
content is the same bytes on every run.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from carestats.dictionary import Column
from carestats.errors import BadInputError
from tasks.shared.published_text import definitions_frame, neutralise_formulae

EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, the header row included
NUMBER_FORMATS = {"integer": "0", "decimal": "General", "date": "dd/mm/yyyy"}
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
MAX_COLUMN_WIDTH = 60


class TooManyRowsError(BadInputError):
    """The edition has more rows than one worksheet holds."""

    def __init__(self, rows: int, limit: int):
        self.rows, self.limit = rows, limit
        super().__init__(
            f"the edition has {rows:,} rows, but a worksheet holds {limit:,} rows including its header "
            f"({limit - 1:,} data rows): publish the CSV alone for this edition"
        )


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
            for p, s in zip(parsed.tolist(), shown.tolist(), strict=True)
        ]
    elif kind == "date":
        parsed = pd.to_datetime(raw.where(raw != ""), format="%d/%m/%Y", errors="coerce")
        values = [
            p.date() if p is not pd.NaT else s for p, s in zip(parsed.tolist(), shown.tolist(), strict=True)
        ]
    else:
        values = shown.tolist()
    return [None if v == "" else v for v in values]


def write_table_sheet(
    ws, columns: dict[str, list[Any]], known: dict[str, Column | None], table_name: str
) -> None:
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
    for row in zip(*columns.values(), strict=True):
        ws.append(
            [
                Cell(ws, value=value, style_array=StyleArray(style))
                if style is not None and value is not None
                else value
                for value, style in zip(row, styles, strict=True)
            ]
        )
    n_rows = len(next(iter(columns.values()), []))
    ref = f"A1:{get_column_letter(len(names))}{max(n_rows, 1) + 1}"
    table = Table(displayName=table_name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for index, name in enumerate(names, start=1):
        ws.column_dimensions[get_column_letter(index)].width = _width(name, columns[name])


def _width(name: str, values: list[Any]) -> float:
    longest = max(
        [len(name)] + [10 if isinstance(v, dt.date) else len(str(v)) for v in values if v is not None]
    )
    return min(longest + 2, MAX_COLUMN_WIDTH)


def write_definitions_sheet(ws, names: list[str], known: dict[str, Column | None], table_name: str) -> None:
    """One row per column of this file, from the data dictionary; columns it does not know say so."""
    described = [
        known[n] or Column(n, "text", "Not in the current data dictionary (a column of an older edition).")
        for n in names
    ]
    frame = definitions_frame(described).apply(neutralise_formulae)
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([value or None for value in row])
    table = Table(displayName=table_name, ref=f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    widths = {
        "Column": 32,
        "Type": 10,
        "Definition": 80,
        "Allowed values": 50,
        "Format": 30,
        "Disclosure": 40,
    }
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, name in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = widths.get(name, 20)
        for cell in ws.iter_rows(min_row=2, min_col=index, max_col=index):
            cell[0].alignment = wrap


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
