"""Reading the register extract: decode, parse, type and normalise each table, reporting every problem.

Real exports are messy (BOMs, Windows-1252, CRLF, literal NA, council names spelled several ways), so
everything that can be normalised is, and everything that cannot is reported with its file, line and
field rather than dropped. Pure functions over bytes and DataFrames; the Prefect layer is steps.py.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

import pandas as pd

from carestats.dictionary import DataDictionary, ExtractTable
from carestats.orchestration import PermanentInputError

MISSING_MARKERS = ("", "NA", "N/A", "NULL")
REGISTER_LANDING = "landing/register"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, precise enough to find and fix by hand."""

    file: str
    line: int | None  # line in the file, the header being line 1
    field: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f" line {self.line}" if self.line else "") + (f", field {self.field}" if self.field else "")
        value = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{value}"


class ExtractError(PermanentInputError, ValueError):
    """The extract cannot be used as it stands; every problem found is listed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n  ".join(str(p) for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the register extract:\n  {shown}{more}")


@dataclass
class DecodedTable:
    frame: pd.DataFrame
    encoding: str
    problems: list[Problem] = field(default_factory=list)


def choose_extract(available: list[dt.date], as_at: dt.date) -> dt.date:
    """The first extract taken after the edition date: it holds everything known about that day."""
    later = [d for d in available if d > as_at]
    if not later:
        known = ", ".join(str(d) for d in available[-3:]) or "none"
        raise FileNotFoundError(
            f"no register extract taken after {as_at} under {REGISTER_LANDING}/ (latest: {known}); "
            "the extract lands a few days after each month end"
        )
    return later[0]


DETECTION_CHUNK = 1 << 24


def _decodes_as(data: bytes, encoding: str) -> bool:
    """Whether the bytes decode, checked in chunks so that a large file is never held twice as text."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), DETECTION_CHUNK):
            decoder.decode(view[start : start + DETECTION_CHUNK])
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False


def detect_encoding(data: bytes, file_name: str) -> str:
    """UTF-8 with or without BOM, else Windows-1252; anything else is an error naming the file."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        if _decodes_as(data, encoding):
            return encoding
    raise ExtractError([Problem(file_name, None, None, None, "neither UTF-8 nor Windows-1252")])


def decode(data: bytes, file_name: str) -> tuple[str, str]:
    """Text and the encoding it was in: UTF-8 with or without BOM, else Windows-1252."""
    encoding = detect_encoding(data, file_name)
    return data.decode(encoding), encoding


def clean_header(names) -> list[str]:
    """Header names as meant: spaces, a BOM mangled into the first name, and stray quotes removed."""
    return [str(name).strip().lstrip("\ufeff").strip('"').strip() for name in names]


def parse_table(data: bytes, file_name: str, spec: ExtractTable, dictionary: DataDictionary) -> DecodedTable:
    """Bytes of one extract table to a typed DataFrame, with every problem found."""
    encoding = detect_encoding(data, file_name)
    try:
        raw = pd.read_csv(
            io.BytesIO(data),
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ExtractError([Problem(file_name, None, None, None, f"not a readable CSV table: {error}")]) from error
    raw.columns = clean_header(raw.columns)
    problems: list[Problem] = []
    missing = [c for c in spec.columns if c not in raw.columns and spec.columns[c].get("required")]
    problems += [Problem(file_name, 1, c, None, "required column missing from the header") for c in missing]
    if missing:
        return DecodedTable(raw, encoding, problems)
    frame = pd.DataFrame(index=raw.index)
    for column, column_spec in spec.columns.items():
        values = raw.pop(column).str.strip() if column in raw.columns else pd.Series("", index=raw.index)
        values = values.mask(is_missing_marker(values), "")
        typed, column_problems = _convert(values, column_spec, file_name, column)
        problems += column_problems
        frame[column] = typed
    if "Council_Area_Name" in frame.columns:
        frame["Council_Area_Name"], council_problems = normalise_council_areas(
            frame["Council_Area_Name"], file_name, dictionary
        )
        problems += council_problems
    problems += _duplicate_keys(frame, spec, file_name)
    return DecodedTable(frame, encoding, problems)


def is_missing_marker(values: pd.Series) -> pd.Series:
    """Compared one marker at a time: pandas' isin on Arrow strings walks Python objects."""
    missing = values == MISSING_MARKERS[0]
    for marker in MISSING_MARKERS[1:]:
        missing |= values == marker
    return missing


def _line_numbers(mask: pd.Series) -> list[int]:
    return [int(i) + 2 for i in mask[mask].index]


def _problems_for(mask: pd.Series, values: pd.Series, file_name: str, column: str, message: str) -> list[Problem]:
    return [Problem(file_name, line, column, values.iloc[line - 2], message) for line in _line_numbers(mask)]


def _convert(values: pd.Series, spec: dict, file_name: str, column: str) -> tuple[pd.Series, list[Problem]]:
    kind, present = spec.get("type", "text"), values != ""
    problems: list[Problem] = []
    if spec.get("required"):
        problems += _problems_for(~present, values, file_name, column, "required value is missing")
    if kind == "date":
        parsed = pd.to_datetime(values.where(present), format="%Y-%m-%d", errors="coerce")
        problems += _problems_for(present & parsed.isna(), values, file_name, column, "not a date (yyyy-mm-dd)")
        return parsed.astype("datetime64[s]"), problems
    if kind in ("integer", "decimal"):
        parsed = pd.to_numeric(values.where(present), errors="coerce")
        bad = present & parsed.isna()
        if kind == "integer":
            bad |= present & parsed.notna() & (parsed != parsed.round())
            parsed = parsed.where(~bad).astype("Int64")
        problems += _problems_for(bad, values, file_name, column, f"not a{'n' if kind == 'integer' else ''} {kind}")
        return parsed, problems
    if kind == "flag":
        lowered = values.str.casefold()
        flags = lowered.map({"yes": "Yes", "y": "Yes", "true": "Yes", "no": "No", "n": "No", "false": "No"})
        problems += _problems_for(present & flags.isna(), values, file_name, column, "not Yes or No")
        return flags.where(present, None).astype("string"), problems
    pattern = spec.get("pattern")
    if pattern:
        bad = present & ~values.str.match(pattern)
        problems += _problems_for(bad, values, file_name, column, f"does not match {pattern}")
    return values.where(present, None).astype("string"), problems


def _council_key(name: str) -> str:
    key = re.sub(r"\s+", " ", name.casefold().replace(" and ", " & ")).strip()
    return re.sub(r" council$", "", key)


def normalise_council_areas(
    values: pd.Series, file_name: str, dictionary: DataDictionary
) -> tuple[pd.Series, list[Problem]]:
    """Map every spelling to one of the 32 official names (or 'outside Scotland'); report the rest."""
    lookup = {_council_key(name): name for name in dictionary.council_areas}
    for alias, official in dictionary.reference["council_area_aliases"].items():
        lookup[_council_key(alias)] = official
    distinct = values.dropna().unique()
    mapping = {raw: lookup.get(_council_key(str(raw))) for raw in distinct}
    normalised = values.map(mapping).astype("string")
    unknown = values.notna() & normalised.isna()
    problems = _problems_for(unknown, values, file_name, "Council_Area_Name", "unknown council area")
    return normalised, problems


def _duplicate_keys(frame: pd.DataFrame, spec: ExtractTable, file_name: str) -> list[Problem]:
    key = list(spec.key)
    duplicated = frame.duplicated(key, keep="first")
    return [
        Problem(file_name, int(i) + 2, "+".join(key), " / ".join(str(frame.at[i, k]) for k in key), "duplicate key")
        for i in duplicated[duplicated].index
    ]
