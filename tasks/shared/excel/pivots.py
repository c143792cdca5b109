"""Real Excel pivot tables over the Data sheet, built from scratch with openpyxl's pivot classes.

One pivot cache describes the whole Data sheet and every pivot table shares it (openpyxl writes a
shared cache once only when it is the same object). The cache holds no records (saveData=0) and is
rebuilt when the file is opened (refreshOnLoad=1), so Excel and LibreOffice compute every figure
from the sheet itself; the output cells are also pre-filled with the same figures, computed here,
for viewers that never refresh.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from openpyxl.pivot.cache import CacheDefinition, CacheField, CacheSource, SharedItems, WorksheetSource
from openpyxl.pivot.fields import DateTimeField, Index, Missing, Number, Text
from openpyxl.pivot.table import (
    DataField,
    FieldItem,
    Location,
    PivotField,
    PivotTableStyle,
    RowColField,
    RowColItem,
    TableDefinition,
)
from openpyxl.styles import NamedStyle
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tasks.shared.excel.sheets import BOLD, COUNT_FORMAT, MAX_COLUMN_WIDTH, TABLE_TOP_ROW, font, text_width

BLANK_LABEL = "(blank)"  # what Excel shows for empty source cells (LibreOffice shows "(empty)")
GRAND_TOTAL_LABEL = "Grand Total"  # Excel's caption (LibreOffice shows "Total Result")
OTHER_LABELS = ("(empty)", "Total Result")  # LibreOffice's own captions, which columns must fit as well
COUNT_CAPTION = "Number of services"
COUNT_FORMAT_ID = 3  # Excel's built-in number format 3 is COUNT_FORMAT, #,##0, which Excel shows figures in
# LibreOffice ignores a data field's number format: it shows a refreshed pivot's figures in its cell styles of
# these names (counts in General otherwise), taking the document's own when it has them. So the workbook has
# them too, with the same format; Excel lists them as two more cell styles and uses neither.
LIBREOFFICE_FIGURE_STYLES = ("Pivot Table Value", "Pivot Table Result")
PIVOT_TOP_ROW = TABLE_TOP_ROW  # row 1 holds the sheet's title, row 2 how to read it


@dataclass(frozen=True)
class PivotSpec:
    """A pre-prepared pivot: one row field, one column field, a count of services or a sum."""

    name: str  # the pivot table's name, as Excel lists it
    sheet: str
    title: str
    rows: str
    columns: str
    values: str | None = None  # None counts services

    @property
    def needs(self) -> list[str]:
        """The columns the pivot cannot be built without."""
        return [self.rows, self.columns] + ([self.values] if self.values else [])

    @property
    def caption(self) -> str:
        """What the pivot's figures are, as its data field is captioned: a count of services or a sum."""
        return f"Sum of {self.values}" if self.values else COUNT_CAPTION


@dataclass
class Crosstab:
    """A pivot's figures: the items along each axis in display order, the cells and the totals."""

    row_items: list[Any]
    col_items: list[Any]
    cells: dict[tuple[int, int], float] = field(default_factory=dict)  # only where some row has a number
    row_totals: list[float | None] = field(default_factory=list)
    col_totals: list[float | None] = field(default_factory=list)
    grand_total: float | None = None

    @property
    def last_row(self) -> int:
        """The sheet row of the pivot's grand total, its last row."""
        return PIVOT_TOP_ROW + 1 + len(self.row_items) + 1

    @property
    def last_column(self) -> int:
        """The sheet column of the pivot's row totals, its last column."""
        return 1 + len(self.col_items) + 1


def item_order(values: list[Any]) -> list[Any]:
    """Distinct values as the pivot lists them: numbers, then dates, then text, then blank last."""
    distinct = set(values)
    has_blank = None in distinct
    distinct.discard(None)

    def key(value: Any) -> tuple:
        if isinstance(value, (int, float)):
            return (0, value, "")
        if isinstance(value, dt.date):
            return (1, value.toordinal(), "")
        return (2, 0, value.casefold(), value)

    return sorted(distinct, key=key) + ([None] if has_blank else [])


def crosstab(columns: dict[str, list[Any]], spec: PivotSpec) -> Crosstab:
    """The figures a refreshed pivot shows: counts of rows,
    or sums of a numeric column (empty where nothing to sum).
    """
    row_values, col_values = columns[spec.rows], columns[spec.columns]
    table = Crosstab(item_order(row_values), item_order(col_values))
    row_index = {v: i for i, v in enumerate(table.row_items)}
    col_index = {v: i for i, v in enumerate(table.col_items)}
    amounts = columns[spec.values] if spec.values else [1] * len(row_values)
    table.row_totals = [None] * len(table.row_items)
    table.col_totals = [None] * len(table.col_items)
    table.grand_total = None
    for row, col, amount in zip(row_values, col_values, amounts, strict=True):
        if not isinstance(amount, (int, float)):
            continue  # like Excel: text and blanks add nothing, and a cell of only those stays empty
        r, c = row_index[row], col_index[col]
        table.cells[(r, c)] = table.cells.get((r, c), 0) + amount
        table.row_totals[r] = (table.row_totals[r] or 0) + amount
        table.col_totals[c] = (table.col_totals[c] or 0) + amount
        table.grand_total = (table.grand_total or 0) + amount
    return table


def shared_items(values: list[Any], list_items: list[Any] | None) -> SharedItems:
    """A cache field's sharedItems: the type flags Excel expects,
    and the items when the field is on an axis.
    """
    kinds = {type(v) for v in values}
    numbers = [v for v in values if isinstance(v, (int, float))]
    dates = [v for v in values if isinstance(v, dt.date)]
    has_text, has_blank = str in kinds, type(None) in kinds
    items: dict[str, Any] = {"containsBlank": has_blank or None}
    if numbers:
        items.update(
            containsNumber=True,
            minValue=min(numbers),
            maxValue=max(numbers),
            containsInteger=all(float(v).is_integer() for v in numbers) or None,
        )
    if dates:
        items.update(
            containsDate=True,
            containsNonDate=False if not (numbers or has_text) else None,
            minDate=_as_datetime(min(dates)),
            maxDate=_as_datetime(max(dates)),
        )
    if not has_text:
        items.update(containsString=False, containsSemiMixedTypes=False if (numbers or dates) else None)
    if sum((bool(numbers), bool(dates), has_text)) > 1:
        items["containsMixedTypes"] = True
    fields = [_cache_item(v) for v in list_items] if list_items is not None else ()
    return SharedItems(_fields=fields, **items)


def _as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) if not isinstance(day, dt.datetime) else day


def _cache_item(value: Any):
    if value is None:
        return Missing()
    if isinstance(value, (int, float)):
        return Number(v=value)
    if isinstance(value, dt.date):
        return DateTimeField(v=_as_datetime(value))
    return Text(v=value)


def build_cache(
    columns: dict[str, list[Any]], sheet: str, ref: str, axis_fields: set[str]
) -> CacheDefinition:
    """One cache over the whole Data sheet, no records: Excel and LibreOffice rebuild it on opening."""
    fields = [
        CacheField(
            name=name,
            numFmtId=0,
            sharedItems=shared_items(values, item_order(values) if name in axis_fields else None),
        )
        for name, values in columns.items()
    ]
    n_rows = len(next(iter(columns.values()), []))
    return CacheDefinition(
        refreshOnLoad=True,
        saveData=False,
        refreshedBy="carestats",
        createdVersion=6,
        refreshedVersion=6,
        minRefreshableVersion=3,
        recordCount=n_rows,
        cacheSource=CacheSource(type="worksheet", worksheetSource=WorksheetSource(ref=ref, sheet=sheet)),
        cacheFields=fields,
    )


def count_field(
    columns: dict[str, list[Any]], spec: PivotSpec, preferred: tuple[str, ...] = ()
) -> str | None:
    """A column with a value in every row, so that counting it counts rows (None if the file has none).

    The `preferred` columns (a key, a name) are tried first, then every other column in order.
    """
    candidates = [c for c in preferred if c in columns] + list(columns)
    for name in candidates:
        if name not in (spec.rows, spec.columns) and all(v is not None for v in columns[name]):
            return name
    return None


def add_pivot(
    ws: Worksheet,
    spec: PivotSpec,
    cache: CacheDefinition,
    columns: dict[str, list[Any]],
    data_field: str,
    table: Crosstab,
) -> None:
    """The pivot table definition at PIVOT_TOP_ROW, its output cells pre-filled with `table`, figures with
    thousands separators and columns wide enough for every label.
    """
    names = list(columns)
    pivot_fields = []
    for name in names:
        if name == spec.rows:
            pivot_fields.append(_axis_field("axisRow", len(table.row_items)))
        elif name == spec.columns:
            pivot_fields.append(_axis_field("axisCol", len(table.col_items)))
        else:
            pivot_fields.append(PivotField(showAll=False, dataField=True if name == data_field else None))
    definition = TableDefinition(
        name=spec.name,
        cacheId=1,
        dataCaption="Values",
        updatedVersion=6,
        minRefreshableVersion=3,
        createdVersion=6,
        useAutoFormatting=True,
        itemPrintTitles=True,
        indent=0,
        outline=True,
        outlineData=True,
        rowHeaderCaption=spec.rows,
        colHeaderCaption=spec.columns,
        location=Location(
            ref=f"A{PIVOT_TOP_ROW}:{get_column_letter(table.last_column)}{table.last_row}",
            firstHeaderRow=1,
            firstDataRow=2,
            firstDataCol=1,
        ),
        pivotFields=pivot_fields,
        rowFields=[RowColField(x=names.index(spec.rows))],
        rowItems=_axis_items(len(table.row_items)),
        colFields=[RowColField(x=names.index(spec.columns))],
        colItems=_axis_items(len(table.col_items)),
        dataFields=[
            DataField(
                name=spec.caption,
                fld=names.index(data_field),
                subtotal="sum" if spec.values else "count",
                baseField=0,
                baseItem=0,
                numFmtId=COUNT_FORMAT_ID,
            )
        ],
        pivotTableStyleInfo=PivotTableStyle(
            name="PivotStyleLight16",
            showRowHeaders=True,
            showColHeaders=True,
            showRowStripes=False,
            showColStripes=False,
            showLastColumn=True,
        ),
    )
    definition.cache = cache
    ws.add_pivot(definition)
    for style in LIBREOFFICE_FIGURE_STYLES:
        if style not in ws.parent.named_styles:
            ws.parent.add_named_style(NamedStyle(name=style, number_format=COUNT_FORMAT, font=font()))
    _prefill(ws, spec, table)
    _fit_columns(ws, spec, table)


def _axis_field(axis: str, n_items: int) -> PivotField:
    return PivotField(
        axis=axis, showAll=False, items=[FieldItem(x=i) for i in range(n_items)] + [FieldItem(t="default")]
    )


def _axis_items(n_items: int) -> list[RowColItem]:
    return [RowColItem(x=[Index(v=i)]) for i in range(n_items)] + [RowColItem(t="grand", x=[Index(v=0)])]


def _label(value: Any) -> Any:
    return BLANK_LABEL if value is None else value


def _prefill(ws: Worksheet, spec: PivotSpec, table: Crosstab) -> None:
    """Write what Excel shows once refreshed, so a viewer that never refreshes shows the same figures."""
    top = PIVOT_TOP_ROW
    bold = BOLD
    ws.cell(top, 1, spec.caption).font = bold
    ws.cell(top, 2, spec.columns).font = bold
    ws.cell(top + 1, 1, spec.rows).font = bold
    for c, item in enumerate(table.col_items):
        ws.cell(top + 1, 2 + c, _label(item)).font = bold
    ws.cell(top + 1, 2 + len(table.col_items), GRAND_TOTAL_LABEL).font = bold
    for r, item in enumerate(table.row_items):
        row = top + 2 + r
        ws.cell(row, 1, _label(item))
        for c in range(len(table.col_items)):
            if (r, c) in table.cells:
                ws.cell(row, 2 + c, table.cells[(r, c)]).number_format = COUNT_FORMAT
        ws.cell(row, 2 + len(table.col_items), table.row_totals[r]).number_format = COUNT_FORMAT
    total_row = top + 2 + len(table.row_items)
    ws.cell(total_row, 1, GRAND_TOTAL_LABEL).font = bold
    for c, total in enumerate(table.col_totals):
        ws.cell(total_row, 2 + c, total).number_format = COUNT_FORMAT
    ws.cell(total_row, 2 + len(table.col_items), table.grand_total).number_format = COUNT_FORMAT


def _fit_columns(ws: Worksheet, spec: PivotSpec, table: Crosstab) -> None:
    """Each column as wide as its longest label or figure, as either application captions it.

    LibreOffice rewrites the pivot's cells when it refreshes them, wrapping none, so widths must fit.
    """
    bold, plain = BOLD, font()
    captions = [spec.caption, spec.rows, GRAND_TOTAL_LABEL, *OTHER_LABELS]
    widths = [
        max(
            [text_width(c, bold) for c in captions]
            + [text_width(_shown(_label(item)), plain) for item in table.row_items]
        )
    ]
    for c, item in enumerate(table.col_items):
        figures = [table.cells.get((r, c)) for r in range(len(table.row_items))] + [table.col_totals[c]]
        widths.append(max([text_width(_shown(_label(item)), bold)] + [len(_shown(f)) for f in figures]))
    totals = [*table.row_totals, table.grand_total]
    widths.append(max([text_width(label, bold) for label in OTHER_LABELS] + [len(_shown(t)) for t in totals]))
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(math.ceil(width) + 2, MAX_COLUMN_WIDTH)


def _shown(value: Any) -> str:
    """A label or figure as the sheet shows it: whole numbers with thousands separators."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return f"{value:,.0f}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)
