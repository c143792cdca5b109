"""Opening workbooks in headless LibreOffice, as a person would: reading back what each sheet shows, or
printing the whole workbook to PDF.
"""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import pandas as pd

from carestats.dictionary import load_dictionary

# Every sheet to its own CSV (the trailing -1), cells as shown (token 9), UTF-8.
CSV_EXPORT = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,true,false,false,-1"
PDF_EXPORT = "pdf:calc_pdf_Export"


def export_sheets(
    soffice: str, profile: Path, folder: Path, data: bytes, stem: str
) -> dict[str, list[list[str]]]:
    """Workbook bytes -> {sheet: rows of cell text as LibreOffice shows them once opened and recalculated}."""
    convert(soffice, profile, folder, data, stem, CSV_EXPORT, timeout=180)
    sheets = {}
    for path in sorted((folder / "out").glob(f"{stem}-*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            sheets[path.stem.removeprefix(f"{stem}-")] = list(csv.reader(handle))
    if not sheets:
        raise AssertionError(f"LibreOffice exported no sheets from {folder / stem}.xlsx")
    return sheets


def print_to_pdf(soffice: str, profile: Path, folder: Path, data: bytes, stem: str, timeout: float) -> Path:
    """Workbook bytes -> the PDF of the whole workbook as LibreOffice prints it (every sheet's print area).

    Fails with subprocess.TimeoutExpired when printing takes longer than `timeout` seconds.
    """
    convert(soffice, profile, folder, data, stem, PDF_EXPORT, timeout=timeout)
    return folder / "out" / f"{stem}.pdf"


def convert(
    soffice: str, profile: Path, folder: Path, data: bytes, stem: str, target: str, timeout: float
) -> None:
    """Write the workbook to `folder` and convert it to `target` (a --convert-to filter) into folder/out."""
    book = folder / f"{stem}.xlsx"
    book.write_bytes(data)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}_{os.getpid()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(folder / "out"),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=timeout,
    )


def shown_rows(text: pd.DataFrame) -> list[list[str]]:
    """The rows of published text as the Data sheet shows them: whole numbers with thousands separators."""
    dictionary = load_dictionary()
    shown = text.copy()
    for name in text.columns:
        column = dictionary.column_for_name(name)
        if column is not None and column.type == "integer":
            shown[name] = [f"{int(v):,}" if v.lstrip("-").isdigit() else v for v in text[name]]
    return shown.values.tolist()
