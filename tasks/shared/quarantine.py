"""Quarantine: input that cannot be used is copied aside whole, with what was wrong, so nothing is lost.

Any flow that reads files from landing/ reports each problem precisely enough to find and fix by hand
(file, line, field, value) and, when it cannot go on, calls quarantine(): the files are copied as
received into their quarantine folder beside problems.json, and the landed originals stay where they
are, so a corrected delivery or a rerun finds everything as it was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake import Lake
from tasks.shared.lake_map import PROBLEMS


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, precise enough to find and fix by hand."""

    file: str
    line: int | None  # line in the file, the header being line 1
    field: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        """The problem as one readable line: where, what, and the value found."""
        where = (
            self.file
            + (f" line {self.line}" if self.line else "")
            + (f", field {self.field}" if self.field else "")
        )
        value = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{value}"


def quarantine(
    lake: Lake, folder: str, sources: dict[str, str], problems: list[Problem], about: dict[str, Any]
) -> str:
    """Copy every source file (name -> landed key) into `folder` with problems.json;
    returns the folder's address.

    `about` says what the batch was (an extract date and checksums, a return year), so the report can be
    read on its own. Files are copied as received, byte for byte.
    """
    for name, key in sources.items():
        if lake.exists(key):
            lake.write_bytes(f"{folder}/{name}", lake.read_bytes(key))
    lake.write_bytes(
        f"{folder}/{PROBLEMS}", canonical_json({**about, "problems": [asdict(p) for p in problems]})
    )
    return lake.uri(folder)
