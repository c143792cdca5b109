"""What happens to registered services: inspections, gradings, upheld complaints and enforcement notices.

Everything is driven by a latent quality per service: low-quality services are inspected more often,
grade lower, get requirements, complaints and enforcement more often. Events start at HISTORY_START.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from carestats.dictionary import load_dictionary
from simulation import calibration as cal
from simulation import names as nm
from simulation.register import Register, as_datetime, stream, to_day

TYPICAL_QUALITY = 4.5
MIN_GAP_DAYS, MAX_GAP_YEARS = 120, 3.5  # between inspections of one service


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
    """Days from which (inclusive) and to which (exclusive) each service can have events."""
    return np.maximum(register.registered, to_day(cal.HISTORY_START)), np.minimum(register.closed, until + 1)


def _inspection_days(
    rng: np.random.Generator, register: Register, until: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(service row, day, whether it is the service's first inspection after registering), in date order
    per service. Gaps shrink for low-quality services; most inspections stop during the 2020-21 pause."""
    start, end = _window(register, until)
    factor = np.clip(0.55 + 0.3 * (register.quality - 3.0), 0.55, 1.15)
    mean_gap = _rates(register, "inspect_years") * 365.25 * factor
    new = register.registered >= to_day(cal.HISTORY_START)
    day = np.where(
        new,
        register.registered + rng.integers(60, 300, len(start)),
        start + rng.random(len(start)) * mean_gap,
    ).astype(np.int64)
    rows_out, days_out, first_out = [], [], []
    active = np.flatnonzero(day < end)
    first = new.copy()
    while len(active):
        rows_out.append(active)
        days_out.append(weekday(day[active]))
        first_out.append(first[active])
        first[active] = False
        gap = mean_gap[active] * rng.gamma(8.0, 1 / 8.0, len(active))
        day[active] += np.clip(gap, MIN_GAP_DAYS, MAX_GAP_YEARS * 365.25).astype(np.int64)
        active = active[day[active] < end[active]]
    rows, days, is_first = np.concatenate(rows_out), np.concatenate(days_out), np.concatenate(first_out)
    pause = (days >= to_day(cal.COVID_PAUSE[0])) & (days <= to_day(cal.COVID_PAUSE[1]))
    kept = np.array([cal.COVID_KEPT.get(c, 0.1) for c in cal.GROUP_CARE_SERVICE])[register.group[rows]]
    keep = (
        (~pause | (rng.random(len(rows)) < kept)) & (days < end[rows]) & (days >= register.registered[rows])
    )
    order = np.lexsort((days[keep], rows[keep]))
    return rows[keep][order], days[keep][order], is_first[keep][order]


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
    return allowed


def simulate_inspections(seed: int, register: Register, until: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The inspections table and the gradings table."""
    rng = stream(seed, "inspections")
    questions = load_dictionary().key_questions
    rows, days, is_first = _inspection_days(rng, register, until)
    n = len(rows)
    level = register.quality[rows] + rng.normal(0, cal.VISIT_SD, n)
    base = _rates(register, "requirements")[rows]
    logit = np.log(base / (1 - base)) + 1.5 * (TYPICAL_QUALITY - level)
    requirements = rng.random(n) < 1 / (1 + np.exp(-logit))
    in_pause = (days >= to_day(cal.COVID_PAUSE[0])) & (days <= to_day(cal.COVID_PAUSE[1]))
    graded_share = np.where(
        in_pause, cal.COVID_GRADED_SHARE, np.where(is_first, cal.FIRST_GRADED_SHARE, cal.GRADED_SHARE)
    )
    graded = rng.random(n) < graded_share
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
    priority = np.where(allowed, rng.random((m, len(questions))), np.inf)
    rank = priority.argsort(axis=1).argsort(axis=1)
    chosen = allowed & (rank < wanted[:, None])
    grades = np.clip(
        np.round(g_level[:, None] + rng.normal(0, cal.KEY_QUESTION_SD, (m, len(questions)))), 1, 6
    )
    low, median, high = cal.PUBLICATION_LAG_DAYS
    lag = np.clip(median * np.exp(0.4 * rng.standard_normal(m)), low, high).astype(np.int64)
    published = weekday(g_days + lag)
    kept = published <= until
    gradings = pd.DataFrame(
        {
            "CSNumber": pd.Series(cs_number.take(pa.array(g_rows[kept])), dtype="str"),
            "Inspection_Date": as_datetime(g_days[kept]),
            "Publication_Date": as_datetime(published[kept]),
        }
    )
    for k, question in enumerate(questions):
        gradings[question] = pd.arrays.IntegerArray(grades[kept, k].astype(np.int64), ~chosen[kept, k])
    return inspections, gradings


def _occurrences(
    rng: np.random.Generator, register: Register, until: int, per_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events at the given yearly rate per service, uniform over each service's window."""
    start, end = _window(register, until)
    exposure = np.maximum(end - start, 0)
    counts = rng.poisson(per_year * exposure / 365.25)
    rows = np.repeat(np.arange(len(start)), counts)
    days = weekday(start[rows] + (rng.random(len(rows)) * exposure[rows]).astype(np.int64))
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
