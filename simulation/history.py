"""A deterministic simulator of the regulator's register and of the monthly extracts its system lands.

simulate_history() builds the full truth once, to a fixed horizon (every CS number since April 2002, with
inspections, gradings, complaints, enforcements and changes of detail since April 2008), so one seed and
scale make one register whatever extract dates are asked for; extract_tables() cuts what the operational
system knew on an extract date; render_extract() writes it as the CSV files that land, optionally with the
real exports' mess. Same seed and scale, same bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carestats.errors import BadInputError
from simulation import calibration as cal
from simulation.changes import Changes, as_known_on, simulate_grade_slips, simulate_service_changes
from simulation.events import simulate_complaints, simulate_enforcements, simulate_inspections
from simulation.register import simulate_register, to_day
from simulation.render import render_tables


@dataclass(frozen=True)
class RegisterHistory:
    """The full truth; every DataFrame has the data dictionary's register_extract columns.

    Services are as registered; service_changes hold their later values, grading_changes the grades slips
    make wrong for a month. The operational system learns of a registration a few days after it
    (service_recorded) and of an inspection when its report is published (inspection_recorded).
    """

    services: pd.DataFrame
    gradings: pd.DataFrame
    inspections: pd.DataFrame
    complaints: pd.DataFrame
    enforcements: pd.DataFrame
    service_recorded: np.ndarray  # day numbers, one per services row
    inspection_recorded: np.ndarray  # day numbers, one per inspections row
    service_changes: tuple[Changes, ...]
    grading_changes: tuple[Changes, ...]


def simulate_history(seed: int = 2025, scale: float = 1.0) -> RegisterHistory:
    """The register's history to calibration.HORIZON, whatever extracts are wanted from it; scale 1.0 is
    Scotland (about 10,700 services in 2025)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    last = to_day(cal.HORIZON)
    register = simulate_register(seed, scale, last)
    inspected = simulate_inspections(seed, register, last)
    return RegisterHistory(
        services=register.services,
        gradings=inspected.gradings,
        inspections=inspected.inspections,
        complaints=simulate_complaints(seed, register, last),
        enforcements=simulate_enforcements(seed, register, last),
        service_recorded=register.recorded,
        inspection_recorded=inspected.recorded,
        service_changes=simulate_service_changes(seed, scale, register, last),
        grading_changes=simulate_grade_slips(seed, scale, register, inspected, last),
    )


def extract_tables(history: RegisterHistory, extract_date: dt.date) -> dict[str, pd.DataFrame]:
    """The register as exported on `extract_date`: what the system had recorded by then, each value as
    known that day."""
    if extract_date > cal.HORIZON:
        raise BadInputError(f"the simulated history ends on {cal.HORIZON}: no extract for {extract_date}")
    day, stamp = to_day(extract_date), pd.Timestamp(extract_date)
    services = as_known_on(
        history.services[history.service_recorded <= day], history.service_changes, day
    ).reset_index(drop=True)
    services["Date_Cancelled"] = services["Date_Cancelled"].where(services["Date_Cancelled"] <= stamp)
    gradings = history.gradings[history.gradings["Publication_Date"] <= stamp]

    def upto(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        return frame[frame[column] <= stamp].reset_index(drop=True)

    return {
        "services": services,
        "gradings": as_known_on(gradings, history.grading_changes, day).reset_index(drop=True),
        "inspections": history.inspections[history.inspection_recorded <= day].reset_index(drop=True),
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
