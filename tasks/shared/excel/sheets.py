"""Excel mechanics every workbook shares: typed cells, a sheet as a named table under its title,
a definitions sheet, row heights that fit wrapped text, print setup, fixed bytes.

Values arrive as published text and become numbers and dates where the data dictionary says so; text a
spreadsheet would run as a formula is neutralised; the saved file has fixed timestamps, so the same
content is the same bytes on every run. Every sheet but a cover follows the Analysis Function's layout for
statistics in spreadsheets: its title in A1, how to read it in A2, then its one table from TABLE_TOP_ROW.
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
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from carestats.dictionary import Column
from carestats.errors import BadInputError
from tasks.shared.published_text import definitions_frame, neutralise_formulae

EXCEL_MAX_ROWS = 1_048_576  # rows in one worksheet, the title rows and the header included
TABLE_TOP_ROW = 3  # row 1 holds a sheet's title, row 2 how to read it, its table starts here
COUNT_FORMAT = "#,##0"  # whole numbers with thousands separators: 10,670 rather than 10670
NUMBER_FORMATS = {"integer": COUNT_FORMAT, "decimal": "General", "date": "dd/mm/yyyy"}
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
MAX_COLUMN_WIDTH = 60
DEFAULT_COLUMN_WIDTH = 8.43  # Excel's width of a column the file gives none
WRAP = Alignment(wrap_text=True, vertical="top")

# Row heights. Neither Excel nor LibreOffice fits a row to its wrapped text when it opens a file, so every
# row with more than one line of text, or with text larger than the default, is given its height here.
# The estimate errs on the tall side, since a row a little too tall reads well and one too short overlaps:
# - a column N wide holds N - 1 digits of the default font at 11 pt (one goes to the cell's padding), and
#   text of that font takes 0.9 of a digit a character: 0.75 in Calibri and Carlito, 0.82 in DejaVu, the
#   fallback where neither is installed, so even DejaVu keeps a tenth in hand for wide letters;
# - bold text takes a tenth more room, larger text proportionally more;
# - one line needs 1.35 times the font size (Calibri's 11 pt rows are 15 pt, DejaVu's 11 pt glyphs 14.3),
#   and a row 3 points more for the space above and below its text.
CHARACTER_WIDTH = 0.9
BOLD_WIDTH = 1.1
LINE_SPACING = 1.35
ROW_PADDING = 3.0

# Page setup. A4, as the regulator prints; a sheet wider than this many characters prints in landscape.
PORTRAIT_CHARACTERS = 100


class TooManyRowsError(BadInputError):
    """The edition needs more rows than one worksheet holds."""

    def __init__(self, rows: int, limit: int):
        self.rows, self.limit = rows, limit
        super().__init__(
            f"the edition needs {rows:,} rows, but a worksheet holds {limit:,} rows including its title "
            f"and header ({limit - TABLE_TOP_ROW:,} data rows): publish the CSV alone for this edition"
        )


def font(size: float = 11, bold: bool = False) -> Font:
    """The workbook's own font (Calibri) at a size and weight. A Font() without a name is not the default:
    LibreOffice shows it in its own default, a serif, wider than the text the row heights were fitted to.
    """
    return Font(
        name=DEFAULT_FONT.name, family=DEFAULT_FONT.family, scheme=DEFAULT_FONT.scheme, sz=size, b=bold
    )


BOLD = font(bold=True)
TITLE_FONT = font(14, bold=True)


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


def write_sheet_title(ws: Worksheet, title: str, note: str) -> None:
    """The sheet's title in A1 and how to read it in A2, so a screen reader and a printout start there."""
    ws["A1"] = title
    ws["A1"].font = TITLE_FONT
    ws["A2"] = note
    fit_row_heights(ws, 1, 2)


def write_table_sheet(
    ws, columns: dict[str, list[Any]], known: dict[str, Column | None], table_name: str
) -> None:
    """The data as a named table from TABLE_TOP_ROW, with filters,
    a frozen header, widths and number formats.
    """
    names = list(columns)
    for index, name in enumerate(names, start=1):
        ws.cell(TABLE_TOP_ROW, index, name).font = BOLD
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
    ws.add_table(_table(table_name, len(names), len(next(iter(columns.values()), [])), "TableStyleMedium2"))
    ws.freeze_panes = f"A{TABLE_TOP_ROW + 1}"
    for index, name in enumerate(names, start=1):
        ws.column_dimensions[get_column_letter(index)].width = _width(name, columns[name])


def table_ref(n_columns: int, n_rows: int) -> str:
    """The range of a table of `n_rows` data rows (one at least) under its header at TABLE_TOP_ROW."""
    return f"A{TABLE_TOP_ROW}:{get_column_letter(max(n_columns, 1))}{TABLE_TOP_ROW + max(n_rows, 1)}"


def _table(name: str, n_columns: int, n_rows: int, style: str) -> Table:
    table = Table(displayName=name, ref=table_ref(n_columns, n_rows))
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
    return table


def _width(name: str, values: list[Any]) -> float:
    longest = max(
        [text_width(name, BOLD)]
        + [10 if isinstance(v, dt.date) else len(_shown(v)) for v in values if v is not None]
    )
    return min(math.ceil(longest) + 2, MAX_COLUMN_WIDTH)


def _shown(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def write_definitions_sheet(ws, names: list[str], known: dict[str, Column | None], table_name: str) -> None:
    """One row per column of this file, from the data dictionary, under the sheet's title rows;
    columns it does not know say so.
    """
    described = [
        known[n] or Column(n, "text", "Not in the current data dictionary (a column of an older edition).")
        for n in names
    ]
    frame = definitions_frame(described).apply(neutralise_formulae)
    for index, name in enumerate(frame.columns, start=1):
        ws.cell(TABLE_TOP_ROW, index, name).font = BOLD
    for row in frame.itertuples(index=False):
        ws.append([value or None for value in row])
    ws.add_table(_table(table_name, len(frame.columns), len(frame), "TableStyleLight9"))
    ws.freeze_panes = f"A{TABLE_TOP_ROW + 1}"
    widths = {
        "Column": 32,
        "Type": 10,
        "Definition": 80,
        "Allowed values": 50,
        "Format": 36,
        "Disclosure": 50,
    }
    for index, name in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = widths.get(name, 20)
        for cell in ws.iter_rows(min_row=TABLE_TOP_ROW + 1, min_col=index, max_col=index):
            cell[0].alignment = WRAP
    fit_row_heights(ws, TABLE_TOP_ROW)


def add_definitions_sheet(
    wb: Workbook,
    title: str,
    data_sheet: str,
    names: list[str],
    known: dict[str, Column | None],
    sheet_name: str = "Definitions",
    table_name: str = "Definitions",
) -> Worksheet:
    """A sheet defining every column of `data_sheet` (and of the CSV beside the workbook), from the data
    dictionary, titled, as an Excel table, set up for printing: what every published workbook ends with.
    """
    ws = wb.create_sheet(sheet_name)
    write_sheet_title(
        ws,
        title,
        f"One row per column of the {data_sheet} sheet and the CSV file, in their order, as the table "
        f"'{table_name}', from the data dictionary.",
    )
    write_definitions_sheet(ws, names, known, table_name)
    set_print(ws, ws.max_row, ws.max_column, title_rows=f"{TABLE_TOP_ROW}:{TABLE_TOP_ROW}")
    return ws


def text_lines(text: str, characters: float) -> int:
    """How many lines `text` takes when wrapped at word boundaries to `characters` a line.

    A word longer than a line is broken inside it, as both applications do; a newline starts a new line.
    """
    per_line = max(int(characters), 1)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) <= per_line:
                used += 1 + len(word)
                continue
            lines += 1 if used else 0
            extra, used = divmod(len(word), per_line)
            if used == 0 and extra:  # the word ends exactly at the end of a line
                extra, used = extra - 1, per_line
            lines += extra
    return lines


def text_width(text: str, font: Font) -> float:
    """The width of one line of `text` in characters of the default 11 pt font (see the row height notes)."""
    return len(text) * _scale(font)


def _scale(font: Font) -> float:
    return CHARACTER_WIDTH * float(font.sz or 11) / 11 * (BOLD_WIDTH if font.b else 1)


def row_height(cells: list[Cell], widths: dict[str, float]) -> float:
    """The height in points that fits every cell of a row: the tallest cell's lines at its font size."""
    needed = 0.0
    for cell in cells:
        if cell.value is None:
            continue
        size = float(cell.font.sz or 11)
        lines = 1
        if cell.alignment.wrap_text:
            width = widths.get(cell.column_letter, DEFAULT_COLUMN_WIDTH) - 1
            lines = text_lines(str(cell.value), width / _scale(cell.font))
        needed = max(needed, lines * size * LINE_SPACING + ROW_PADDING)
    return math.ceil(needed)


def fit_row_heights(ws: Worksheet, min_row: int, max_row: int | None = None) -> None:
    """Give each row from `min_row` the height its text needs (see row_height), so that no text runs
    into the row below in Excel, in LibreOffice or on paper.
    """
    widths = {letter: column_width(ws, letter) for letter in ws.column_dimensions}
    for row in ws.iter_rows(min_row=min_row, max_row=max_row):
        height = row_height(list(row), widths)
        if height:
            ws.row_dimensions[row[0].row].height = height


def column_width(ws: Worksheet, letter: str) -> float:
    """A column's width in characters, as the file gives it or Excel's default (without adding the column)."""
    dimension = ws.column_dimensions.get(letter)
    return dimension.width if dimension is not None and dimension.width else DEFAULT_COLUMN_WIDTH


def set_print(
    ws: Worksheet,
    last_row: int,
    last_column: int,
    *,
    title_rows: str | None = None,
    pages_wide: int = 1,
    pages_tall: int = 0,
) -> None:
    """Print from A1 to (`last_row`, `last_column`) on A4, `pages_wide` pages wide and at most `pages_tall`
    pages tall (0: as many as it takes), with `title_rows` (such as "3:4") repeated on every page, numbered
    pages, and in landscape when the range is wider than a portrait page.

    Text that runs on to the right of its cell (a title wider than the table under it) widens the range,
    so that the printed page shows it whole.
    """
    widths = [column_width(ws, get_column_letter(c)) for c in range(1, last_column + 1)]
    overflow = _overflow(ws)
    while sum(widths) < overflow:
        last_column += 1
        widths.append(column_width(ws, get_column_letter(last_column)))
    ws.print_area = f"A1:{get_column_letter(last_column)}{last_row}"
    if title_rows:
        ws.print_title_rows = title_rows
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sum(widths) > PORTRAIT_CHARACTERS else "portrait"
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = pages_tall
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "&A: page &P of &N"


def _overflow(ws: Worksheet) -> float:
    """How far, in characters, the unwrapped text of the title rows runs from column A."""
    return max(
        (
            text_width(str(cell.value), cell.font)
            for row in ws.iter_rows(max_row=TABLE_TOP_ROW - 1, max_col=1)
            for cell in row
            if cell.value is not None and not cell.alignment.wrap_text
        ),
        default=0.0,
    )


def document_bytes(wb: Workbook, title: str, day: dt.datetime, opens_on: Worksheet | None = None) -> bytes:
    """A published workbook's bytes: titled, in British English, by carestats, dated `day` (the day its
    data describes, never the day it was written: the same data, the same bytes), and opening on
    `opens_on` (its cover) when given.
    """
    if opens_on is not None:
        wb.active = opens_on
        for ws in wb.worksheets:
            ws.sheet_view.tabSelected = ws is opens_on
    wb.properties.created = wb.properties.modified = day
    wb.properties.title, wb.properties.creator, wb.properties.lastModifiedBy = title, "carestats", "carestats"
    wb.properties.language = "en-GB"
    return workbook_bytes(wb)


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
