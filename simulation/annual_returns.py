"""Simulated annual-return exports: the files the forms system drops, day by day, during a collection window.

The returns come from the same simulated history as the register extracts (same seed and scale), cut at
31 December of the year before the return year: every service registered by then and not cancelled by
then is asked for a return, and each return describes that service (its status, its size, its kind of
care). One file per day that had submissions, `annual_returns_<yyyy-mm-dd>.csv` or `.xlsx`, under
AnnualReturns(year).landing; the header is the data dictionary's annual_return columns in order.
Same seed and scale, same bytes; an export day after `today` is never written, so a run inside the window
lands the first files of the full year's run, byte for byte.

Figures (module constants below; the tests measure them):

Who submits
- Mandatory: registered before 1 October of the year described and not cancelled by 31 December.
  Never submitting (NEVER_SUBMIT): childminders 10%, day care 7%, care homes 4%, other services 6%,
  inactive services 15% whatever they are: about 7% of mandatory services overall.
- Optional (registered on or after 1 October): half submit (OPTIONAL_SUBMIT).
- Inactive services submit too: 60% of them report no staff at all, the rest a manager alone; nobody uses
  the service.

When
- On-time first submissions (TIMING_SHARES): 43% before the final week, the first week of the window
  weighted 1.6 times (last year's answers are pre-filled: keen providers confirm them at once); 17% in the
  four days before the final three; 40% in the final three days (25%, 30%, 45% of them on each, the
  deadline day heaviest). Saturdays weigh 0.25 and Sundays 0.2 of a weekday before the rush, 0.6 in it.
- Late (LATE_SHARE): 2.8% of submitting services submit first 1-20 days after the window closes, fewer
  each day (mean about 6 days).
- Time of day: 87% in working hours (8:00-17:45, peaks about 11:00 and 14:45), 70% on the deadline day;
  the rest in the evening (18:00-23:30) or early morning (6:30-8:00).
- Amendments (AMEND_SHARE, AMEND_AGAIN_SHARE): 6.5% of submitting services submit again (a new Return_ID,
  a later timestamp: 20% the same day, otherwise 1-21 days later within the window; one made on the
  deadline day is followed 60% the same day, otherwise 1-5 days late), and 12% of those a third time.
  An amendment changes the main role's WTE (for a childminder or a manager alone, the people using the
  service; for a service with nobody, a flag), sometimes people and leavers too.

What (staffing)
- Total WTE over the roles is the register's NumberStaff (the Datastore's figure comes from the return)
  give or take 8% (STAFF_DRIFT_SD, log scale); a blank NumberStaff is drawn around its kind of service's
  median. Childminders: the childminder as Manager (headcount 1) and, where NumberStaff says so,
  assistants as Care_Staff; vacancy questions left blank.
- Roles (ROLE_PROFILES): care homes for older people have nurses (60% are nursing homes, 16% of their WTE)
  and ancillary staff (about 20%); agencies are mostly care staff, nurse agencies mostly nurses.
- Headcount = WTE / the role's WTE per person (FTE_PER_HEAD: managers 1.0 to ancillary 0.65), never below
  the WTE. Turnover (TURNOVER): 15-33% a year by kind of service, managers 12%: leavers are drawn from the
  headcount, so leavers never exceed headcount + starters.
- Vacancies (not childminders, active services): vacant posts Poisson(VACANCY_POSTS_PER_WTE x WTE x a
  service's own lognormal factor x the year's scale), 0.55-1.0 WTE each, spread over the roles by WTE (nurses
  2.5 times). The year's scale makes the expected share of services with a vacancy the published one for the
  31 December described (SERVICES_WITH_VACANCIES: 38% in 2017, 36% in 2020, 44% in 2024, in a straight line
  between, flat after): 42% for the 2024 returns, 44% for 2025 and 2026, with a WTE vacancy rate of 5.5-6.5%.
  55% of vacancies (nurses 80%) are hard to fill, each with reasons from the form's list.
- People using the service: occupancy of the registered places where there are places (never more than
  the places), otherwise a number per WTE by kind of service. SSSC registration: most care and
  supervisory staff, never nurses (NMC) or ancillary staff, never more than the headcount.

Files: XLSX on about one export day in five (XLSX_DAY_SHARE), the rest CSV. Measured at seed 2025, scale 1,
return year 2026: 7.1% of mandatory services never submit, 3.4% of submissions are late, 56% of on-time
ones come in the final week and 40% in its final three days; turnover 28%, WTE vacancy rate 6.5%, 44% of
services (childminders aside) with a vacancy; total WTE against NumberStaff correlates at 0.99.

Defects (DEFECT_SHARE): about 0.2% of the rows, at least one of each kind: text in a number field
(`twelve`), a negative count, WTE above headcount, leavers above headcount + starters, a childminder
answering a vacancy question, an unknown CS number, a service cancelled before 31 December, a
formula-like text in Hard_To_Fill_Reasons, a row duplicated inside its file; and one whole file, an XLSX
export cut short on a quiet day, neither in the window's first week nor in its last (its bytes are not a
spreadsheet). LandedReturns lists each with its file and line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from carestats.collection import CollectionWindow, collection_window
from carestats.dictionary import Column, load_dictionary
from simulation.history import RegisterHistory, extract_tables, simulate_history
from simulation.register import stream
from tasks.shared.lake import open_lake, sha256_hex
from tasks.shared.lake_map import AnnualReturns

# Who submits.
NEVER_SUBMIT = {"Child Minding": 0.10, "Day Care of Children": 0.07, "Care Home Service": 0.04}
NEVER_SUBMIT_OTHER = 0.06
NEVER_SUBMIT_INACTIVE = 0.15
OPTIONAL_SUBMIT = 0.5

# When.
TIMING_SHARES = (0.43, 0.17, 0.40)  # before the final week, its first four days, its final three days
FIRST_WEEK_WEIGHT = 1.6
FINAL_DAYS_SPLIT = (
    0.25,
    0.30,
    0.45,
)  # of the final three days' share: two days before, the day before, deadline
WEEKEND_WEIGHT = {5: 0.25, 6: 0.2}  # Saturday, Sunday (Monday is 0)
RUSH_WEEKEND_WEIGHT = 0.6
LATE_SHARE = 0.028
LATE_DAYS = 20
LATE_DECAY_DAYS = 6.0
WORKING_HOURS_SHARE, DEADLINE_WORKING_HOURS_SHARE = 0.87, 0.70
AMEND_SHARE = 0.065
AMEND_AGAIN_SHARE = 0.12
SAME_DAY_AMENDMENT = 0.2  # otherwise 1-21 days later (when the window leaves room)
AMENDMENT_MAX_DAYS = 21

# Files.
XLSX_DAY_SHARE = 0.2
SHEET = "Returns"
DEFECT_SHARE = 0.002
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

# Staffing.
STAFF_DRIFT_SD = 0.08
IMPUTED_STAFF_SD = 0.5
INACTIVE_NO_STAFF = 0.6
MANAGER_FULL_TIME = 0.85
SMALLEST_ROLE_WTE = 0.25  # a role share below this is folded into the service's largest role
UNUSED_ROLES_BLANK = 0.1  # services leaving the rows of roles they do not employ blank (others write 0)
CHILDMINDER_OTHER_ROLES_BLANK = 0.7
CHILDMINDER_ASSISTANT_WHEN_BLANK = 0.2  # childminders without a NumberStaff who have an assistant
FTE_PER_HEAD = {
    "Manager": 1.0,
    "Deputy": 0.9,
    "Nurse": 0.8,
    "Senior_Care": 0.85,
    "Care_Staff": 0.75,
    "Ancillary": 0.65,
    "Other": 0.6,
}
# Shares of the WTE beyond the manager's, by kind of service: Deputy, Nurse, Senior_Care, Care_Staff,
# Ancillary, Other.
ROLE_PROFILES: dict[str, tuple[float, ...]] = {
    "nursing home": (0.04, 0.16, 0.08, 0.50, 0.19, 0.03),
    "care home": (0.06, 0.0, 0.12, 0.58, 0.18, 0.06),
    "children's home": (0.10, 0.0, 0.15, 0.62, 0.08, 0.05),
    "care at home": (0.04, 0.0, 0.08, 0.82, 0.01, 0.05),
    "community": (0.06, 0.0, 0.10, 0.72, 0.04, 0.08),
    "nurse agency": (0.02, 0.72, 0.0, 0.20, 0.0, 0.06),
    "day care": (0.08, 0.0, 0.10, 0.70, 0.08, 0.04),
    "placement": (0.18, 0.0, 0.0, 0.55, 0.0, 0.27),
    "school": (0.07, 0.02, 0.12, 0.52, 0.20, 0.07),
    "secure": (0.08, 0.03, 0.12, 0.55, 0.14, 0.08),
    "child care agency": (0.02, 0.0, 0.05, 0.85, 0.0, 0.08),
    "childminder": (0.0, 0.0, 0.0, 1.0, 0.0, 0.0),
}
ROLE_SHARE_SD = 0.35
NURSING_HOME_SHARE = {"Older People": 0.6}  # other adult care homes: OTHER_NURSING_HOME_SHARE
OTHER_NURSING_HOME_SHARE = 0.15
TURNOVER = {
    "nursing home": 0.27,
    "care home": 0.26,
    "children's home": 0.22,
    "care at home": 0.31,
    "community": 0.22,
    "nurse agency": 0.33,
    "day care": 0.22,
    "placement": 0.15,
    "school": 0.18,
    "secure": 0.20,
    "child care agency": 0.30,
    "childminder": 0.20,
}
MANAGER_TURNOVER = 0.12
TURNOVER_SD = 0.35
VACANCY_POSTS_PER_WTE = 0.092
VACANCY_FACTOR_SD = 1.2
# The share of services (childminders aside) with a vacancy on 31 December of a year, as the regulator
# published it ("Staff vacancies in care services"): between these years it moves in a straight line,
# before the first and after the last it stays put. Each year's vacancy rate per WTE is scaled so that the
# expected share of services with a vacancy is the year's.
SERVICES_WITH_VACANCIES = {2017: 0.38, 2020: 0.36, 2024: 0.44}
VACANCY_WEIGHT = {"Manager": 0.3, "Nurse": 2.5}  # other roles 1, by their WTE
HARD_TO_FILL = 0.55
HARD_TO_FILL_NURSES = 0.8
REASON_SHARES = {
    "Too few applicants": 0.7,
    "Lack of experience": 0.3,
    "Lack of qualifications": 0.25,
    "Pay": 0.45,
    "Terms and conditions": 0.2,
    "Location or travel": 0.35,
    "Competition from other employers": 0.3,
    "Other": 0.08,
}
AGENCY_USE = {
    "nursing home": 0.8,
    "care home": 0.55,
    "care at home": 0.45,
    "children's home": 0.4,
    "community": 0.25,
    "day care": 0.15,
    "school": 0.2,
    "secure": 0.3,
}
AGENCY_USE_OTHER = 0.1
AGENCY_ROLES = ("Nurse", "Senior_Care", "Care_Staff", "Ancillary")
HOURS_PER_WTE = 1650
ABSENCE_DAYS_PER_WTE = 225 * 0.045  # working days a year times the median sickness rate
OCCUPANCY = {  # Beta(a, b) share of registered places in use
    "nursing home": (18, 2.5),
    "care home": (18, 2.5),
    "children's home": (8, 2),
    "day care": (8, 2),
    "childminder": (4, 2),
}
OCCUPANCY_OTHER = (6, 2)
PEOPLE_PER_WTE = {
    "care at home": 2.2,
    "community": 2.0,
    "nurse agency": 0.3,
    "placement": 2.0,
    "child care agency": 1.5,
}
PEOPLE_PER_WTE_OTHER = 1.0
SSSC_ROLES = ("Manager", "Deputy", "Senior_Care", "Care_Staff")
SSSC_SHARE = {"childminder": 0.0, "nurse agency": 0.8, "placement": 0.6, "child care agency": 0.6}
SSSC_SHARE_OTHER = 0.92
IPC_LEAD = {"nursing home": 0.99, "care home": 0.99, "day care": 0.95, "childminder": 0.85}
IPC_LEAD_OTHER, IPC_LEAD_INACTIVE = 0.9, 0.6
OUTBREAKS = {"nursing home": 0.9, "care home": 0.9, "day care": 0.2, "childminder": 0.03}
OUTBREAKS_OTHER = 0.1
NUTRITION_SCREENING = {
    "nursing home": 0.97,
    "care home": 0.97,
    "children's home": 0.85,
    "school": 0.85,
    "secure": 0.85,
    "day care": 0.7,
    "care at home": 0.5,
    "childminder": 0.4,
}
NUTRITION_SCREENING_OTHER, NUTRITION_SCREENING_INACTIVE = 0.35, 0.3
PERCENT_BLANK = 0.04

DEFECT_KINDS = (
    "text_in_number",
    "negative_count",
    "wte_above_headcount",
    "leavers_above_headcount_and_starters",
    "childminder_vacancy_answer",
    "unknown_service",
    "cancelled_service",
    "formula_text",
    "duplicate_row",
)
NUMBER_WORDS = (
    "nought one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
FORMULA_TEXT = '=HYPERLINK("http://jobs.example.com/vacancies","Too few applicants")'
CHILDMINDER = "Child Minding"


@dataclass(frozen=True)
class BadRow:
    """A row the ingest flow must not take as it stands, and where it is, so a test can check it is caught."""

    kind: str  # one of DEFECT_KINDS
    file: str
    line: int  # the CSV line (the header is line 1) or the sheet row
    return_id: str
    cs_number: str
    column: str | None  # the field at fault; None when the whole row is (unknown service, duplicate)
    value: str  # what the field holds, as written ("" for a whole row)


@dataclass(frozen=True)
class BadFile:
    """An export that cannot be read at all, and the submissions that were lost with it."""

    name: str
    problem: str
    return_ids: tuple[str, ...]


@dataclass(frozen=True)
class LandedReturns:
    """What a year's simulated exports hold, so the ingest flow's results can be checked against them.

    Counts are of the submissions in the files written (up to `today`), the damaged file's included:
    submissions are distinct Return_IDs (a duplicated row counts once; the rows of unknown and cancelled
    services count); submitting services and never-submitting mandatory ones are services of the register
    at 31 December. Nothing is written when the window had not opened by `today` (the note says so).
    """

    lake: str
    folder: str
    return_year: int
    opens: dt.date
    closes: dt.date
    today: dt.date
    note: str
    files: dict[str, str]  # file name -> sha256, in date order
    mandatory_services: int
    optional_services: int
    submitting_services: int
    submissions: int
    amendments: int
    late_submissions: int
    mandatory_never_submitted: int
    bad_rows: dict[str, tuple[BadRow, ...]] = field(default_factory=dict)  # by kind
    bad_files: tuple[BadFile, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The counts and defects as plain JSON types, for the simulate command's summary."""
        return {
            "folder": self.folder,
            "opens": self.opens.isoformat(),
            "closes": self.closes.isoformat(),
            "note": self.note,
            "files": self.files,
            "mandatory_services": self.mandatory_services,
            "optional_services": self.optional_services,
            "submitting_services": self.submitting_services,
            "submissions": self.submissions,
            "amendments": self.amendments,
            "late_submissions": self.late_submissions,
            "mandatory_never_submitted": self.mandatory_never_submitted,
            "bad_rows": {
                kind: [
                    {"file": r.file, "line": r.line, "return_id": r.return_id, "cs_number": r.cs_number}
                    | ({"column": r.column, "value": r.value} if r.column else {})
                    for r in rows
                ]
                for kind, rows in self.bad_rows.items()
            },
            "bad_files": [
                {"name": f.name, "problem": f.problem, "submissions": len(f.return_ids)}
                for f in self.bad_files
            ],
        }


def write_annual_return_exports(
    lake_location: str,
    return_year: int,
    *,
    seed: int = 2025,
    scale: float = 1.0,
    today: dt.date | None = None,
    history: RegisterHistory | None = None,
) -> LandedReturns:
    """Land the exports the forms system would have dropped for `return_year` by `today` (default: the real
    today), from the simulated register of the same seed and scale, and say what they hold.

    `history`, when given, must be simulate_history(seed, scale): it saves simulating it again when one
    command writes extracts and several years of returns.
    """
    if not 0 < scale <= 100:
        raise ValueError("scale must be above 0 and at most 100")
    window = collection_window(return_year)
    today = today or dt.date.today()
    lake = open_lake(lake_location)
    place = AnnualReturns(return_year)
    empty = dict(
        lake=lake.uri(),
        folder=lake.uri(place.landing),
        return_year=return_year,
        opens=window.opens,
        closes=window.closes,
        today=today,
    )
    if today < window.opens:
        note = f"nothing written: the {return_year} window opens on {window.opens}, after {today}"
        return LandedReturns(
            **empty,
            note=note,
            files={},
            mandatory_services=0,
            optional_services=0,
            submitting_services=0,
            submissions=0,
            amendments=0,
            late_submissions=0,
            mandatory_never_submitted=0,
        )
    simulated = simulate_returns(history or simulate_history(seed=seed, scale=scale), window, seed)
    files, written = simulated.render(today)
    for name, data in files.items():
        lake.write_bytes(f"{place.landing}/{name}", data)
    return simulated.landed(empty, {name: sha256_hex(data) for name, data in files.items()}, written)


# --- who submits, and when -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Register:
    """The register at 31 December: who must submit, who may, and the services cancelled in the year."""

    services: pd.DataFrame  # registered on or before 31 Dec and not cancelled by it, by CS number
    mandatory: np.ndarray
    cancelled: pd.DataFrame  # cancelled in the year to 31 Dec
    known_numbers: frozenset[str]  # every CS number the history ever gave


def _register_at(history: RegisterHistory, window: CollectionWindow) -> _Register:
    as_at = pd.Timestamp(window.describes)
    services = extract_tables(history, window.describes + dt.timedelta(days=1))["services"]
    registered = (services["Date_Registered"] <= as_at).to_numpy()
    cancelled = (services["Date_Cancelled"] <= as_at).to_numpy()
    in_year = (services["Date_Cancelled"] > as_at - pd.DateOffset(years=1)).to_numpy()
    current = services[registered & ~cancelled].reset_index(drop=True)
    mandatory = (current["Date_Registered"] < pd.Timestamp(window.optional_from)).to_numpy()
    return _Register(
        current,
        mandatory,
        services[registered & cancelled & in_year].reset_index(drop=True),
        frozenset(history.services["CSNumber"].tolist()),
    )


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1 January 1970 was a Thursday; Monday is 0


def _on_time_days(window: CollectionWindow) -> tuple[np.ndarray, np.ndarray]:
    """The window's days and the chance an on-time first submission falls on each."""
    opens, closes = _day_number(window.opens), _day_number(window.closes)
    days = np.arange(opens, closes + 1)
    before_close = closes - days
    weekday = _weekday(days)
    quiet = np.array([WEEKEND_WEIGHT.get(int(w), 1.0) for w in weekday])
    rush_quiet = np.where(weekday >= 5, RUSH_WEEKEND_WEIGHT, 1.0)
    early = before_close >= 7
    week = (before_close >= 3) & ~early
    final = before_close <= 2
    weights = np.zeros(len(days))
    parts = [
        (early, quiet * np.where(days - opens < 7, FIRST_WEEK_WEIGHT, 1.0), TIMING_SHARES[0]),
        (week, rush_quiet, TIMING_SHARES[1]),
        (final, rush_quiet * np.array(FINAL_DAYS_SPLIT)[np.clip(2 - before_close, 0, 2)], TIMING_SHARES[2]),
    ]
    for mask, weight, share in parts:
        if mask.any():
            weights[mask] = share * weight[mask] / weight[mask].sum()
    return days, weights / weights.sum()


def _late_days(window: CollectionWindow) -> tuple[np.ndarray, np.ndarray]:
    """The days after the close a late first submission can fall on, and their chances."""
    closes = _day_number(window.closes)
    days = np.arange(closes + 1, closes + LATE_DAYS + 1)
    weight = np.exp(-(days - closes - 1) / LATE_DECAY_DAYS)
    weight *= np.array([WEEKEND_WEIGHT.get(int(w), 1.0) for w in _weekday(days)])
    return days, weight / weight.sum()


def _seconds_of_day(rng: np.random.Generator, deadline: np.ndarray) -> np.ndarray:
    """When in the day providers submit: mostly working hours, more evenings on the deadline day."""
    n = len(deadline)
    working = rng.random(n) < np.where(deadline, DEADLINE_WORKING_HOURS_SHARE, WORKING_HOURS_SHARE)
    morning = rng.random(n) < 0.5
    hours = np.where(morning, rng.normal(11.0, 1.3, n), rng.normal(14.75, 1.4, n)).clip(8.0, 17.75)
    evening = rng.random(n) < 0.8
    off = np.where(evening, rng.uniform(18.0, 23.5, n), rng.uniform(6.5, 8.0, n))
    return (np.where(working, hours, off) * 3600).astype(np.int64).clip(0, 86_399)


def _first_submissions(rng: np.random.Generator, n: int, window: CollectionWindow) -> np.ndarray:
    """Seconds since 1970 of n first submissions: on time (with the rush) or late."""
    days, p = _on_time_days(window)
    late_days, late_p = _late_days(window)
    late = rng.random(n) < LATE_SHARE
    day = np.where(
        late, late_days[rng.choice(len(late_days), n, p=late_p)], days[rng.choice(len(days), n, p=p)]
    )
    return day * 86_400 + _seconds_of_day(rng, day == _day_number(window.closes))


def _amendments(rng: np.random.Generator, previous: np.ndarray, window: CollectionWindow) -> np.ndarray:
    """Seconds since 1970 of amendments to submissions made at `previous`: always later."""
    n = len(previous)
    closes = _day_number(window.closes)
    day = previous // 86_400
    room = closes - day
    same_day = rng.random(n) < np.where(room >= 1, SAME_DAY_AMENDMENT, 0.6)
    span = np.where(room >= 1, np.minimum(AMENDMENT_MAX_DAYS, room), 5)
    later_day = day + 1 + np.floor(rng.random(n) * span).astype(np.int64)
    later = later_day * 86_400 + _seconds_of_day(rng, later_day == closes)
    return np.where(same_day, previous + rng.integers(600, 10_800, n), later)


# --- what they answer ------------------------------------------------------------------------------------


def _profiles(rng: np.random.Generator, services: pd.DataFrame) -> np.ndarray:
    """Each service's kind of staffing (a ROLE_PROFILES key)."""
    care = services["CareService"].to_numpy(dtype=object)
    subtype = services["Subtype"].fillna("").to_numpy(dtype=object)
    nursing = rng.random(len(care)) < np.array(
        [NURSING_HOME_SHARE.get(s, OTHER_NURSING_HOME_SHARE) for s in subtype]
    )
    return np.select(
        [
            care == CHILDMINDER,
            care == "Day Care of Children",
            (care == "Care Home Service") & (subtype == "Children & Young People"),
            (care == "Care Home Service") & nursing,
            care == "Care Home Service",
            (care == "Support Service") & (subtype == "Care at Home"),
            care == "Housing Support Service",
            care == "Nurse Agency",
            np.isin(care, ["Fostering Service", "Adoption Service", "Adult Placement Service"]),
            care == "School Care Accommodation Service",
            care == "Secure Accommodation Service",
            care == "Child Care Agency",
        ],
        [
            "childminder",
            "day care",
            "children's home",
            "nursing home",
            "care home",
            "care at home",
            "care at home",
            "nurse agency",
            "placement",
            "school",
            "secure",
            "child care agency",
        ],
        "community",
    ).astype(object)


def _lookup(table: dict[str, float], keys: np.ndarray, default: float) -> np.ndarray:
    return np.array([table.get(k, default) for k in keys], dtype=float)


def _total_wte(rng: np.random.Generator, services: pd.DataFrame, childminder: np.ndarray) -> np.ndarray:
    """The WTE a service's return adds up to: its register NumberStaff give or take a little, or a draw
    around its kind of service's median when the register has none."""
    staff = services["NumberStaff"].to_numpy(dtype=float)
    group = services["CareService"].astype(str) + "|" + services["Subtype"].fillna("").astype(str)
    median = pd.Series(staff).groupby(group.to_numpy()).transform("median").fillna(5.0).to_numpy()
    imputed = median * np.exp(IMPUTED_STAFF_SD * rng.standard_normal(len(staff)))
    drifted = np.where(np.isnan(staff), imputed, staff) * np.exp(
        STAFF_DRIFT_SD * rng.standard_normal(len(staff))
    )
    return np.where(childminder, 0.0, np.maximum(np.round(drifted, 2), 0.01))


def services_with_vacancies(year: int) -> float:
    """The published share of services with a vacancy on 31 December of `year` (SERVICES_WITH_VACANCIES),
    in a straight line between the years published and held flat beyond them."""
    years = sorted(SERVICES_WITH_VACANCIES)
    return float(np.interp(year, years, [SERVICES_WITH_VACANCIES[y] for y in years]))


def _vacancy_scale(expected_posts: np.ndarray, asked: np.ndarray, share: float) -> float:
    """The factor on each service's expected vacant posts that makes the expected share of the services
    asked (each with a vacancy with probability 1 - exp(-posts)) equal to `share`."""
    from scipy.optimize import brentq

    def gap(scale: float) -> float:
        return float((1 - np.exp(-scale * expected_posts[asked])).sum() / asked.sum() - share)

    return brentq(gap, 1e-3, 1e3) if asked.any() else 1.0


def _answers(
    rng: np.random.Generator,
    services: pd.DataFrame,
    columns: list[Column],
    reasons: list[str],
    vacancy_share: float,
) -> dict[str, np.ndarray]:
    """One return per service (its first submission): every column by name; numbers as floats (NaN for
    blank), text as objects (None for blank). `vacancy_share`: the share of the services asked about
    vacancies that are expected to have one."""
    roles = list(load_dictionary().job_roles)
    n = len(services)
    profile = _profiles(rng, services)
    childminder = profile == "childminder"
    inactive = services["ServiceStatus"].to_numpy(dtype=object) == "Inactive"
    total = _total_wte(rng, services, childminder)

    # WTE per role: a manager, the rest shared by the profile with a service's own mix.
    wte = np.zeros((n, len(roles)))
    manager = np.where(rng.random(n) < MANAGER_FULL_TIME, 1.0, np.round(rng.uniform(0.5, 0.95, n), 2))
    wte[:, 0] = np.minimum(manager, total)
    shares = np.array([ROLE_PROFILES[p] for p in profile]) * np.exp(
        ROLE_SHARE_SD * rng.standard_normal((n, len(roles) - 1))
    )
    shares /= shares.sum(axis=1, keepdims=True)
    rest = np.maximum(total - wte[:, 0], 0)[:, None] * shares
    largest = rest.argmax(axis=1)
    small = (rest < SMALLEST_ROLE_WTE) & (np.arange(len(roles) - 1)[None, :] != largest[:, None])
    rest[np.arange(n), largest] += np.where(small, rest, 0).sum(axis=1)
    rest[small] = 0
    rest = np.round(rest, 2)
    rest[np.arange(n), largest] = np.maximum(
        np.round(total - wte[:, 0] - rest.sum(axis=1) + rest[np.arange(n), largest], 2), 0
    )
    wte[:, 1:] = rest

    # Childminders: the childminder, and assistants the register counts in NumberStaff.
    staff = services["NumberStaff"].to_numpy(dtype=float)
    assistants = np.where(
        np.isnan(staff),
        rng.random(n) < CHILDMINDER_ASSISTANT_WHEN_BLANK,
        np.maximum(np.nan_to_num(staff) - 1, 0),
    ).astype(np.int64)
    care_staff = roles.index("Care_Staff")
    wte[childminder] = 0
    wte[childminder, 0] = manager[childminder]
    wte[childminder, care_staff] = np.round(assistants * rng.uniform(0.4, 1.0, n), 2)[childminder]

    # Inactive services: nobody, or a manager alone.
    nobody = inactive & (rng.random(n) < INACTIVE_NO_STAFF)
    wte[inactive] = 0
    wte[inactive & ~nobody, 0] = np.round(rng.uniform(0.2, 1.0, n), 2)[inactive & ~nobody]

    fte = np.array([FTE_PER_HEAD[r] for r in roles]) * np.exp(0.12 * rng.standard_normal((n, len(roles))))
    headcount = np.maximum(np.ceil(wte - 1e-9), np.round(wte / np.minimum(fte, 1.0)))
    headcount[:, 0] = (wte[:, 0] > 0).astype(float)
    headcount[childminder, care_staff] = np.where(wte[:, care_staff] > 0, assistants, 0)[childminder]
    headcount = np.minimum(headcount, 5000)

    # Leavers and starters in the year.
    rate = _lookup(TURNOVER, profile, 0.22)[:, None] * np.exp(TURNOVER_SD * rng.standard_normal((n, 1)))
    rate = np.repeat(rate, len(roles), axis=1)
    rate[:, 0] = np.where(childminder, 0.0, MANAGER_TURNOVER)
    rate = np.minimum(rate, 0.9)
    counts = headcount.astype(np.int64)
    leavers = rng.binomial(counts, rate).astype(float)
    starters = np.minimum(
        rng.poisson(counts * rate * rng.uniform(0.85, 1.2, (n, len(roles)))), counts + leavers
    )

    # Vacancies (not childminders, not inactive services).
    asked = ~childminder
    factor = np.exp(VACANCY_FACTOR_SD * rng.standard_normal(n) - VACANCY_FACTOR_SD**2 / 2).clip(0, 4)
    expected = np.where(asked & ~inactive, VACANCY_POSTS_PER_WTE * total * factor, 0.0)
    posts = rng.poisson(expected * _vacancy_scale(expected, asked, vacancy_share))
    posts = np.minimum(posts, np.floor(0.4 * total) + 1).astype(np.int64)
    weight = wte * np.array([VACANCY_WEIGHT.get(r, 1.0) for r in roles])
    weight[weight.sum(axis=1) == 0, care_staff] = 1.0
    vacant_posts = rng.multinomial(posts, weight / weight.sum(axis=1, keepdims=True))
    vacant = np.minimum(np.round(vacant_posts * rng.uniform(0.55, 1.0, (n, len(roles))), 1), 1000)
    vacant = np.where(vacant_posts > 0, np.maximum(vacant, 0.1), 0.0)
    hard_share = np.where(np.array(roles) == "Nurse", HARD_TO_FILL_NURSES, HARD_TO_FILL)
    hard = rng.binomial(vacant_posts, hard_share[None, :]).astype(float)

    reason_text = np.full(n, None, dtype=object)
    chosen = rng.random((n, len(reasons))) < np.array([REASON_SHARES.get(r, 0.1) for r in reasons])
    chosen[~chosen.any(axis=1), 0] = True
    for row in np.flatnonzero(hard.sum(axis=1) > 0):
        reason_text[row] = "; ".join(r for r, c in zip(reasons, chosen[row], strict=True) if c)

    # Agency hours and sickness absence.
    uses_agency = (rng.random(n) < _lookup(AGENCY_USE, profile, AGENCY_USE_OTHER)) & asked & ~inactive
    agency_share = np.minimum(0.03 * np.exp(rng.standard_normal((n, len(roles)))), 0.3)
    agency_share[:, [r not in AGENCY_ROLES for r in roles]] = 0
    agency_share[:, roles.index("Nurse")] *= 2
    agency = np.round(2 * wte * HOURS_PER_WTE * agency_share * uses_agency[:, None]) / 2
    absence_rate = np.minimum(np.exp(0.5 * rng.standard_normal((n, len(roles)))), 6.5)
    absence = np.round(2 * wte * ABSENCE_DAYS_PER_WTE * absence_rate) / 2

    # People using the service: occupancy of the places, else a number per WTE.
    places = services["Registered_Places"].to_numpy(dtype=float, na_value=np.nan)
    a, b = (np.array([OCCUPANCY.get(p, OCCUPANCY_OTHER)[i] for p in profile], dtype=float) for i in (0, 1))
    occupied = rng.binomial(np.nan_to_num(places).astype(np.int64), rng.beta(a, b))
    per_wte = rng.poisson(_lookup(PEOPLE_PER_WTE, profile, PEOPLE_PER_WTE_OTHER) * wte.sum(axis=1))
    people = np.where(np.isnan(places), per_wte, occupied)
    people = np.where(inactive, 0, np.minimum(people, 20_000)).astype(float)

    total_headcount = headcount.sum(axis=1)
    registrable = headcount[:, [roles.index(r) for r in SSSC_ROLES]].sum(axis=1).astype(np.int64)
    sssc = rng.binomial(registrable, _lookup(SSSC_SHARE, profile, SSSC_SHARE_OTHER)).astype(float)

    def trained(p: np.ndarray) -> np.ndarray:
        people_trained = rng.binomial(total_headcount.astype(np.int64), p)
        percent = np.round(100 * people_trained / np.maximum(total_headcount, 1), 1)
        return np.where((total_headcount == 0) | (rng.random(n) < PERCENT_BLANK), np.nan, percent)

    ipc_lead = rng.random(n) < np.where(
        inactive, IPC_LEAD_INACTIVE, _lookup(IPC_LEAD, profile, IPC_LEAD_OTHER)
    )
    screening = rng.random(n) < np.where(
        inactive,
        NUTRITION_SCREENING_INACTIVE,
        _lookup(NUTRITION_SCREENING, profile, NUTRITION_SCREENING_OTHER),
    )
    outbreaks = np.where(inactive, 0, rng.poisson(_lookup(OUTBREAKS, profile, OUTBREAKS_OTHER)))

    grid = {
        "headcount": headcount,
        "wte": np.round(wte, 2),
        "vacant_wte": vacant,
        "hard_to_fill": hard,
        "leavers": leavers,
        "starters": starters.astype(float),
        "agency_hours": agency,
        "absence_days": absence,
    }
    # Roles a service does not employ: 0 on most forms, left blank on some (childminders: most).
    unused = headcount == 0
    blank_unused = np.where(childminder, CHILDMINDER_OTHER_ROLES_BLANK, UNUSED_ROLES_BLANK)
    blank_roles = unused & (rng.random(n) < blank_unused)[:, None]
    blank_roles[childminder, 0] = False

    answers: dict[str, np.ndarray] = {
        "CSNumber": services["CSNumber"].to_numpy(dtype=object),
        "Service_Status_31Dec": services["ServiceStatus"].to_numpy(dtype=object),
        "People_Using_Service": people,
        "SSSC_Registered_Staff": sssc,
        "Hard_To_Fill_Reasons": reason_text,
        "IPC_Lead_Named": np.where(ipc_lead, "Yes", "No").astype(object),
        "IPC_Staff_Trained_Percent": trained(rng.beta(9, 1.2, n)),
        "IPC_Outbreaks": outbreaks.astype(float),
        "Nutrition_Screening": np.where(screening, "Yes", "No").astype(object),
        "Nutrition_Staff_Trained_Percent": trained(rng.beta(6, 1.5, n)),
    }
    for column in columns:
        if column.role is None:
            continue
        values = grid[column.staffing][:, roles.index(column.role)].astype(float)
        values[blank_roles[:, roles.index(column.role)]] = np.nan
        if column.vacancy_question:
            values[childminder] = np.nan
        answers[column.name] = values
    answers["Hard_To_Fill_Reasons"][childminder] = None
    answers["_profile"] = profile
    return answers


def _main_role(answers: dict[str, np.ndarray], rows: np.ndarray, roles: list[str]) -> np.ndarray:
    """Index into roles of each row's largest role by WTE (the manager when there is no other staff)."""
    wte = np.column_stack([answers[f"{r}_WTE"][rows] for r in roles])
    return np.nan_to_num(wte, nan=-1.0).argmax(axis=1)


def _amend(rng: np.random.Generator, answers: dict[str, np.ndarray], rows: np.ndarray) -> None:
    """Change a few figures of the amended rows (copies of the submission they amend), in place."""
    roles = list(load_dictionary().job_roles)
    main = _main_role(answers, rows, roles)
    people = answers["People_Using_Service"]
    places = answers["_places"]
    for position, row in enumerate(rows):
        role = roles[main[position]]
        wte, heads = answers[f"{role}_WTE"], answers[f"{role}_Headcount"]
        changed_people = rng.random() < 0.4
        if role != "Manager" and wte[row] > 0 and answers["_profile"][row] != "childminder":
            delta = max(0.1, round(float(wte[row]) * rng.uniform(0.02, 0.12), 2))
            new = round(max(0.1, float(wte[row]) + (delta if rng.random() < 0.5 else -delta)), 2)
            wte[row] = new
            heads[row] = max(heads[row] + (rng.random() < 0.4), math.ceil(new - 1e-9))
        elif answers["Service_Status_31Dec"][row] == "Active" and (people[row] > 0 or places[row] > 0):
            changed_people = True
        else:
            answers["IPC_Lead_Named"][row] = "No" if answers["IPC_Lead_Named"][row] == "Yes" else "Yes"
        if changed_people and answers["Service_Status_31Dec"][row] == "Active":
            limit = places[row] if not math.isnan(places[row]) else people[row] + 3
            step = int(rng.integers(1, 4))
            people[row] = people[row] + step if people[row] + step <= limit else max(people[row] - step, 0)
        leavers = answers[f"{role}_Leavers"]
        if rng.random() < 0.3 and not math.isnan(leavers[row]):
            room = heads[row] + answers[f"{role}_Starters"][row] - leavers[row]
            leavers[row] = leavers[row] + 1 if room >= 1 else max(leavers[row] - 1, 0)


# --- the year's submissions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedReturns:
    """A whole year of simulated submissions and the files they make, before `today` cuts them."""

    return_year: int
    window: CollectionWindow
    table: dict[str, np.ndarray]  # every column, one row per submission, in Return_ID (time) order
    respondent: np.ndarray  # per submission: its service's row in `register` (-1 for an injected row)
    sequence: np.ndarray  # 0 for a first submission, 1 and 2 for amendments
    seconds: np.ndarray  # Submitted_At as seconds since 1970
    register: pd.DataFrame  # the register at 31 December
    mandatory: np.ndarray
    xlsx_days: frozenset[int]  # day numbers exported as XLSX
    damaged_day: int | None  # the day whose XLSX export is cut short
    duplicates: np.ndarray  # submissions whose row appears twice in its file
    text_overrides: dict[tuple[int, str], str]  # (submission, column) -> text written in a number field
    defects: dict[int, tuple[str, str | None]]  # submission -> (kind, column at fault)
    texts: tuple[pa.Array, ...]  # every column's cells as text ("" for blank), in `table`'s row order

    def render(self, today: dt.date) -> tuple[dict[str, bytes], np.ndarray]:
        """The files of the export days up to `today`, by name in date order, and the submissions in them."""
        day = self.seconds // 86_400
        written = day <= _day_number(today)
        files = {}
        for number in np.unique(day[written]):
            rows = np.flatnonzero(day == number)
            date = dt.date(1970, 1, 1) + dt.timedelta(days=int(number))
            files[_file_name(date, number in self.xlsx_days)] = self._file(rows, date)
        return files, written

    def _rows_in_file(self, rows: np.ndarray) -> np.ndarray:
        """The file's rows in order: by Return_ID, a duplicated row repeated a few rows later."""
        order = list(rows)
        for row in rows[np.isin(rows, self.duplicates)]:
            at = order.index(row)
            order.insert(min(at + 1 + int(row) % 5, len(order)), row)
        return np.array(order, dtype=np.int64)

    def export_rows(self, rows: np.ndarray) -> ExportRows:
        """The cells of the given submissions (and any duplicate among them) as their export holds them."""
        columns = _columns()
        ordered = self._rows_in_file(rows).tolist()
        low, high = min(ordered), max(ordered)
        texts = []
        for column in self.texts:
            cells = column.slice(low, high - low + 1).to_pylist()
            texts.append([cells[row - low] for row in ordered])
        index = {c.name: i for i, c in enumerate(columns)}
        positions: dict[int, list[int]] = {}
        for position, row in enumerate(ordered):
            positions.setdefault(row, []).append(position)
        text_cells = set()
        for (row, name), text in self.text_overrides.items():
            for position in positions.get(row, []):
                texts[index[name]][position] = text
                text_cells.add((position, index[name]))
        return ExportRows(
            [c.name for c in columns],
            texts,
            [c.type in NUMERIC_TYPES for c in columns],
            frozenset(text_cells),
        )

    def _file(self, rows: np.ndarray, date: dt.date) -> bytes:
        cells = self.export_rows(rows)
        if _day_number(date) in self.xlsx_days:
            data = sheet_bytes(cells, date)
            return data[: len(data) // 3] if _day_number(date) == self.damaged_day else data
        return csv_bytes(cells)

    def landed(self, place: dict[str, Any], files: dict[str, str], written: np.ndarray) -> LandedReturns:
        """What the files written hold: the counts and defects a test checks the ingest flow against."""
        ids = self.table["Return_ID"]
        day = self.seconds // 86_400
        population = written & (self.respondent >= 0)
        submitted = np.zeros(len(self.register), dtype=bool)
        submitted[self.respondent[population]] = True
        bad_rows: dict[str, list[BadRow]] = {}
        for number in np.unique(day[written]):
            if number == self.damaged_day:
                continue
            rows = np.flatnonzero(day == number)
            name = _file_name(dt.date(1970, 1, 1) + dt.timedelta(days=int(number)), number in self.xlsx_days)
            seen: set[int] = set()
            for position, row in enumerate(self._rows_in_file(rows).tolist()):
                first_time = row not in seen
                seen.add(row)
                if row not in self.defects:
                    continue
                kind, column = self.defects[row]
                if (kind == "duplicate_row") == first_time:  # a duplicate is its second line
                    continue
                value = "" if column is None else self._written(row, column)
                bad_rows.setdefault(kind, []).append(
                    BadRow(kind, name, position + 2, ids[row], self.table["CSNumber"][row], column, value)
                )
        bad_files = []
        if self.damaged_day is not None and written[day == self.damaged_day].any():
            date = dt.date(1970, 1, 1) + dt.timedelta(days=int(self.damaged_day))
            bad_files.append(
                BadFile(
                    _file_name(date, True),
                    "cut short: the export stopped a third of the way through (not a readable zip)",
                    tuple(ids[day == self.damaged_day]),
                )
            )
        late = day > _day_number(self.window.closes)
        if files:
            note = f"{len(files)} export files, {min(files)[15:25]} to {max(files)[15:25]}"
        else:
            note = f"no submissions by {place['today']}: nothing written"
        return LandedReturns(
            **place,
            note=note,
            files=files,
            mandatory_services=int(self.mandatory.sum()),
            optional_services=int((~self.mandatory).sum()),
            submitting_services=int(submitted.sum()),
            submissions=int(written.sum()),
            amendments=int((written & (self.sequence > 0)).sum()),
            late_submissions=int((written & late).sum()),
            mandatory_never_submitted=int((self.mandatory & ~submitted).sum()),
            bad_rows={kind: tuple(bad_rows[kind]) for kind in DEFECT_KINDS if kind in bad_rows},
            bad_files=tuple(bad_files),
        )

    def _written(self, row: int, column: str) -> str:
        cells = self.export_rows(np.array([row]))
        return cells.columns[cells.header.index(column)][0]


def _file_name(date: dt.date, xlsx: bool) -> str:
    return f"annual_returns_{date.isoformat()}.{'xlsx' if xlsx else 'csv'}"


def simulate_returns(history: RegisterHistory, window: CollectionWindow, seed: int) -> SimulatedReturns:
    """A whole year's submissions from the register at 31 December before `window`, with their defects:
    deterministic for the seed and the history, whatever day the files are then cut at."""
    rng = stream(seed, f"annual returns {window.return_year}")
    dictionary = load_dictionary()
    columns = _columns()
    reasons = list(dictionary.raw["annual_return"]["hard_to_fill_reasons"])
    register = _register_at(history, window)
    services = register.services
    n = len(services)

    # Who submits, and when their first submission and any amendments come.
    care = services["CareService"].to_numpy(dtype=object)
    never = np.where(
        services["ServiceStatus"].to_numpy(dtype=object) == "Inactive",
        NEVER_SUBMIT_INACTIVE,
        _lookup(NEVER_SUBMIT, care, NEVER_SUBMIT_OTHER),
    )
    draw = rng.random(n)
    submits = np.where(register.mandatory, draw >= never, draw < OPTIONAL_SUBMIT)
    respondents = np.flatnonzero(submits)
    first = _first_submissions(rng, len(respondents), window)
    amends = rng.random(len(respondents)) < AMEND_SHARE
    again = amends & (rng.random(len(respondents)) < AMEND_AGAIN_SHARE)
    second = _amendments(rng, first[amends], window)
    third = _amendments(rng, second[again[amends]], window)

    # Defects: how many of each kind (at least one each), and the injected services' rows.
    expected = len(respondents) + amends.sum() + again.sum()
    kinds = [k for k in DEFECT_KINDS if k != "cancelled_service" or len(register.cancelled)]
    if not (care[respondents] == CHILDMINDER).any():
        kinds.remove("childminder_vacancy_answer")
    total_defects = max(len(kinds), round(DEFECT_SHARE * expected))
    per_kind = {
        k: total_defects // len(kinds) + (i < total_defects % len(kinds)) for i, k in enumerate(kinds)
    }
    unknown = _unknown_services(
        rng, services.iloc[respondents], register.known_numbers, per_kind.get("unknown_service", 0)
    )
    gone = rng.choice(len(register.cancelled), per_kind.get("cancelled_service", 0), replace=False)
    cancelled = register.cancelled.iloc[np.sort(gone)]
    injected = pd.concat([unknown, cancelled], ignore_index=True)
    injected_first = _first_submissions(rng, len(injected), window)

    # Answers: one return per respondent, copied to its amendments and changed there.
    who = pd.concat([services.iloc[respondents], injected], ignore_index=True)
    answers = _answers(rng, who, columns, reasons, services_with_vacancies(window.describes.year))
    answers["_places"] = who["Registered_Places"].to_numpy(dtype=float, na_value=np.nan)
    m = len(respondents)
    resp_index = np.r_[
        np.arange(m), np.flatnonzero(amends), np.flatnonzero(again), m + np.arange(len(injected))
    ]
    sequence = np.r_[
        np.zeros(m), np.ones(amends.sum()), np.full(again.sum(), 2), np.zeros(len(injected))
    ].astype(int)
    seconds = np.r_[first, second, third, injected_first].astype(np.int64)
    table = {name: values[resp_index].copy() for name, values in answers.items()}
    second_row = m + np.arange(amends.sum())
    third_row = m + amends.sum() + np.arange(again.sum())
    _amend(rng, table, second_row)
    for name in table:
        table[name][third_row] = table[name][second_row[again[amends]]]
    _amend(rng, table, third_row)

    # Return_IDs in time order; the register's row of every submission (-1 for injected ones).
    order = np.lexsort((sequence, resp_index, seconds))
    table = {name: values[order] for name, values in table.items()}
    seconds, sequence, resp_index = seconds[order], sequence[order], resp_index[order]
    numbers = int(rng.integers(100_000, 400_000)) + np.cumsum(rng.integers(1, 4, len(order)))
    table["Return_ID"] = np.array([f"AR{window.return_year}-{k:07d}" for k in numbers], dtype=object)
    table["Return_Year"] = np.full(len(order), float(window.return_year))
    table["Submitted_At"] = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").astype(object)
    respondent = np.full(len(order), -1)
    respondent[resp_index < m] = respondents[resp_index[resp_index < m]]

    # Files: XLSX on about one day in five; one XLSX export before the rush is cut short.
    day = seconds // 86_400
    days = np.unique(day)
    xlsx = set(days[rng.random(len(days)) < XLSX_DAY_SHARE].tolist())
    closes = _day_number(window.closes)
    injected_days = set(day[resp_index >= m].tolist())
    quiet = [d for d in days if _day_number(window.opens) + 7 <= d <= closes - 7 and d not in injected_days]
    quiet = quiet or [d for d in days if d <= closes and d not in injected_days]
    damaged = int(quiet[rng.integers(len(quiet))]) if quiet else None
    if damaged is not None:
        xlsx.add(damaged)

    defects: dict[int, tuple[str, str | None]] = {
        int(r): ("unknown_service", None)
        for r in np.flatnonzero((resp_index >= m) & (resp_index < m + len(unknown)))
    }
    defects |= {int(r): ("cancelled_service", None) for r in np.flatnonzero(resp_index >= m + len(unknown))}
    overrides: dict[tuple[int, str], str] = {}
    eligible = (resp_index < m) & (day != (-1 if damaged is None else damaged))
    childminder = table["_profile"] == "childminder"
    duplicates = _inject_defects(rng, table, per_kind, eligible, childminder, defects, overrides)
    for name in ("_profile", "_places"):
        del table[name]
    texts = tuple(_texts(table[c.name], c) for c in columns)
    return SimulatedReturns(
        window.return_year,
        window,
        table,
        respondent,
        sequence,
        seconds,
        services,
        register.mandatory,
        frozenset(int(d) for d in xlsx),
        damaged,
        duplicates,
        overrides,
        defects,
        texts,
    )


def _unknown_services(
    rng: np.random.Generator, submitting: pd.DataFrame, known: frozenset[str], count: int
) -> pd.DataFrame:
    """Rows like real services' but with CS numbers the register never gave (a mistyped or test account)."""
    if not count or not len(submitting):
        return submitting.iloc[:0]
    rows = submitting.iloc[rng.choice(len(submitting), count, replace=False)].copy()
    numbers = []
    while len(numbers) < count:
        candidate = f"CS{int(rng.integers(2003, 2026))}{int(rng.integers(0, 1_000_000)):06d}"
        if candidate not in known and candidate not in numbers:
            numbers.append(candidate)
    rows["CSNumber"] = numbers
    return rows


def _inject_defects(
    rng: np.random.Generator,
    table: dict[str, np.ndarray],
    per_kind: dict[str, int],
    eligible: np.ndarray,
    childminder: np.ndarray,
    defects: dict[int, tuple[str, str | None]],
    overrides: dict[tuple[int, str], str],
) -> np.ndarray:
    """Spoil a few submissions' values, one defect each, and pick the rows duplicated in their files."""
    roles = list(load_dictionary().job_roles)
    taken = np.zeros(len(eligible), dtype=bool)

    def pick(kind: str, mask: np.ndarray) -> np.ndarray:
        pool = np.flatnonzero(mask & eligible & ~taken)
        rows = np.sort(rng.choice(pool, min(per_kind.get(kind, 0), len(pool)), replace=False))
        taken[rows] = True
        return rows

    staffed = ~childminder & (table["Service_Status_31Dec"] == "Active")
    for row in pick("text_in_number", staffed):
        role = roles[_main_role(table, np.array([row]), roles)[0]]
        name = next(
            (
                c
                for c in ("People_Using_Service", f"{role}_Headcount", "Manager_Headcount")
                if 0 < table[c][row] <= 20
            ),
            "Manager_Headcount",
        )
        overrides[(int(row), name)] = NUMBER_WORDS[int(np.nan_to_num(table[name][row], nan=12)) % 21]
        defects[int(row)] = ("text_in_number", name)
    for kind in ("negative_count", "wte_above_headcount", "leavers_above_headcount_and_starters"):
        for row in pick(kind, staffed):
            role = roles[_main_role(table, np.array([row]), roles)[0]]
            heads, starters = table[f"{role}_Headcount"][row], table[f"{role}_Starters"][row]
            if kind == "negative_count":
                name = f"{role}_Leavers"
                table[name][row] = -max(np.nan_to_num(table[name][row]), 1)
            elif kind == "wte_above_headcount":
                name = f"{role}_WTE"
                table[name][row] = round(heads + rng.uniform(0.5, 2.0), 2)
            else:
                name = f"{role}_Leavers"
                table[name][row] = heads + np.nan_to_num(starters) + int(rng.integers(1, 5))
            defects[int(row)] = (kind, name)
    for row in pick("childminder_vacancy_answer", childminder):
        table["Care_Staff_Vacant_WTE"][row] = 1.0
        defects[int(row)] = ("childminder_vacancy_answer", "Care_Staff_Vacant_WTE")
    for row in pick("formula_text", staffed):
        table["Hard_To_Fill_Reasons"][row] = FORMULA_TEXT
        defects[int(row)] = ("formula_text", "Hard_To_Fill_Reasons")
    duplicates = pick("duplicate_row", np.ones(len(eligible), dtype=bool))
    for row in duplicates:
        defects[int(row)] = ("duplicate_row", None)
    return duplicates


# --- the files -------------------------------------------------------------------------------------------


@cache
def _columns() -> tuple[Column, ...]:
    return tuple(load_dictionary().annual_return_columns())


NUMERIC_TYPES = ("integer", "decimal")


@dataclass(frozen=True)
class ExportRows:
    """The cells of one export file, which either format writes: the same text in a CSV and a sheet."""

    header: list[str]
    columns: list[list[str]]  # each column's cells as text, "" for no answer
    numeric: list[bool]  # whether a column's answers are numbers (a sheet stores them as numbers)
    text_cells: frozenset[tuple[int, int]]  # (row, column) positions of text in a numeric column

    def typed(self) -> list[list[Any]]:
        """The rows as a spreadsheet holds them: numbers as int or float, text as str, None for blank."""
        rows = []
        for position, row in enumerate(zip(*self.columns, strict=True)):
            rows.append(
                [
                    None
                    if text == ""
                    else _number(text)
                    if self.numeric[index] and (position, index) not in self.text_cells
                    else text
                    for index, text in enumerate(row)
                ]
            )
        return rows


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def _texts(values: np.ndarray, column: Column) -> pa.Array:
    """A column's cells as text: numbers as people write them (12.5, 3 rather than 3.0), "" for blank."""
    if values.dtype == object:
        return pa.array(values, type=pa.string()).fill_null("")
    array = pa.array(values, from_pandas=True)
    if column.type == "integer":
        array = array.cast(pa.int64())
    return array.cast(pa.string()).fill_null("")


def csv_bytes(cells: ExportRows) -> bytes:
    """A CSV export as the forms system writes it: UTF-8, CRLF, Python's csv module, blank for no answer."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(cells.header)
    writer.writerows(zip(*cells.columns, strict=True))
    return text.getvalue().encode("utf-8")


def sheet_bytes(cells: ExportRows, day: dt.date, cell_by_cell: bool = False) -> bytes:
    """An XLSX export: an openpyxl workbook with one sheet, Returns, the header in row 1, numbers as numbers
    and text as text (a text starting with = stays text), with fixed timestamps so the same rows are the
    same bytes.

    openpyxl's pure-Python cell writer manages about 35,000 cells a second, too slow for a 10x window, so
    by default openpyxl writes the workbook and its header and the data rows are serialised the way its
    writer serialises cells; `cell_by_cell` has openpyxl write every cell (the tests check both agree).
    """
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    wb.properties.created = wb.properties.modified = dt.datetime.combine(day, dt.time(23, 30))
    ws.append(cells.header)
    if cell_by_cell:
        for row in cells.typed():
            ws.append([_text_cell(ws, v) if isinstance(v, str) and v.startswith("=") else v for v in row])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    sheet = ws.path.lstrip("/")
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == sheet and not cell_by_cell and cells.columns and cells.columns[0]:
                data = _with_rows(data, cells)
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, data)
    return fixed.getvalue()


def _text_cell(ws: Any, value: str) -> Cell:
    cell = Cell(ws, value=value)
    cell.data_type = "s"
    return cell


def _inline(reference: str, text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{reference}" t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


def _sheet_number(text: str) -> str:
    """A number as openpyxl writes it, to 16 significant digits (90.9 as 90.90000000000001, one double)."""
    return f"{float(text):.16g}" if "." in text else text


def _with_rows(sheet: bytes, cells: ExportRows) -> bytes:
    """The header-only sheet openpyxl wrote, with the data rows added as its writer would write them."""
    letters = [get_column_letter(i + 1) for i in range(len(cells.header))]
    numbers = range(2, len(cells.columns[0]) + 2)
    fragments = []
    for index, (letter, texts) in enumerate(zip(letters, cells.columns, strict=True)):
        if cells.numeric[index]:
            column = [
                f'<c r="{letter}{n}" t="n"><v>{_sheet_number(t)}</v></c>' if t else ""
                for n, t in zip(numbers, texts, strict=True)
            ]
        else:
            column = [_inline(f"{letter}{n}", t) if t else "" for n, t in zip(numbers, texts, strict=True)]
        fragments.append(column)
    for position, index in cells.text_cells:
        fragments[index][position] = _inline(
            f"{letters[index]}{position + 2}", cells.columns[index][position]
        )
    rows = "".join(
        f'<row r="{n}">{"".join(row)}</row>'
        for n, row in zip(numbers, zip(*fragments, strict=True), strict=True)
    )
    text = sheet.decode("utf-8")
    text = text.replace(
        f'<dimension ref="A1:{letters[-1]}1" />', f'<dimension ref="A1:{letters[-1]}{numbers[-1]}" />', 1
    )
    return text.replace("</sheetData>", rows + "</sheetData>", 1).encode("utf-8")
