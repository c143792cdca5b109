"""Bare baseline of the annual-returns ingest: a year's export files checked and split in plain pandas.

What a careful analyst would write in a notebook: read every CSV (pandas) and XLSX (pandas with openpyxl)
as text, check each row against the data dictionary's columns and the return's rules, split accepted
from rejected rows, and write each file's accepted rows to Parquet with pyarrow. No Prefect, no Great
Expectations, no raw copies, no quarantine files, no curated store, no compliance reports: the
benchmark's returns ratio is carestats over this.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.bare import _read
from carestats.collection import collection_window
from carestats.dictionary import load_dictionary

INTEGER = r"^-?\d+$"
DECIMAL = r"^-?\d+(?:\.\d+)?$"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _read_export(path: Path) -> pd.DataFrame | None:
    """A file's rows as text (blank cells as nulls), or None when it cannot be read at all."""
    options = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    try:
        if path.suffix.lower() == ".xlsx":
            return pd.read_excel(path, engine="openpyxl", **options)
        with path.open("rb") as handle:
            encoding = "utf-8-sig" if handle.read(3) == b"\xef\xbb\xbf" else "utf-8"
        return pd.read_csv(path, encoding=encoding, **options)
    except Exception:  # a damaged file is refused whole, as the flow refuses it
        return None


def _broken(rows: pd.DataFrame, register: pd.DataFrame, return_year: int, today: dt.date) -> pd.Series:
    """True for every row that breaks a column check or a rule of the return."""
    dictionary = load_dictionary()
    window = collection_window(return_year)
    bad = pd.Series(False, index=rows.index)
    number = {}
    for column in dictionary.annual_return_columns():
        text = rows[column.name]
        present = text.notna()
        if column.required:
            bad |= ~present
        if column.type in ("integer", "decimal"):
            bad |= present & ~text.str.match(INTEGER if column.type == "integer" else DECIMAL, na=False)
            number[column.name] = pd.to_numeric(text, errors="coerce")
            if column.minimum is not None:
                bad |= number[column.name] < column.minimum
            if column.maximum is not None:
                bad |= number[column.name] > column.maximum
        if column.pattern:
            bad |= present & ~text.str.match(column.pattern, na=False)
        allowed = column.allowed or (("Yes", "No") if column.type == "flag" else None)
        if allowed is not None:
            values = number[column.name] if column.name in number else text
            bad |= present & ~values.isin(list(allowed))
        if column.type == "datetime":
            bad |= present & pd.to_datetime(text, format="%Y-%m-%dT%H:%M:%S", errors="coerce").isna()

    # The register: the CS number known, and registered (not cancelled) on 31 December.
    known = rows["CSNumber"].isin(register.index)
    facts = register.reindex(rows["CSNumber"])
    describes = pd.Timestamp(window.describes)
    registered = facts["Date_Registered"].to_numpy() <= describes
    cancelled = facts["Date_Cancelled"].to_numpy() <= describes
    bad |= rows["CSNumber"].notna() & ~known
    bad |= known & ~(registered & ~cancelled)

    bad |= number["Return_Year"].notna() & (number["Return_Year"] != return_year)
    submitted = pd.to_datetime(
        rows["Submitted_At"], format="%Y-%m-%dT%H:%M:%S", errors="coerce"
    ).dt.normalize()
    bad |= submitted.notna() & ~(
        (submitted >= pd.Timestamp(window.opens)) & (submitted <= pd.Timestamp(today))
    )

    # Per role: WTE at most the headcount, leavers at most headcount plus starters.
    for role in dictionary.job_roles:
        heads, wte = number[f"{role}_Headcount"], number[f"{role}_WTE"]
        starters, leavers = number[f"{role}_Starters"], number[f"{role}_Leavers"]
        bad |= heads.notna() & wte.notna() & ~(wte <= heads + 1e-9)
        bad |= leavers.notna() & ~(leavers <= heads.fillna(0) + starters.fillna(0))
    headcount = pd.concat([number[f"{r}_Headcount"] for r in dictionary.job_roles], axis=1)
    sssc = number["SSSC_Registered_Staff"]
    bad |= sssc.notna() & ~(sssc <= headcount.sum(axis=1, min_count=1).fillna(0))

    # Childminders leave the vacancy questions blank; reasons come from the form's list; no formulas.
    vacancy = [c.name for c in dictionary.annual_return_columns() if c.vacancy_question]
    childminder = (
        facts["CareService"].isin(dictionary.not_asked_vacancy_questions()["CareService"]).to_numpy()
    )
    bad |= childminder & rows[vacancy].notna().any(axis=1)
    reasons = rows["Hard_To_Fill_Reasons"]
    choices = set(dictionary.raw["annual_return"]["hard_to_fill_reasons"])
    listed = [
        not isinstance(text, str) or all(item.strip() in choices for item in text.split(";"))
        for text in reasons
    ]
    bad |= ~np.array(listed, dtype=bool)
    bad |= reasons.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
    return bad


def ingest_year(
    landing: Path, register_services: Path, return_year: int, out: Path, today: dt.date | None = None
) -> dict:
    """Read, check and split every export in `landing`, writing each file's accepted rows to `out` as
    Parquet; returns the rows read, accepted and rejected, and the files read and refused.
    """
    today = today or dt.date.today()
    expected = [c.name for c in load_dictionary().annual_return_columns()]
    services = _read(register_services, ["Date_Registered", "Date_Cancelled"])
    register = services.drop_duplicates("CSNumber").set_index("CSNumber")

    frames, files, refused, rejected_whole = [], [], 0, 0
    for path in sorted(p for p in landing.iterdir() if p.is_file()):
        rows = _read_export(path)
        if rows is None:
            refused += 1
            continue
        if set(rows.columns) != set(expected):  # another form's columns: every row refused
            refused += 1
            rejected_whole += len(rows)
            continue
        frames.append(rows[expected].assign(_file=len(files)))
        files.append(path.name)
    rows = pd.concat(frames, ignore_index=True)

    bad = _broken(rows, register, return_year, today)
    ids = rows["Return_ID"].where(~bad)
    bad |= ids.notna() & ids.duplicated(keep="first")  # a copy of a return already accepted
    accepted = rows[~bad.to_numpy()]

    typed = {}
    for column in load_dictionary().annual_return_columns():
        values = accepted[column.name]
        if column.type == "integer":
            typed[column.name] = pd.to_numeric(values).astype("Int64")
        elif column.type == "decimal":
            typed[column.name] = pd.to_numeric(values).astype("Float64")
        elif column.type == "datetime":
            typed[column.name] = pd.to_datetime(values, format="%Y-%m-%dT%H:%M:%S")
        else:
            typed[column.name] = values
    typed = pd.DataFrame(typed, index=accepted.index)
    out.mkdir(parents=True, exist_ok=True)
    for index, part in typed.groupby(accepted["_file"], sort=True):
        table = pa.Table.from_pandas(part, preserve_index=False)
        pq.write_table(table, out / f"{re.sub(r'[^A-Za-z0-9._-]', '_', files[index])}.parquet")
    return {
        "rows": len(rows) + rejected_whole,
        "accepted": len(accepted),
        "rejected": int(bad.sum()) + rejected_whole,
        "files": len(files) + refused,
        "files_refused": refused,
    }
