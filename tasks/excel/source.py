"""Reading any Datastore-shaped CSV as published text, whichever edition or export it came from."""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd

from tasks.register.extract import decode

MISSING_MARKERS = ("NA",)  # what R-made extracts write for an empty cell
MONTHS = {name: number for number, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july",
     "august", "september", "october", "november", "december"], start=1)}


def read_datastore_csv(data: bytes, file_name: str = "datastore.csv") -> pd.DataFrame:
    """Every cell as text, '' for blank: BOM or not, UTF-8 or Windows-1252, CRLF or LF, literal NA as blank."""
    text, _ = decode(data, file_name)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    frame.columns = [str(c).strip().lstrip("\ufeff").strip('"').strip() for c in frame.columns]
    return frame.replace(list(MISSING_MARKERS), "").astype(object)


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
