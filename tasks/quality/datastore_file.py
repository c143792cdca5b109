"""Reading any CSV shaped like a published Datastore for `carestats validate-datastore`.

Real files differ from ours: Windows-1252, a BOM-mangled first header, quoted headers, a literal `NA`
for blank. These are read as the published text they stand for ('' for blank), and each is noted in
the report, so the suites judge the data and not the file's encoding.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

from tasks.register.extract import decode

MISSING_MARKER = "NA"
DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class UnreadableFile(ValueError):
    """The file cannot be read as a CSV table."""


def read_datastore_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The file's rows as text ('' for blank), in file order, and notes on what reading changed."""
    try:
        data = Path(path).read_bytes()
        text, encoding = decode(data, Path(path).name)
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, quoting=csv.QUOTE_MINIMAL)
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise UnreadableFile(f"cannot read {path}: {error}") from error
    frame.columns = [str(c).strip().lstrip("\ufeff").strip('"') for c in frame.columns]
    notes = [f"read as {encoding}"]
    literal_na = frame == MISSING_MARKER
    if literal_na.any().any():
        notes.append(f"{int(literal_na.sum().sum()):,} cells held a literal {MISSING_MARKER!r}, read as blank")
        frame = frame.mask(literal_na, "")
    return frame, notes


def edition_date_from_name(path: Path) -> dt.date | None:
    """The edition date in a file name such as datastore_2025-08-31.csv, if there is one."""
    match = DATE_IN_NAME.search(Path(path).name)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None
