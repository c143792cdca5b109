"""Bare baselines: the same work as carestats, in plain pandas and openpyxl, without Prefect or GX.

They are what a careful analyst would write in a notebook: no problem reporting, no quarantine, no
manifest, no artifacts. The benchmark's ratios are carestats over these.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from carestats.dictionary import financial_year_label, financial_years, load_dictionary

KEY_QUESTIONS = load_dictionary().key_questions


def _read(path: Path, dates: list[str]) -> pd.DataFrame:
    with path.open("rb") as handle:
        encoding = "utf-8-sig" if handle.read(3) == b"\xef\xbb\xbf" else "utf-8"
    options = {"na_values": ["NA"], "keep_default_na": False, "dtype": str}
    try:
        frame = pd.read_csv(path, encoding=encoding, **options)
    except UnicodeDecodeError:
        frame = pd.read_csv(path, encoding="cp1252", **options)
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
    return frame


def _council_lookup() -> dict[str, str]:
    dictionary = load_dictionary()

    def key(name: str) -> str:
        return re.sub(r" council$", "", re.sub(r"\s+", " ", name.casefold().replace(" and ", " & ")).strip())

    lookup = {key(n): n for n in dictionary.council_areas}
    lookup.update({key(a): o for a, o in dictionary.reference["council_area_aliases"].items()})
    return lookup


def _latest(gradings: pd.DataFrame) -> pd.DataFrame:
    ordered = gradings.sort_values(["CSNumber", "Publication_Date"])
    return pd.DataFrame(
        {
            kq: ordered.dropna(subset=[kq]).drop_duplicates("CSNumber", keep="last").set_index("CSNumber")[kq]
            for kq in KEY_QUESTIONS
        }
    ).astype(float)


def _by_year(events: pd.DataFrame, column: str, as_at: dt.date) -> pd.DataFrame:
    events = events[events[column] <= pd.Timestamp(as_at)]
    start = events[column].dt.year - (events[column].dt.month < 4)
    years = start.map({year: financial_year_label(year) for year in start.unique()})
    return events.assign(fy=years)[years.isin(financial_years(as_at))]


def publish_edition(landing: Path, as_at: dt.date, previous_csv: Path | None, out: Path) -> int:
    """Read the extract, select, derive, blank, write the CSV and the changes file; returns rows."""
    services = _read(landing / "services.csv", ["Date_Registered", "Date_Cancelled"])
    gradings = _read(landing / "gradings.csv", ["Inspection_Date", "Publication_Date"])
    inspections = _read(landing / "inspections.csv", ["Inspection_Date"])
    complaints = _read(landing / "complaints.csv", ["Upheld_Date"])
    enforcements = _read(landing / "enforcements.csv", ["Issued_Date"])
    day = pd.Timestamp(as_at)

    lookup = _council_lookup()
    spellings = services["Council_Area_Name"].unique()
    services["Council_Area_Name"] = services["Council_Area_Name"].map(
        {
            v: lookup[
                re.sub(r" council$", "", re.sub(r"\s+", " ", v.casefold().replace(" and ", " & ")).strip())
            ]
            for v in spellings
        }
    )
    edition = services[(services.Date_Registered <= day) & ~(services.Date_Cancelled <= day)].set_index(
        "CSNumber"
    )

    graded = gradings[(gradings.Publication_Date <= day) & gradings.CSNumber.isin(edition.index)]
    for kq in KEY_QUESTIONS:
        graded[kq] = pd.to_numeric(graded[kq])
    current = _latest(graded)
    last = graded.groupby("CSNumber").Publication_Date.transform("max")
    previous = _latest(graded[graded.Publication_Date < last])
    edition[KEY_QUESTIONS] = current.reindex(edition.index)
    edition["MinGrade"] = current.min(axis=1)
    edition["MaxGrade"] = current.max(axis=1)
    edition["GradeSpread"] = edition.MinGrade.map(lambda m: "5 or 6" if m >= 5 else None)
    edition.loc[(edition.MaxGrade <= 2), "GradeSpread"] = "1 or 2"
    edition.loc[edition.MinGrade.notna() & edition.GradeSpread.isna(), "GradeSpread"] = "Mix"
    before = previous.min(axis=1).reindex(edition.index)
    edition["MinGrade_change"] = None
    edition.loc[before.notna() & (edition.MinGrade > before), "MinGrade_change"] = "Improve"
    edition.loc[before.notna() & (edition.MinGrade < before), "MinGrade_change"] = "Decline"
    edition.loc[before.notna() & (edition.MinGrade == before), "MinGrade_change"] = "Same"
    edition["Publication_of_Latest_Grading"] = (
        graded.groupby("CSNumber").Publication_Date.max().dt.strftime("%d/%m/%Y")
    )
    held = inspections[(inspections.Inspection_Date <= day) & inspections.CSNumber.isin(edition.index)]
    edition["Last_inspection_Date"] = held.groupby("CSNumber").Inspection_Date.max().dt.strftime("%d/%m/%Y")
    for events, column, prefix in (
        (complaints, "Upheld_Date", "Complaints_upheld_"),
        (enforcements, "Issued_Date", "Enforcements_issued_"),
    ):
        counts = (
            _by_year(events[events.CSNumber.isin(edition.index)], column, as_at)
            .groupby(["CSNumber", "fy"])
            .size()
            .unstack()
        )
        for fy in financial_years(as_at):
            edition[prefix + fy] = counts[fy] if fy in counts else None
    yearly = _by_year(held, "Inspection_Date", as_at)
    made = (yearly.Requirements_Made == "Yes").groupby([yearly.CSNumber, yearly.fy]).any().unstack()
    for fy in financial_years(as_at):
        edition["any_requirements_" + fy] = (
            made[fy].map({True: "Yes", False: "Inspected but no requirements"}) if fy in made else None
        )
    edition["Date_Reg"] = (
        edition.Date_Registered.dt.year.astype(str) + "_" + edition.Date_Registered.dt.month.astype(str)
    )

    minders = edition.CareService == "Child Minding"
    for column in (
        "Address_line_1",
        "Address_line_2",
        "Address_line_3",
        "Address_line_4",
        "Service_Postcode",
        "Service_Phone_Number",
        "Eforms_email_address",
        "ServiceProvider",
    ):
        edition.loc[minders, column] = None
    edition["Manager_Name"] = None
    columns = load_dictionary().datastore_column_names(as_at)
    published = edition.reset_index().reindex(columns=columns).sort_values("CSNumber")
    published.to_csv(out / "datastore.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n")

    if previous_csv is not None:
        old = pd.read_csv(previous_csv, dtype=str, keep_default_na=False, encoding="utf-8-sig").set_index(
            "CSNumber"
        )
        new = pd.read_csv(
            out / "datastore.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
        ).set_index("CSNumber")
        both = old.index.intersection(new.index)
        shared = [c for c in new.columns if c in old.columns]
        differs = old.loc[both, shared].ne(new.loc[both, shared]).stack()
        changes = differs[differs].reset_index()
        changes.to_csv(out / "changes.csv", index=False)
    return len(published)


def write_data_sheet(text: pd.DataFrame, out: Path) -> None:
    """openpyxl alone writing the bare data sheet: the floor for the workbook benchmark."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(text.columns))
    numeric = {c: pd.to_numeric(text[c], errors="coerce") for c in text.columns}
    use_number = {
        c: bool(numeric[c].notna().sum() == (text[c] != "").sum()) and (text[c] != "").any()
        for c in text.columns
    }
    rows = zip(
        *[numeric[c].tolist() if use_number[c] else text[c].tolist() for c in text.columns], strict=True
    )
    for row in rows:
        ws.append([None if v == "" or v != v else v for v in row])
    wb.save(out)
