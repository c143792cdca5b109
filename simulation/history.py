"""A deterministic simulator of the regulator's register and of the monthly extracts its system lands.

simulate_history() builds the full truth once (every CS number since April 2002, and inspections,
gradings, complaints and enforcements since the current framework); extract_tables() cuts what the
operational system knew on an extract date; render_extract() writes it as the CSV files that land,
optionally with the real exports' mess. Same seed and scale, same bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from simulation.events import simulate_complaints, simulate_enforcements, simulate_inspections
from simulation.register import simulate_register, to_day
from simulation.render import render_tables


@dataclass(frozen=True)
class RegisterHistory:
    """The full truth; every DataFrame has the data dictionary's register_extract columns."""

    services: pd.DataFrame
    gradings: pd.DataFrame
    inspections: pd.DataFrame
    complaints: pd.DataFrame
    enforcements: pd.DataFrame


def simulate_history(
    seed: int = 2025, scale: float = 1.0, until: dt.date = dt.date(2026, 10, 31)
) -> RegisterHistory:
    """The register's history up to `until`; scale 1.0 is Scotland (about 10,700 services in 2025)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    last = to_day(until)
    register = simulate_register(seed, scale, last)
    inspections, gradings = simulate_inspections(seed, register, last)
    return RegisterHistory(
        services=register.services,
        gradings=gradings,
        inspections=inspections,
        complaints=simulate_complaints(seed, register, last),
        enforcements=simulate_enforcements(seed, register, last),
    )


def extract_tables(history: RegisterHistory, extract_date: dt.date) -> dict[str, pd.DataFrame]:
    """The register as exported on `extract_date`: nothing dated after it is known yet."""
    day = pd.Timestamp(extract_date)
    services = history.services[history.services["Date_Registered"] <= day]
    services["Date_Cancelled"] = services["Date_Cancelled"].where(services["Date_Cancelled"] <= day)

    def upto(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        return frame[frame[column] <= day].reset_index(drop=True)

    return {
        "services": services.reset_index(drop=True),
        "gradings": upto(history.gradings, "Publication_Date"),
        "inspections": upto(history.inspections, "Inspection_Date"),
        "complaints": upto(history.complaints, "Upheld_Date"),
        "enforcements": upto(history.enforcements, "Issued_Date"),
    }


def render_extract(
    tables: dict[str, pd.DataFrame], extract_date: dt.date, seed: int, messy: bool = True
) -> dict[str, bytes]:
    """File name -> CSV bytes, clean (UTF-8, LF, ISO dates, empty cells) or as messy as the real exports."""
    return render_tables(tables, extract_date, seed, messy)


def month_end_extract_dates(
    last_month_end: dt.date, months: int, lag_days: int = 5
) -> list[tuple[dt.date, dt.date]]:
    """(month end, extract date) for the `months` month ends up to `last_month_end`, oldest first.

    The extract is taken `lag_days` after each month end, as the operational system does.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    latest = last_month_end + dt.timedelta(days=1)
    if latest.day != 1:  # not itself a month end: the last month end before it
        latest = latest.replace(day=1)
    ends = []
    for back in range(months, 0, -1):
        index = latest.year * 12 + latest.month - 1 - back + 1
        first_of_next = dt.date(index // 12, index % 12 + 1, 1)
        ends.append(first_of_next - dt.timedelta(days=1))
    return [(end, end + dt.timedelta(days=lag_days)) for end in ends]
