"""What changes after a service is registered, and the slips the operational system makes and corrects.

A service's staff figure, status, name, provider and postcode change over its life, each from an effective
day, so an extract shows each value as known on its date. A slip (a service put in a wrong council area, a
wrong grade) is made shortly before a month end and corrected shortly before the next, so exactly one
monthly extract carries it. Every draw comes from the history's seed: the same seed, the same changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carestats.dictionary import load_dictionary
from simulation import calibration as cal
from simulation import names as nm
from simulation.events import Inspected, poisson_days
from simulation.geography import OUTSIDE_SCOTLAND, geography
from simulation.register import EPOCH, Register, inward_codes, month_starts, stream, to_day

CANDIDATES_PER_SLIP = 100  # rows tried for each slip: the first one present through its window takes it


@dataclass(frozen=True)
class Changes:
    """Later values of one column: from days[i] on, row rows[i] of its table holds values[i].

    Sorted by row, then day, so the value known on any day is found in one pass, without sorting again.
    """

    column: str
    rows: np.ndarray
    days: np.ndarray  # day numbers
    values: np.ndarray


def changes(column: str, rows: np.ndarray, days: np.ndarray, values: np.ndarray) -> Changes:
    """Changes of a column, in the order as_known_on relies on."""
    order = np.lexsort((days, rows))
    return Changes(column, rows[order], days[order], np.asarray(values)[order])


def as_known_on(frame: pd.DataFrame, all_changes: Iterable[Changes], day: int) -> pd.DataFrame:
    """The frame with each column's latest change made on or before `day`.

    The frame's index holds its rows' numbers in the full table, ascending (a filtered history table).
    """
    index = frame.index.to_numpy()
    updated = {}
    for change in all_changes:
        due = change.days <= day
        superseded = np.r_[due[1:] & (change.rows[1:] == change.rows[:-1]), False]
        latest = np.flatnonzero(due & ~superseded)
        position, present = _positions(index, change.rows[latest])
        if present.any():
            column = frame[change.column].copy()
            column.iloc[position[present]] = change.values[latest[present]]
            updated[change.column] = column
    return frame.assign(**updated)


def _positions(index: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `rows` is in the ascending `index`, and whether it is there at all."""
    if not len(index):
        return np.zeros(len(rows), dtype=np.int64), np.zeros(len(rows), dtype=bool)
    position = np.minimum(np.searchsorted(index, rows), len(index) - 1)
    return position, index[position] == rows


def simulate_service_changes(seed: int, scale: float, register: Register, until: int) -> tuple[Changes, ...]:
    """Every later value of the services' staff figures, status, names, providers and postcodes, from
    EVENTS_START, and the council areas slips put them in for a month."""
    start = np.maximum(register.recorded + 1, to_day(cal.EVENTS_START))
    end = np.minimum(register.closed, until + 1)
    return (
        _staff_figures(stream(seed, "staff figures"), register, start, end, until),
        _status(stream(seed, "status"), register, start, end),
        _renames(stream(seed, "renames over time"), register, start, end),
        *_provider_changes(stream(seed, "provider changes"), register, start, end),
        _postcodes(stream(seed, "postcodes"), register, start, end),
        _council_slips(stream(seed, "council slips"), register, scale, until),
    )


def simulate_grade_slips(
    seed: int, scale: float, register: Register, inspected: Inspected, until: int
) -> tuple[Changes, ...]:
    """Wrong grades in a service's latest grading, each wrong for one monthly extract (one Changes per
    key question)."""
    rng = stream(seed, "grade slips")
    made, corrected = _slip_windows(rng, cal.GRADE_SLIPS_PER_YEAR * scale, until)
    owner = inspected.grading_rows
    published = _days(inspected.gradings["Publication_Date"])
    next_of_same_service = np.r_[owner[1:] == owner[:-1], False]
    latest_until = np.where(
        next_of_same_service, np.r_[published[1:], 0], np.minimum(register.closed[owner], until + 1)
    )
    slip, grading = _present_through(rng, made, corrected, published, latest_until)
    questions = load_dictionary().key_questions
    grades = inspected.gradings[questions].iloc[grading].to_numpy(dtype=float, na_value=np.nan)
    question = np.where(np.isnan(grades), -1.0, rng.random(grades.shape)).argmax(axis=1)
    right = grades[np.arange(len(grading)), question].astype(np.int64)
    wrong = right + np.where(right >= 6, -1, np.where(right <= 1, 1, rng.choice([-1, 1], len(right))))
    made, corrected = made[slip], corrected[slip]
    return tuple(
        _slips(questions[q], grading[at], made[at], corrected[at], wrong[at], right[at])
        for q in np.unique(question)
        for at in [question == q]
    )


def _days(dates: pd.Series) -> np.ndarray:
    return (dates.to_numpy(dtype="datetime64[D]") - np.datetime64(EPOCH, "D")).astype(np.int64)


def _care_service(register: Register) -> np.ndarray:
    return cal.GROUP_CARE_SERVICE[register.group]


def _staff_figures(
    rng: np.random.Generator, register: Register, start: np.ndarray, end: np.ndarray, until: int
) -> Changes:
    """New staff figures around the registered one (within its group's range), through the year and in each
    year's annual-return load. Childminders' figures count people, so they stay."""
    staff = register.services["NumberStaff"].to_numpy(dtype=float)
    eligible = ~np.isnan(staff) & (_care_service(register) != "Child Minding")
    rows, days = poisson_days(rng, start, end, np.where(eligible, cal.STAFF_UPDATES_PER_YEAR, 0.0))
    loaded_rows, loaded_days = _annual_return_loads(rng, eligible, start, end, until)
    rows, days = np.r_[rows, loaded_rows], np.r_[days, loaded_days]
    figures = staff[rows] * np.exp(cal.STAFF_UPDATE_SD * rng.standard_normal(len(rows)))
    group = register.group[rows]
    low, high = (np.array([getattr(g.staff, end) for g in cal.GROUPS])[group] for end in ("low", "high"))
    return changes("NumberStaff", rows, days, np.clip(np.round(figures, 2), np.maximum(low, 0.01), high))


def _annual_return_loads(
    rng: np.random.Generator, eligible: np.ndarray, start: np.ndarray, end: np.ndarray, until: int
) -> tuple[np.ndarray, np.ndarray]:
    """(row, day) of the staff figures each year's annual returns bring, all loaded in one month."""
    month, share = cal.ANNUAL_RETURN_LOAD
    last_year = (EPOCH + dt.timedelta(days=until)).year
    rows, days = [], []
    for year in range(cal.EVENTS_START.year + 1, last_year + 1):
        first, after = to_day(dt.date(year, month, 1)), to_day(dt.date(year, month + 1, 1))
        present = np.flatnonzero(eligible & (start <= first) & (end > after))
        chosen = present[rng.random(len(present)) < share]
        rows.append(chosen)
        days.append(first + rng.integers(0, after - first, len(chosen)))
    return np.concatenate(rows), np.concatenate(days)


def _status(rng: np.random.Generator, register: Register, start: np.ndarray, end: np.ndarray) -> Changes:
    """Spells of inactivity: each care service's inactive share holds while services come and go."""
    share = np.array([cal.SERVICE_RATES[c].inactive for c in cal.GROUP_CARE_SERVICE])[register.group]
    spell = cal.INACTIVE_SPELL_YEARS * 365.25
    between = spell * (1 - share) / np.maximum(share, 1e-9)  # mean active days between spells
    inactive = register.services["ServiceStatus"].to_numpy() == "Inactive"
    day = start.astype(float)
    rows, days, states = [], [], []
    changing = np.flatnonzero(share > 0)
    while len(changing):
        day[changing] += rng.exponential(np.where(inactive[changing], spell, between[changing]))
        changing = changing[day[changing] < end[changing]]
        inactive[changing] = ~inactive[changing]
        rows.append(changing)
        days.append(day[changing].astype(np.int64))
        states.append(inactive[changing])
    status = np.where(np.concatenate(states), "Inactive", "Active").astype(object)
    return changes("ServiceStatus", np.concatenate(rows), np.concatenate(days), status)


def _renames(rng: np.random.Generator, register: Register, start: np.ndarray, end: np.ndarray) -> Changes:
    """A service renamed (once at most) takes the other name its templates gave it."""
    rows, days = poisson_days(rng, start, end, np.full(len(start), cal.RENAMES_PER_YEAR))
    first = np.unique(rows, return_index=True)[1]
    rows, days = rows[first], days[first]
    names = register.new_name.take(pa.array(rows)).to_numpy(zero_copy_only=False)
    differs = names != register.services["ServiceName"].to_numpy()[rows]
    return changes("ServiceName", rows[differs], days[differs], names[differs])


def _provider_changes(
    rng: np.random.Generator, register: Register, start: np.ndarray, end: np.ndarray
) -> tuple[Changes, Changes]:
    """Private and voluntary services taken over by another provider of their sector and kind of care, one
    already registered on the day (SP number and provider name change together)."""
    services = register.services
    sector = services["ServiceType"].to_numpy()
    eligible = np.isin(sector, ["Private", "Voluntary or Not for Profit"]) & (
        _care_service(register) != "Child Minding"
    )
    family = np.array([cal.FAMILIES.index(cal.SERVICE_RATES[c].family) for c in cal.GROUP_CARE_SERVICE])
    pool = pd.factorize(sector)[0] * len(cal.FAMILIES) + family[register.group]
    rows, days = poisson_days(rng, start, end, np.where(eligible, cal.PROVIDER_CHANGES_PER_YEAR, 0.0))
    donors = np.flatnonzero(eligible)
    donors = donors[np.lexsort((register.registered[donors], pool[donors]))]
    key = pool[donors] * 10**6 + register.registered[donors]
    low = np.searchsorted(key, pool[rows] * 10**6, "left")
    high = np.searchsorted(key, pool[rows] * 10**6 + days, "right")  # registered by the day
    donor = donors[np.minimum(low + (rng.random(len(rows)) * (high - low)).astype(np.int64), len(donors) - 1)]
    sp_number, provider = services["SP_number"].to_numpy(), services["ServiceProvider"].to_numpy()
    taken = (high > low) & (sp_number[donor] != sp_number[rows])
    rows, days, donor = rows[taken], days[taken], donor[taken]
    return (
        changes("SP_number", rows, days, sp_number[donor]),
        changes("ServiceProvider", rows, days, provider[donor]),
    )


def _postcodes(rng: np.random.Generator, register: Register, start: np.ndarray, end: np.ndarray) -> Changes:
    """A new postcode in the same postcode district (a correction, or a move along the road)."""
    rows, days = poisson_days(rng, start, end, np.full(len(start), cal.POSTCODE_CHANGES_PER_YEAR))
    district = pc.replace_substring_regex(
        pa.array(register.services["Service_Postcode"].to_numpy()[rows], nm.STRING), " .*$", ""
    )
    postcodes = nm.cat(district, " ", inward_codes(rng, len(rows)))
    return changes("Service_Postcode", rows, days, postcodes.to_numpy(zero_copy_only=False))


def _council_slips(rng: np.random.Generator, register: Register, scale: float, until: int) -> Changes:
    """Services put in a wrong council area (in Scotland) for one monthly extract, then put back."""
    made, corrected = _slip_windows(rng, cal.COUNCIL_SLIPS_PER_YEAR * scale, until)
    councils = geography().councils
    scottish = [c for c in councils if c != OUTSIDE_SCOTLAND]
    council = register.services["Council_Area_Name"].to_numpy()
    in_scotland = council != OUTSIDE_SCOTLAND
    slip, rows = _present_through(
        rng,
        made,
        corrected,
        np.where(in_scotland, register.recorded, np.iinfo(np.int64).max),
        register.closed,
    )
    right = np.array([scottish.index(c) for c in council[rows]], dtype=np.int64)
    wrong = (right + rng.integers(1, len(scottish), len(rows))) % len(scottish)
    names = np.array(scottish, dtype=object)
    return _slips("Council_Area_Name", rows, made[slip], corrected[slip], names[wrong], names[right])


def _slips(
    column: str,
    rows: np.ndarray,
    made: np.ndarray,
    corrected: np.ndarray,
    wrong: np.ndarray,
    right: np.ndarray,
) -> Changes:
    """A wrong value from `made`, the right one again from `corrected`."""
    return changes(column, np.r_[rows, rows], np.r_[made, corrected], np.r_[wrong, right])


def _slip_windows(rng: np.random.Generator, per_year: float, until: int) -> tuple[np.ndarray, np.ndarray]:
    """(made, corrected) days of slips at `per_year`: made up to SLIP_EARLY_DAYS before a month end and
    corrected up to as many days before the next, so that only the extract after that month end holds it."""
    month_ends = month_starts(cal.EVENTS_START.strftime("%Y-%m"), until)[1:] - 1
    count = rng.poisson(per_year * len(month_ends) / 12)
    month = rng.integers(0, len(month_ends) - 1, count)
    made = month_ends[month] - rng.integers(0, cal.SLIP_EARLY_DAYS + 1, count)
    corrected = month_ends[month + 1] - rng.integers(0, cal.SLIP_EARLY_DAYS + 1, count)
    return made, corrected


def _present_through(
    rng: np.random.Generator, made: np.ndarray, corrected: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each slip, a row present from before it is made until after it is corrected (start <= made,
    end > corrected), drawn at random: (the slips that found one, their rows)."""
    if not len(start):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    tried = rng.integers(0, len(start), (len(made), CANDIDATES_PER_SLIP))
    fits = (start[tried] <= made[:, None]) & (end[tried] > corrected[:, None])
    slip = np.flatnonzero(fits.any(axis=1))
    return slip, tried[slip, fits[slip].argmax(axis=1)]
