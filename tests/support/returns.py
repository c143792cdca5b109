"""Hand-written annual returns for tests: rows whose every figure is chosen, and export files of them."""

from __future__ import annotations

import csv
import io

import pandas as pd

from carestats.collection import CollectionWindow
from carestats.dictionary import load_dictionary
from tasks.annual_returns.validation import RegisterFacts

WINDOW_2026 = CollectionWindow(2026, pd.Timestamp("2026-01-06").date(), pd.Timestamp("2026-02-17").date())


def return_columns() -> list[str]:
    """An export's header: the dictionary's annual-return columns in order."""
    return [c.name for c in load_dictionary().annual_return_columns()]


def return_row(cs: str, number: int, **answers: str) -> dict[str, str]:
    """A valid 2026 return for a care home: two care staff and a manager, every other figure 0."""
    row = {name: "" for name in return_columns()}
    for role in load_dictionary().job_roles:
        for measure in ("Headcount", "WTE", "Vacant_WTE", "Hard_To_Fill", "Leavers", "Starters"):
            row[f"{role}_{measure}"] = "0"
        row[f"{role}_Agency_Hours"] = "0"
        row[f"{role}_Absence_Days"] = "0"
    row.update(
        {
            "Return_ID": f"AR2026-{number:07d}",
            "Return_Year": "2026",
            "CSNumber": cs,
            "Submitted_At": "2026-01-20T10:15:00",
            "Service_Status_31Dec": "Active",
            "People_Using_Service": "30",
            "Manager_Headcount": "1",
            "Manager_WTE": "1",
            "Care_Staff_Headcount": "2",
            "Care_Staff_WTE": "1.5",
            "Care_Staff_Leavers": "1",
            "Care_Staff_Starters": "1",
            "SSSC_Registered_Staff": "3",
            "IPC_Lead_Named": "Yes",
            "IPC_Staff_Trained_Percent": "95",
            "IPC_Outbreaks": "0",
            "Nutrition_Screening": "Yes",
            "Nutrition_Staff_Trained_Percent": "80",
        }
    )
    row.update(answers)
    return row


def childminder_row(cs: str, number: int, **answers: str) -> dict[str, str]:
    """A valid childminder's return: the childminder alone, the vacancy questions left blank."""
    row = return_row(
        cs,
        number,
        Care_Staff_Headcount="0",
        Care_Staff_WTE="0",
        Care_Staff_Leavers="0",
        Care_Staff_Starters="0",
        SSSC_Registered_Staff="1",
        People_Using_Service="6",
    )
    for column in load_dictionary().annual_return_columns():
        if column.vacancy_question:
            row[column.name] = ""
    row.update(answers)
    return row


def export_csv(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    """Rows as the forms system's CSV export: UTF-8, CRLF."""
    header = header or return_columns()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def register_facts(**services: tuple[str, str, str | None]) -> RegisterFacts:
    """RegisterFacts from CS number -> (CareService, registered, cancelled or None)."""
    frame = pd.DataFrame(
        [
            {
                "CSNumber": cs,
                "CareService": kind,
                "Date_Registered": pd.Timestamp(registered),
                "Date_Cancelled": pd.Timestamp(cancelled) if cancelled else pd.NaT,
            }
            for cs, (kind, registered, cancelled) in services.items()
        ]
    )
    return RegisterFacts.from_services(frame)


CARE_HOME, CHILDMINDER, CANCELLED, NEW = "CS2002000001", "CS2010000002", "CS2005000003", "CS2026000004"
REGISTER = register_facts(
    **{
        CARE_HOME: ("Care Home Service", "2002-04-01", None),
        CHILDMINDER: ("Child Minding", "2010-06-01", None),
        CANCELLED: ("Support Service", "2005-01-01", "2025-12-31"),
        NEW: ("Support Service", "2026-01-02", None),
    }
)
