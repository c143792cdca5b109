"""What happens to registered services: inspections, gradings, upheld complaints and enforcement notices.

Everything is driven by a latent quality per service: low-quality services are inspected more often,
grade lower, get requirements, complaints and enforcement more often. Events start at EVENTS_START.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from carestats.dictionary import load_dictionary
from simulation import calibration as cal
from simulation import names as nm
from simulation.register import Register, as_datetime, stream, to_day

TYPICAL_QUALITY = 4.5
MIN_GAP_DAYS, MAX_GAP_YEARS = 120, 20  # between inspections of one service


def weekday(days: np.ndarray) -> np.ndarray:
    """Move Saturdays to Friday and Sundays to Monday (day 0, 1 Jan 1970, was a Thursday)."""
    dow = (days + 3) % 7
    return days - (dow == 5) + (dow == 6)


def _rates(register: Register, field: str) -> np.ndarray:
    return np.array([getattr(cal.SERVICE_RATES[c], field) for c in cal.GROUP_CARE_SERVICE])[register.group]


def _quality_weight(quality: np.ndarray, slope: float) -> np.ndarray:
    """Relative risk of an event by quality, averaging 1 over services so that base rates stay rates."""
    weight = np.exp(slope * (TYPICAL_QUALITY - quality))
    return weight / weight.mean() if len(weight) else weight


def _window(register: Register, until: int) -> tuple[np.ndarray, np.ndarray]:
    """Days from which (inclusive) and to which (exclusive) each service can have events: from when the
    operational system recorded it (or EVENTS_START) until it is cancelled."""
    return np.maximum(register.recorded, to_day(cal.EVENTS_START)), np.minimum(register.closed, until + 1)


@dataclass(frozen=True)
class Cycle:
    """How often each service is inspected: its own mean days between inspections before the 2020-21 pause
    and since, and how much longer its gaps are after its first inspection (very long for the few that
    drop out of the cycle)."""

    before: np.ndarray
    since: np.ndarray
    dropout: np.ndarray

    def next_days(self, rng: np.random.Generator, rows: np.ndarray, days: np.ndarray) -> np.ndarray:
        """The day after `days` each service in `rows` is next inspected: the gap since the pause when the
        inspection falls due after it begins."""
        spread = rng.gamma(8.0, 1 / 8.0, len(rows)) * self.dropout[rows]
        due_before_pause = days + self.before[rows] * spread < to_day(cal.COVID_PAUSE[0])
        gap = np.where(due_before_pause, self.before[rows], self.since[rows]) * spread
        return days + np.clip(gap, MIN_GAP_DAYS, MAX_GAP_YEARS * 365.25).astype(np.int64)


def _cycle(rng: np.random.Generator, register: Register) -> Cycle:
    """Shorter gaps for low quality, spread between services, much longer since the pause for those
    deprioritised."""
    n = len(register.quality)
    factor = np.clip(0.55 + 0.3 * (register.quality - 3.0), 0.55, 1.15)
    days = 365.25 * factor * np.exp(cal.INSPECT_SPREAD * rng.standard_normal(n))
    deprioritised = rng.random(n) < _rates(register, "deprioritised")
    since = _rates(register, "inspect_years") * np.where(deprioritised, cal.DEPRIORITISED_GAP_FACTOR, 1.0)
    share, longer = cal.RARELY_INSPECTED
    dropout = np.where(rng.random(n) < share, longer, 1.0)
    return Cycle(_rates(register, "inspect_years_before_pause") * days, since * days, dropout)


def _first_inspection_days(rng: np.random.Generator, register: Register, cycle: Cycle) -> np.ndarray:
    """A new service waits a while for its first inspection; one registered before EVENTS_START is next
    inspected somewhere in its cycle."""
    shape = cal.FIRST_INSPECTION_SHAPE
    wait = (
        _rates(register, "first_inspection_years") * 365.25 * rng.gamma(shape, 1 / shape, len(cycle.before))
    )
    in_cycle = to_day(cal.EVENTS_START) + rng.random(len(cycle.before)) * cycle.before
    return np.where(
        register.registered >= to_day(cal.EVENTS_START), register.registered + wait, in_cycle
    ).astype(np.int64)


def _inspection_days(
    rng: np.random.Generator, register: Register, until: int
) -> tuple[np.ndarray, np.ndarray]:
    """(service row, day), in date order per service. Most inspections due in the 2020-21 pause did not
    happen (new services' first ones did), and gaps have been longer since."""
    start, end = _window(register, until)
    cycle = _cycle(rng, register)
    day = _first_inspection_days(rng, register, cycle)
    rows_out, days_out = [], []
    active = np.flatnonzero(day < end)
    while len(active):
        rows_out.append(active)
        days_out.append(weekday(day[active]))
        day[active] = cycle.next_days(rng, active, day[active])
        active = active[day[active] < end[active]]
    rows, days = np.concatenate(rows_out), np.concatenate(days_out)
    is_first = np.zeros(len(rows), dtype=bool)  # the first round holds each new service's first inspection
    is_first[: len(rows_out[0])] = register.registered[rows_out[0]] >= to_day(cal.EVENTS_START)
    kept = np.array([cal.COVID_KEPT.get(c, 0.1) for c in cal.GROUP_CARE_SERVICE])[register.group[rows]]
    held = ~_in_pause(days) | is_first | (rng.random(len(rows)) < kept)
    keep = held & (days < end[rows]) & (days >= start[rows])
    order = np.lexsort((days[keep], rows[keep]))
    return rows[keep][order], days[keep][order]


def _in_pause(days: np.ndarray) -> np.ndarray:
    return (days >= to_day(cal.COVID_PAUSE[0])) & (days <= to_day(cal.COVID_PAUSE[1]))


def _graded_key_questions(register: Register) -> np.ndarray:
    """Per service row, which of the dictionary's key questions it can be graded on."""
    dictionary = load_dictionary()
    questions = dictionary.key_questions
    by_group = np.array(
        [
            [q in dictionary.graded_key_questions(g.care_service, g.subtype) for q in questions]
            for g in cal.GROUPS
        ]
    )
    allowed = by_group[register.group]
    allowed[:, questions.index("KQ_Staff_Team")] &= register.staff_team
    allowed[:, questions.index("KQ_Setting")] |= register.building_based
    return allowed


@dataclass(frozen=True)
class Inspected:
    """The inspections and gradings tables, with what the extracts need to know beside them."""

    inspections: pd.DataFrame
    recorded: np.ndarray  # day numbers: each inspection is recorded when its report is published
    gradings: pd.DataFrame
    grading_rows: np.ndarray  # each grading's service row; gradings are in order of service, then date


def _publication_days(rng: np.random.Generator, rows: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The weekday each inspection's report (and grades) is published: for each service (rows in order),
    after the report of its previous inspection, so no two gradings of a service share a date."""
    low, median, spread, high = cal.PUBLICATION_LAG_DAYS
    lag = np.clip(median * np.exp(spread * rng.standard_normal(len(days))), low, high).astype(np.int64)
    published = weekday(days + lag)
    # Strictly increasing within a service: a[i] = max(p[i], a[i-1] + 1), i.e. a - i is the running maximum
    # of p - i; each service's values are lifted by its row number times a stride, so maxima never carry over.
    position = np.arange(len(days))
    shifted = published - position + len(days)
    stride = int(shifted.max(initial=0)) + 1
    lifted = np.maximum.accumulate(rows.astype(np.int64) * stride + shifted)
    return lifted - rows.astype(np.int64) * stride + position - len(days)


def simulate_inspections(seed: int, register: Register, until: int) -> Inspected:
    """The inspections table and the gradings table, as far as their reports are published by `until`."""
    rng = stream(seed, "inspections")
    questions = load_dictionary().key_questions
    rows, days = _inspection_days(rng, register, until)
    published = _publication_days(rng, rows, days)
    reported = published <= until
    rows, days, published = rows[reported], days[reported], published[reported]
    n = len(rows)
    level = register.quality[rows] + rng.normal(0, cal.VISIT_SD, n)
    base = _rates(register, "requirements")[rows]
    logit = np.log(base / (1 - base)) + 1.5 * (TYPICAL_QUALITY - level)
    requirements = rng.random(n) < 1 / (1 + np.exp(-logit))
    graded = rng.random(n) < cal.GRADED_SHARE
    cs_number = pa.array(register.services["CSNumber"].array)
    inspections = pd.DataFrame(
        {
            "CSNumber": pd.Series(cs_number.take(pa.array(rows)), dtype="str"),
            "Inspection_Date": as_datetime(days),
            "Requirements_Made": pd.Series(np.where(requirements, "Yes", "No").astype(object), dtype="str"),
        }
    )

    # Gradings: a service's first grading covers every key question it can be graded on; later ones often
    # only two or three.
    g_rows, g_days, g_level = rows[graded], days[graded], level[graded]
    m = len(g_rows)
    first_grading = np.r_[True, g_rows[1:] != g_rows[:-1]] if m else np.zeros(0, dtype=bool)
    allowed = _graded_key_questions(register)[g_rows]
    available = allowed.sum(axis=1)
    full = first_grading | (rng.random(m) < cal.FULL_GRADING_SHARE)
    wanted = np.where(full, available, np.minimum(rng.choice([2, 3], m), available))
    priority = np.where(allowed, rng.random((m, len(questions)), dtype=np.float32), np.float32(2))
    cutoff = np.sort(priority, axis=1)[np.arange(m), np.maximum(wanted - 1, 0)]
    chosen = allowed & (priority <= cutoff[:, None])
    noise = rng.standard_normal((m, len(questions)), dtype=np.float32) * np.float32(cal.KEY_QUESTION_SD)
    grades = np.clip(np.round(g_level[:, None].astype(np.float32) + noise), 1, 6).astype(np.int8)
    gradings = pd.DataFrame(
        {
            "CSNumber": pd.Series(cs_number.take(pa.array(g_rows)), dtype="str"),
            "Inspection_Date": as_datetime(g_days),
            "Publication_Date": as_datetime(published[graded]),
        }
    )
    for k, question in enumerate(questions):
        gradings[question] = pd.arrays.IntegerArray(grades[:, k].astype(np.int64), ~chosen[:, k])
    return Inspected(inspections, published, gradings, g_rows)


def poisson_days(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray, per_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(row, day) of Poisson events at each row's yearly rate, uniform over its window [start, end),
    in date order."""
    exposure = np.maximum(end - start, 0)
    counts = rng.poisson(per_year * exposure / 365.25)
    rows = np.repeat(np.arange(len(start)), counts)
    days = start[rows] + (rng.random(len(rows)) * exposure[rows]).astype(np.int64)
    order = np.lexsort((rows, days))
    return rows[order], days[order]


def _occurrences(
    rng: np.random.Generator, register: Register, until: int, per_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events at the given yearly rate per service, on weekdays within each service's window."""
    start, end = _window(register, until)
    rows, days = poisson_days(rng, start, end, per_year)
    days = weekday(days)
    inside = (days >= start[rows]) & (days < end[rows])
    rows, days = rows[inside], days[inside]
    order = np.lexsort((rows, days))
    return rows[order], days[order]


def simulate_complaints(seed: int, register: Register, until: int) -> pd.DataFrame:
    """Upheld complaints: overdispersed (some services attract many), more for low quality."""
    rng = stream(seed, "complaints")
    proneness = rng.gamma(0.5, 2.0, len(register.quality))
    by_subtype = np.array([cal.COMPLAINTS_BY_SUBTYPE.get(g.subtype, 1.0) for g in cal.GROUPS])[register.group]
    rate = _rates(register, "complaints") * by_subtype * _quality_weight(register.quality, 0.9) * proneness
    rows, days = _occurrences(rng, register, until, rate)
    return pd.DataFrame(
        {
            "Complaint_ID": pd.Series(nm.cat("CMP", nm.padded(np.arange(1, len(rows) + 1), 8)), dtype="str"),
            "CSNumber": pd.Series(
                pa.array(register.services["CSNumber"].array).take(pa.array(rows)), dtype="str"
            ),
            "Upheld_Date": as_datetime(days),
        }
    )


def simulate_enforcements(seed: int, register: Register, until: int) -> pd.DataFrame:
    """Enforcement notices: rare, concentrated on low-quality services."""
    rng = stream(seed, "enforcements")
    rate = _rates(register, "enforcements") * _quality_weight(register.quality, 1.5)
    rows, days = _occurrences(rng, register, until, rate)
    kinds = list(cal.ENFORCEMENT_TYPES)
    weights = np.array(list(cal.ENFORCEMENT_TYPES.values()))
    kind = np.array(kinds, dtype=object)[rng.choice(len(kinds), len(rows), p=weights / weights.sum())]
    return pd.DataFrame(
        {
            "Enforcement_ID": pd.Series(
                nm.cat("ENF", nm.padded(np.arange(1, len(rows) + 1), 7)), dtype="str"
            ),
            "CSNumber": pd.Series(
                pa.array(register.services["CSNumber"].array).take(pa.array(rows)), dtype="str"
            ),
            "Issued_Date": as_datetime(days),
            "Enforcement_Type": pd.Series(kind, dtype="str"),
        }
    )
