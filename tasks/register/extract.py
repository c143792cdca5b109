"""Reading the register extract: decode, parse, type and normalise each table, reporting every problem.

Real exports are messy (BOMs, Windows-1252, CRLF, literal NA, council names spelled several ways), so
everything that can be normalised is, and everything that cannot is reported with its file, line and
field rather than dropped. Pure functions over bytes and DataFrames; the Prefect layer is steps.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carestats.dictionary import DataDictionary, ExtractTable
from carestats.errors import BadInputError, MissingInputError
from carestats.settings import month_end
from tasks.shared.csv_text import Source, UnreadableCsv, read_csv_text
from tasks.shared.lake_map import RegisterExtract
from tasks.shared.quarantine import Problem

MISSING_MARKERS = ("", "NA", "N/A", "NULL")
MISSING_VALUE_SET = pa.array(MISSING_MARKERS)
FLAG_YES, FLAG_NO = pa.array(["yes", "y", "true"]), pa.array(["no", "n", "false"])
NUMBER_PATTERN = (
    r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"  # what pandas' to_numeric reads, without inf and nan
)
LARGEST_EXACT_INTEGER = 2.0**53
ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
PANDAS_TYPES = {
    pa.string(): pd.StringDtype("pyarrow"),
    pa.int64(): pd.Int64Dtype(),
    pa.float64(): pd.Float64Dtype(),
}
FIRST_DATA_LINE = 2  # the header is line 1
REPEATS_TO_COMPACT = 20  # a text column is held as categories when each value repeats this often on average


class ExtractError(BadInputError):
    """The extract cannot be used as it stands; every problem found is listed, the first on the first line."""

    def __init__(self, problems: list[Problem], where: str | None = None):
        self.problems, self.where = problems, where
        kept = f"; the extract is quarantined at {where}" if where else ""
        shown = "\n  ".join(str(p) for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(
            f"{len(problems)} problem(s) in the register extract{kept}; first: {problems[0]}\n  {shown}{more}"
        )


@dataclass
class DecodedTable:
    """One extract table as loaded: typed values, the encoding it was read in, and every problem found."""

    frame: pd.DataFrame
    encoding: str
    problems: list[Problem] = field(default_factory=list)


def choose_extract(available: list[dt.date], as_at: dt.date) -> dt.date:
    """The first extract taken after the edition date: it holds everything known about that day."""
    later = [d for d in available if d > as_at]
    if not later:
        known = ", ".join(str(d) for d in available[-3:]) or "none"
        raise MissingInputError(
            f"no register extract taken after {as_at} under {RegisterExtract.AREA}/ (latest: {known}); "
            "the extract lands a few days after each month end"
        )
    return later[0]


def extract_of_month(available: list[dt.date], as_at: dt.date) -> dt.date:
    """The extract taken for the month ending `as_at`: the first after it, if taken before the next month
    ends. A month without one is refused (a backfill never builds an edition from a later month's extract,
    which would say what was known weeks later).
    """
    next_month_end = month_end(as_at + dt.timedelta(days=1))
    taken = [d for d in available if as_at < d <= next_month_end]
    if not taken:
        later = [d for d in available if d > next_month_end]
        raise MissingInputError(
            f"no register extract for the month ending {as_at}: none was taken between {as_at} and "
            f"{next_month_end} under {RegisterExtract.AREA}/"
            + (f" (the next is of {later[0]}, a later month's)" if later else "")
        )
    return taken[0]


def parse_table(
    source: Source, file_name: str, spec: ExtractTable, dictionary: DataDictionary
) -> DecodedTable:
    """One extract table (its bytes, or a way to open them) to a typed DataFrame, with every problem found.

    Values are checked and typed in Arrow, column by column, each raw column released once converted:
    the register is millions of rows at scale, and a Python object per cell would cost gigabytes.
    """
    try:
        read = read_csv_text(source, file_name)
    except UnreadableCsv as error:
        raise ExtractError([Problem(file_name, None, None, None, str(error))]) from error
    problems = [Problem(file_name, row.line, None, None, f"malformed row: {row}") for row in read.malformed]
    missing = [
        c for c in spec.columns if c not in read.table.column_names and spec.columns[c].get("required")
    ]
    problems += [Problem(file_name, 1, c, None, "required column missing from the header") for c in missing]
    if missing:
        return DecodedTable(read.to_pandas(), read.encoding, problems)
    raw, encoding = read.table, read.encoding
    del read  # the raw columns are released one by one as they are converted
    typed = {}
    for column, column_spec in spec.columns.items():
        if column in raw.column_names:
            values = pc.utf8_trim_whitespace(raw.column(column))
            raw = raw.drop_columns([column])
        else:
            values = pa.chunked_array([pa.repeat("", raw.num_rows)])
        present = pc.invert(pc.is_in(values, value_set=MISSING_VALUE_SET))
        typed[column], column_problems = _convert(
            pc.if_else(present, values, ""), present, column_spec, file_name, column
        )
        problems += column_problems
    if "Council_Area_Name" in typed:
        typed["Council_Area_Name"], council_problems = normalise_council_areas(
            typed["Council_Area_Name"], file_name, dictionary
        )
        problems += council_problems
    frame = pa.table({name: _compact(values) for name, values in typed.items()}).to_pandas(
        types_mapper=PANDAS_TYPES.get
    )
    problems += _duplicate_keys(frame, spec, file_name)
    return DecodedTable(frame, encoding, problems)


def _compact(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text that repeats a lot (care service, council, town, Yes/No) held once per distinct value.

    The register at 100x is 2.7M services: its low-cardinality columns as categories take a twentieth
    of the memory. The edition turns them back into text once it has chosen its services (as_text).
    """
    if pa.types.is_string(values.type) and pc.count_distinct(values).as_py() * REPEATS_TO_COMPACT <= len(
        values
    ):
        return pc.dictionary_encode(values)
    return values


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its categorical (compacted) columns as plain text again."""
    categorical = [name for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)]
    return frame.astype({name: PANDAS_TYPES[pa.string()] for name in categorical})


def _true(mask: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.fill_null(mask, False)


def _problems_for(
    mask: pa.ChunkedArray, values: pa.ChunkedArray, file_name: str, column: str, message: str
) -> list[Problem]:
    rows = pc.indices_nonzero(_true(mask))
    shown = pc.take(values, rows).to_pylist()
    return [
        Problem(file_name, row + FIRST_DATA_LINE, column, value, message)
        for row, value in zip(rows.to_pylist(), shown, strict=True)
    ]


def _convert(
    values: pa.ChunkedArray, present: pa.ChunkedArray, spec: dict, file_name: str, column: str
) -> tuple[pa.ChunkedArray, list[Problem]]:
    """One column typed as the extract schema says (null where missing), and the values that are not."""
    kind, blanked = spec.get("type", "text"), pc.if_else(present, values, None)
    problems: list[Problem] = []
    if spec.get("required"):
        problems += _problems_for(pc.invert(present), values, file_name, column, "required value is missing")
    if kind == "date":
        well_formed = pc.if_else(_true(pc.match_substring_regex(blanked, ISO_DATE_PATTERN)), blanked, None)
        parsed = pc.strptime(well_formed, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 30 February over into March: a real date keeps the day it was written with.
        valid = _true(
            pc.equal(pc.day(parsed), pc.cast(pc.utf8_slice_codeunits(well_formed, 8, 10), pa.int64()))
        )
        problems += _problems_for(
            pc.and_(present, pc.invert(valid)), values, file_name, column, "not a date (yyyy-mm-dd)"
        )
        return pc.if_else(valid, parsed, None), problems
    if kind in ("integer", "decimal"):
        valid = _true(pc.match_substring_regex(blanked, NUMBER_PATTERN))
        parsed = pc.cast(pc.if_else(valid, blanked, None), pa.float64())
        if kind == "integer":
            whole = pc.and_(
                pc.equal(parsed, pc.floor(parsed)), pc.less(pc.abs(parsed), LARGEST_EXACT_INTEGER)
            )
            valid = pc.and_(valid, _true(whole))
            parsed = pc.cast(pc.if_else(valid, parsed, None), pa.int64())
        article = "an" if kind == "integer" else "a"
        problems += _problems_for(
            pc.and_(present, pc.invert(valid)), values, file_name, column, f"not {article} {kind}"
        )
        return parsed, problems
    if kind == "flag":
        lowered = pc.utf8_lower(blanked)
        yes, no = _true(pc.is_in(lowered, value_set=FLAG_YES)), _true(pc.is_in(lowered, value_set=FLAG_NO))
        problems += _problems_for(
            pc.and_(present, pc.invert(pc.or_(yes, no))), values, file_name, column, "not Yes or No"
        )
        return pc.if_else(yes, "Yes", pc.if_else(no, "No", pa.scalar(None, pa.string()))), problems
    pattern = spec.get("pattern")
    if pattern:
        bad = pc.and_(present, pc.invert(_true(pc.match_substring_regex(blanked, pattern))))
        problems += _problems_for(bad, values, file_name, column, f"does not match {pattern}")
    return blanked, problems


def _council_key(name: str) -> str:
    key = re.sub(r"\s+", " ", name.casefold().replace(" and ", " & ")).strip()
    return re.sub(r" council$", "", key)


def normalise_council_areas(
    values: pa.ChunkedArray, file_name: str, dictionary: DataDictionary
) -> tuple[pa.ChunkedArray, list[Problem]]:
    """Map every spelling to one of the 32 official names (or 'outside Scotland'); report the rest."""
    lookup = {_council_key(name): name for name in dictionary.council_areas}
    for alias, official in dictionary.reference["council_area_aliases"].items():
        lookup[_council_key(alias)] = official
    spellings = pc.unique(values).drop_null()
    official = pa.array([lookup.get(_council_key(s)) for s in spellings.to_pylist()], pa.string())
    normalised = pc.take(official, pc.index_in(values, value_set=spellings))
    unknown = pc.and_(pc.is_valid(values), pc.is_null(normalised))
    problems = _problems_for(unknown, values, file_name, "Council_Area_Name", "unknown council area")
    return normalised, problems


def _duplicate_keys(frame: pd.DataFrame, spec: ExtractTable, file_name: str) -> list[Problem]:
    key = list(spec.key)
    duplicated = frame.duplicated(key, keep="first")
    return [
        Problem(
            file_name,
            int(i) + FIRST_DATA_LINE,
            "+".join(key),
            " / ".join(str(frame.at[i, k]) for k in key),
            "duplicate key",
        )
        for i in duplicated[duplicated].index
    ]
