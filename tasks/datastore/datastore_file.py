"""Reading any CSV shaped like a published Datastore, whichever edition or export it came from.

Real files differ from ours: Windows-1252, a BOM-mangled first header, quoted headers, a literal `NA`
for blank, CRLF. They are read as the published text they stand for ('' for blank), with a note of
each thing reading changed, so that the workbook and the quality suites judge the data, not the file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from carestats.errors import MissingInputError
from carestats.settings import month_end
from tasks.shared.csv_text import UnreadableCsv, read_csv_text

MISSING_MARKER = "NA"  # what R-made extracts write for an empty cell
MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


def read_datastore_csv(data: bytes, file_name: str = "datastore.csv") -> tuple[pd.DataFrame, list[str]]:
    """The file's rows as text ('' for blank), in file order, and notes on what reading changed."""
    read = read_csv_text(data, file_name)
    if read.malformed:
        shown = "; ".join(f"line {row.line}: {row}" for row in read.malformed[:5])
        raise UnreadableCsv(f"cannot read {file_name}: {len(read.malformed)} malformed row(s): {shown}")
    frame = read.to_pandas()
    notes = [f"read as {read.encoding}"]
    literal_na = frame == MISSING_MARKER
    if literal_na.any().any():
        notes.append(
            f"{int(literal_na.sum().sum()):,} cells held a literal {MISSING_MARKER!r}, read as blank"
        )
        frame = frame.mask(literal_na, "")
    return frame, notes


def read_datastore_file(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """A Datastore-shaped CSV on disk, read as read_datastore_csv reads bytes; a missing file is bad input."""
    if not path.is_file():
        raise MissingInputError(f"{path}: no such file")
    return read_datastore_csv(path.read_bytes(), path.name)


def as_at_from_file_name(name: str) -> dt.date | None:
    """The edition date a file name holds, in any of the names editions have had, or None.

    datastore_2025-08-31.csv, MDSF_data_31 March 2025.csv and 250531DatastoreExternal.csv all name one.
    """
    patterns = (
        (r"(\d{4})-(\d{2})-(\d{2})", lambda m: (int(m[1]), int(m[2]), int(m[3]))),
        (r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})", lambda m: (int(m[3]), MONTHS.get(m[2].lower(), 0), int(m[1]))),
        (r"(?<!\d)(\d{2})(\d{2})(\d{2})(?=Datastore)", lambda m: (2000 + int(m[1]), int(m[2]), int(m[3]))),
    )
    for pattern, parts in patterns:
        match = re.search(pattern, name)
        if match:
            try:
                return dt.date(*parts(match))
            except ValueError:
                continue
    return None


DATE_COLUMNS_READ_FOR_THE_EDITION = ("Publication_of_Latest_Grading", "Last_inspection_Date")


def edition_date_from_content(text: pd.DataFrame) -> tuple[dt.date, str] | None:
    """The edition date the data imply, and why: the month end of the latest grading or inspection date
    (gradings are published every working week), checked against the newest financial-year columns.

    None when the file holds none of those dates.
    """
    latest: tuple[dt.date, str] | None = None
    for column in DATE_COLUMNS_READ_FOR_THE_EDITION:
        if column in text.columns:
            dates = pd.to_datetime(text[column], format="%d/%m/%Y", errors="coerce").dropna()
            if len(dates) and (latest is None or dates.max().date() > latest[0]):
                latest = (dates.max().date(), column)
    if latest is None:
        return None
    day, column = latest
    as_at = month_end(day)
    why = f"the latest date in the file is {day:%d/%m/%Y} ({column})"
    years = sorted({m[1] for c in text.columns if (m := re.search(r"_(\d{4})$", c))})
    if years:
        newest = years[-1]
        first_april = dt.date(2000 + int(newest[:2]), 4, 1)
        fits = first_april <= as_at < first_april.replace(year=first_april.year + 1)
        why += f"; its newest financial-year columns are 20{newest[:2]}/{newest[2:]}" + (
            "" if fits else ", which do not include that date: check the file"
        )
    return as_at, why
