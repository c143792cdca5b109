"""Opening workbooks in headless LibreOffice, as a person would, and reading back what each sheet shows."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

# Every sheet to its own CSV (the trailing -1), cells as shown (token 9), UTF-8.
CSV_EXPORT = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,true,false,false,-1"


def export_sheets(
    soffice: str, profile: Path, folder: Path, data: bytes, stem: str
) -> dict[str, list[list[str]]]:
    """Workbook bytes -> {sheet: rows of cell text as LibreOffice shows them once opened and recalculated}."""
    book = folder / f"{stem}.xlsx"
    book.write_bytes(data)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}_{os.getpid()}",
            "--headless",
            "--convert-to",
            CSV_EXPORT,
            "--outdir",
            str(folder / "out"),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sheets = {}
    for path in sorted((folder / "out").glob(f"{stem}-*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            sheets[path.stem.removeprefix(f"{stem}-")] = list(csv.reader(handle))
    if not sheets:
        raise AssertionError(f"LibreOffice exported no sheets from {book}")
    return sheets
