"""Taking in one export file of annual returns: every row accepted or quarantined, none lost.

ingest_export() is pure: given a file's bytes and what it is judged against (the register, the window,
the returns already received), it says which rows are accepted (as typed curated rows), which are
quarantined and why (file, line, field, value, rule), and counts both. The Prefect layer (steps.py)
keeps the raw copy, writes the results and rebuilds the store; the counts let it prove that every row
received ends in exactly one place.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carestats.collection import CollectionWindow
from carestats.dictionary import DataDictionary, load_dictionary
from tasks.annual_returns.validation import RegisterFacts, failing_rows, positions_of
from tasks.shared.quality.columns import DATE_FORMATS
from tasks.shared.quarantine import Problem
from tasks.shared.tabular_file import TabularText, UnreadableFile, read_tabular

SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ ()-]{0,199}$")
PANDAS_TYPES = {"integer": "Int64", "decimal": "Float64", "datetime": "datetime64[s]"}


@dataclass(frozen=True)
class Received:
    """A return already accepted, so that a second copy of it is recognised: where it was first seen."""

    file: str
    line: int


@dataclass
class FileIngest:
    """What became of one export file version: its accepted returns, its problems, and the counts."""

    file: str
    sha256: str
    accepted: pd.DataFrame  # curated rows (every return column typed, plus Total_WTE, Late and the source)
    problems: list[Problem] = field(default_factory=list)
    rows_received: int = 0
    rows_quarantined: int = 0
    unreadable: str | None = None  # why the whole file could not be read, if it could not
    encoding: str | None = None

    @property
    def rows_accepted(self) -> int:
        """Rows taken into the store."""
        return len(self.accepted)

    def record(self, about: dict) -> dict:
        """What the ingested record says of the file: counts that must add up, and what it was judged by."""
        return {
            **about,
            "file": self.file,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "unreadable": self.unreadable,
            "rows_received": self.rows_received,
            "rows_accepted": self.rows_accepted,
            "rows_quarantined": self.rows_quarantined,
            "problems": len(self.problems),
        }


def safe_file_name(name: str) -> str:
    """A landed name as it may be used in the lake: unchanged when plain, else every unsafe character
    (a '/', '..', a control character) replaced, so that no name can reach outside its folder.
    """
    if SAFE_FILE_NAME.match(name) and ".." not in name:
        return name
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).replace("..", "_").lstrip(".")[:200] or "unnamed"


def curated_rows(
    text: pd.DataFrame,
    lines: list[int],
    window: CollectionWindow,
    file: str | list[str],
    sha256: str | list[str],
    dictionary: DataDictionary,
) -> pd.DataFrame:
    """Accepted returns as typed rows: every column of the return, the total WTE over job roles, whether
    it came late, and where it came from (file, checksum, line: one for all rows, or one per row).
    """
    columns = dictionary.annual_return_columns()
    typed = {}
    for column in columns:
        values = text[column.name].replace("", None)
        if column.type in ("integer", "decimal"):
            typed[column.name] = pd.to_numeric(values, errors="raise").astype(PANDAS_TYPES[column.type])
        elif column.type == "datetime":
            typed[column.name] = pd.to_datetime(values, format=DATE_FORMATS["datetime"]).astype(
                "datetime64[s]"
            )
        else:
            typed[column.name] = values.astype("string")
    frame = pd.DataFrame(typed, index=text.index)
    wte = [c.name for c in columns if c.staffing == "wte"]
    frame["Total_WTE"] = frame[wte].sum(axis=1, min_count=1).round(2).astype("Float64")
    late = frame["Submitted_At"].dt.date > window.closes
    frame["Late"] = pd.Series(np.where(late, "Yes", "No"), index=frame.index, dtype="string")
    frame["Source_File"] = pd.Series(file, index=frame.index, dtype="string")
    frame["Source_sha256"] = pd.Series(sha256, index=frame.index, dtype="string")
    frame["Source_Line"] = pd.Series(lines, index=frame.index, dtype="Int64")
    return frame.reset_index(drop=True)


def _header_problems(file: str, found: list[str], expected: list[str]) -> list[Problem]:
    """A header that is not the dictionary's columns (missing, extra, renamed) makes the file unusable."""
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if not missing and not extra:
        return []
    parts = [
        f"missing column(s) {', '.join(missing)}" if missing else "",
        f"unexpected column(s) {', '.join(extra)}" if extra else "",
    ]
    message = (
        "; ".join(p for p in parts if p)
        + " (the columns must be the data dictionary's annual_return columns)"
    )
    return [Problem(file, 1, ", ".join((missing + extra)[:10]), None, message)]


@dataclass
class ReadExport:
    """One export file version as read: its returns as text with their lines, or why it cannot be used."""

    file: str
    sha256: str
    text: pd.DataFrame | None  # the returns in the dictionary's column order; None when the file is refused
    lines: list[int]
    problems: list[Problem]  # malformed lines, or the whole file's problem
    rows_received: int
    unreadable: str | None = None
    encoding: str | None = None


def read_export(file: str, sha256: str, data: bytes, dictionary: DataDictionary | None = None) -> ReadExport:
    """Read a file safely (tabular_file) and check its columns are the dictionary's; a file that cannot
    be read, or has other columns (missing, extra, renamed), is refused whole, its rows all counted.
    """
    dictionary = dictionary or load_dictionary()
    expected = [c.name for c in dictionary.annual_return_columns()]
    try:
        table: TabularText = read_tabular(file, data)
    except UnreadableFile as unreadable:
        return ReadExport(file, sha256, None, [], [unreadable.problem], 0, unreadable=str(unreadable))
    received = len(table.frame) + len(table.malformed)
    header = _header_problems(file, list(table.frame.columns), expected)
    if header:
        return ReadExport(file, sha256, None, [], header, received, header[0].message, table.encoding)
    text = table.frame.reset_index(drop=True)[expected]
    return ReadExport(
        file, sha256, text, list(table.lines), list(table.malformed), received, None, table.encoding
    )


def _rule_problems(
    exports: list[ReadExport],
    register: RegisterFacts,
    window: CollectionWindow,
    today: dt.date,
    dictionary: DataDictionary,
) -> dict[tuple[int, int], list[Problem]]:
    """Every critical expectation each row breaks, judged in one pass over all the files' rows (GX costs
    seconds per pass, whatever the rows), keyed by (file's index, row's position in it).
    """
    readable = [(i, e) for i, e in enumerate(exports) if e.text is not None and len(e.text)]
    if not readable:
        return {}
    combined = pd.concat([e.text for _, e in readable], ignore_index=True)
    owners = [(i, position) for i, e in readable for position in range(len(e.text))]
    found: dict[tuple[int, int], list[Problem]] = {}
    for failure in failing_rows(combined, register, window, today, dictionary):
        for position in positions_of(failure):
            index, row = owners[position]
            export = exports[index]
            value = (
                combined.iat[position, combined.columns.get_loc(failure.column)]
                if failure.column in combined
                else None
            )
            found.setdefault((index, row), []).append(
                Problem(
                    export.file,
                    export.lines[row],
                    failure.column,
                    value,
                    f"{failure.expectation}: {failure.reason or 'breaks the data dictionary'}",
                )
            )
    return found


def judge_exports(
    exports: list[ReadExport],
    register: RegisterFacts,
    window: CollectionWindow,
    today: dt.date,
    received: dict[str, Received],
    dictionary: DataDictionary | None = None,
) -> list[FileIngest]:
    """Split every row of the files (in order) into accepted and quarantined.

    A row is quarantined for a malformed line, any critical expectation it breaks (named with its line,
    field, value and rule), or being a copy of a return already accepted (earlier in the file, in an
    earlier file, or in an earlier run: `received`, which this updates); every other row is accepted.
    """
    dictionary = dictionary or load_dictionary()
    broken = _rule_problems(exports, register, window, today, dictionary)
    outcomes, kept = [], []
    for index, export in enumerate(exports):
        outcome = FileIngest(
            export.file,
            export.sha256,
            None,
            list(export.problems),
            export.rows_received,
            unreadable=export.unreadable,
            encoding=export.encoding,
        )
        outcomes.append(outcome)
        if export.text is None:
            outcome.rows_quarantined = export.rows_received
            continue
        quarantined = export.rows_received - len(export.text)  # malformed lines
        for row, return_id in enumerate(export.text["Return_ID"]):
            problems = broken.get((index, row), [])
            if not problems and return_id in received:
                earlier = received[return_id]
                where = "of this file" if earlier.file == export.file else f"in {earlier.file}"
                problems = [
                    Problem(
                        export.file,
                        export.lines[row],
                        "Return_ID",
                        return_id,
                        f"duplicate: this return was already received at line {earlier.line} {where}",
                    )
                ]
            if problems:
                outcome.problems += problems
                quarantined += 1
            else:
                kept.append((index, row))
                received[return_id] = Received(export.file, export.lines[row])
        outcome.problems.sort(key=lambda p: p.line or 0)
        outcome.rows_quarantined = quarantined
    # Typed once for all files (typing costs the same for ten rows as for ten thousand), then split.
    columns = [c.name for c in dictionary.annual_return_columns()]
    by_file: dict[int, list[int]] = {}  # kept is in file order, then row order: so is this
    for index, row in kept:
        by_file.setdefault(index, []).append(row)
    text = (
        pd.concat([exports[i].text.iloc[rows] for i, rows in by_file.items()], ignore_index=True)
        if kept
        else pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    )
    accepted = curated_rows(
        text,
        [exports[i].lines[r] for i, r in kept],
        window,
        [exports[i].file for i, _ in kept],
        [exports[i].sha256 for i, _ in kept],
        dictionary,
    )
    start = 0
    for index, outcome in enumerate(outcomes):  # each file's rows are one run of `accepted`: a slice
        stop = start + len(by_file.get(index, []))
        outcome.accepted = accepted.iloc[start:stop].reset_index(drop=True)
        start = stop
    return outcomes


def ingest_export(
    file: str,
    sha256: str,
    data: bytes,
    register: RegisterFacts,
    window: CollectionWindow,
    today: dt.date,
    received: dict[str, Received],
    dictionary: DataDictionary | None = None,
) -> FileIngest:
    """One file read and judged alone (what a run does for each of its files, in one pass over them all)."""
    return judge_exports(
        [read_export(file, sha256, data, dictionary)], register, window, today, received, dictionary
    )[0]
