"""Tiny frames of current returns and register entries for the inspection benchmarks' hand-worked tests."""

from __future__ import annotations

import pandas as pd

from carestats.dictionary import load_dictionary

DICTIONARY = load_dictionary()
ROLES = list(DICTIONARY.job_roles)
MEASURES = (
    "Headcount",
    "WTE",
    "Vacant_WTE",
    "Hard_To_Fill",
    "Leavers",
    "Starters",
    "Agency_Hours",
    "Absence_Days",
)
CARE_HOME = {
    "CareService": "Care Home Service",
    "Subtype": "Older People",
    "ServiceType": "Private",
    "Council_Area_Name": "Fife",
}
CHILDMINDER = {
    "CareService": "Child Minding",
    "Subtype": None,
    "ServiceType": "Private",
    "Council_Area_Name": "Fife",
}


def staffed(role: str = "Care_Staff", **measures: float | None) -> dict[str, float | None]:
    """One role's answers (every measure given, 0 unless said), every other role left blank."""
    answers = {f"{r}_{m}": None for r in ROLES for m in MEASURES}
    answers |= {f"{role}_{m}": 0 for m in MEASURES}
    answers |= {f"{role}_{m}": value for m, value in measures.items()}
    return answers


def returns_frame(rows: list[dict]) -> pd.DataFrame:
    """Current returns as the curated store types them (Int64 counts, Float64 decimals)."""
    frame = pd.DataFrame(rows)
    for column in DICTIONARY.annual_return_columns():
        if column.name in frame:
            kind = {"integer": "Int64", "decimal": "Float64"}.get(column.type, "string")
            frame[column.name] = frame[column.name].astype(kind)
    return frame


def service(cs: str, sssc: int | None = 0, **answers) -> dict:
    """A return: its CS number, staff registered with the SSSC and answers (by default one staffed role)."""
    return {"CSNumber": cs, "SSSC_Registered_Staff": sssc, **(answers or staffed())}


def register_frame(attributes: dict[str, dict]) -> pd.DataFrame:
    """The register's services: each CS number with its name and peer-group attributes (as categories,
    as the register extract is read)."""
    rows = [{"CSNumber": cs, "ServiceName": f"Service {cs[-3:]}", **a} for cs, a in attributes.items()]
    frame = pd.DataFrame(rows)
    for column in ("CareService", "Subtype", "ServiceType", "Council_Area_Name"):
        frame[column] = frame[column].astype("category")
    return frame


def cs(number: int) -> str:
    """A CS number of the 2026 range, made from a small one."""
    return f"CS{2026000000 + number}"
