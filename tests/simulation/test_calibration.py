"""The simulated register behaves like the real one: editions built from the default simulation, the way the
product builds them, change from month to month as the 22 real editions of Sep 2023 to Aug 2025 did, and
the edition of 31 Aug 2025 looks like the real extract of that day."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from carestats.dictionary import load_dictionary
from simulation.history import RegisterHistory, extract_tables, month_end_extract_dates
from tasks.datastore.derive import assemble_edition
from tasks.register.extract import as_text
from tasks.register.point_in_time import registered_on
from tasks.shared.disclosure import apply_disclosure

DICTIONARY = load_dictionary()
LAST_EDITION = dt.date(2025, 8, 31)
MONTHS = 24  # month-to-month changes measured, Sep 2023 to Aug 2025: the real series' window
TOLERANCE = 0.25  # each figure within a quarter of the real one

# Medians over the real editions of Sep 2023 to Aug 2025 (domain notes, section 6).
REAL_PER_MONTH = {
    "services registered": 45,
    "services cancelled": 59,
    "net change": -14,
    "new gradings published": 365,
    "services whose details change": 205,
}
REAL_SHARES = {
    "inspected within the last full financial year": 0.30,
    "last inspection after the latest grading": 0.015,
    "MinGrade_change blank": 0.095,
}
DETAILS = ["NumberStaff", "ServiceStatus", "ServiceName", "SP_number", "ServiceProvider", "Service_Postcode"]
KEPT = [*DETAILS, "CareService", "Subtype", "Registered_Places", "KQ_Setting", "MinGrade", "MinGrade_change"]
KEPT += ["Publication_of_Latest_Grading", "Last_inspection_Date"]


def build_edition(history: RegisterHistory, as_at: dt.date, extract_date: dt.date) -> pd.DataFrame:
    """An edition as tasks/datastore/steps.py::build_edition makes it (the measured columns), by CS number."""
    tables = extract_tables(history, extract_date)
    services = as_text(registered_on(tables["services"], as_at))
    frame = assemble_edition(services, tables, as_at, DICTIONARY)
    published, _ = apply_disclosure(frame, DICTIONARY.datastore_columns(as_at), DICTIONARY)
    return published.set_index("CSNumber")[KEPT]


@pytest.fixture(scope="module")
def editions(history: RegisterHistory) -> dict[dt.date, pd.DataFrame]:
    """The editions of the month ends of the real series' window, built once for the module."""
    return {
        as_at: build_edition(history, as_at, extract_date)
        for as_at, extract_date in month_end_extract_dates(LAST_EDITION, MONTHS + 1)
    }


def _differs(before: pd.DataFrame, after: pd.DataFrame) -> pd.Series:
    old, new = before.astype(object), after.astype(object)
    return ((old != new) & ~(old.isna() & new.isna())).any(axis=1)


def month_figures(previous: pd.DataFrame, previous_as_at: dt.date, edition: pd.DataFrame) -> dict[str, int]:
    """What changed since the previous edition, counted as the real editions were."""
    shared = edition.index.intersection(previous.index)
    return {
        "services registered": len(edition.index.difference(previous.index)),
        "services cancelled": len(previous.index.difference(edition.index)),
        "net change": len(edition) - len(previous),
        "new gradings published": int(
            (edition["Publication_of_Latest_Grading"] > pd.Timestamp(previous_as_at)).sum()
        ),
        "services whose details change": int(
            _differs(previous.loc[shared, DETAILS], edition.loc[shared, DETAILS]).sum()
        ),
    }


def last_full_financial_year(as_at: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The latest April-March year that had ended by the edition date."""
    end_year = as_at.year if as_at >= dt.date(as_at.year, 3, 31) else as_at.year - 1
    return pd.Timestamp(end_year - 1, 4, 1), pd.Timestamp(end_year, 3, 31)


def share_figures(edition: pd.DataFrame, as_at: dt.date) -> dict[str, float]:
    """Shares of an edition's services, as measured on the real editions."""
    inspected, graded = edition["Last_inspection_Date"], edition["Publication_of_Latest_Grading"]
    return {
        "inspected within the last full financial year": inspected.between(
            *last_full_financial_year(as_at)
        ).mean(),
        "last inspection after the latest grading": (inspected > graded).mean(),
        "MinGrade_change blank": edition["MinGrade_change"].isna().mean(),
    }


@pytest.fixture(scope="module")
def monthly(editions: dict[dt.date, pd.DataFrame]) -> pd.DataFrame:
    """One row per month: what changed since the previous edition and the edition's shares."""
    dates = list(editions)
    return pd.DataFrame(
        [
            month_figures(editions[before], before, editions[as_at]) | share_figures(editions[as_at], as_at)
            for before, as_at in zip(dates, dates[1:], strict=False)
        ],
        index=dates[1:],
    )


@pytest.mark.parametrize("figure", [*REAL_PER_MONTH, *REAL_SHARES])
def test_monthly_figures_are_within_a_quarter_of_the_real_editions(
    monthly: pd.DataFrame, figure: str
) -> None:
    real = (REAL_PER_MONTH | REAL_SHARES)[figure]
    assert monthly[figure].median() == pytest.approx(real, rel=TOLERANCE), monthly[figure].to_dict()


def test_the_oldest_last_inspection_is_about_16_years_back(editions: dict[dt.date, pd.DataFrame]) -> None:
    for as_at, edition in editions.items():
        years = (pd.Timestamp(as_at) - edition["Last_inspection_Date"].min()).days / 365.25
        assert 12 <= years <= 20, as_at


def test_details_change_most_when_the_annual_returns_are_loaded(monthly: pd.DataFrame) -> None:
    changed = monthly["services whose details change"]
    aprils = changed[[as_at.month == 4 for as_at in changed.index]]
    assert aprils.between(800, 1_600).all()  # the real series: up to 1,402 in a month
    assert aprils.min() > 2 * changed.drop(aprils.index).max()  # March's edition sees their first days


# The edition of 31 Aug 2025 against the real extract of that day --------------------------------------


@functools.cache
def read_real_extract(path: Path) -> pd.DataFrame:
    """The real extract of 31 Aug 2025 with its dates typed, read once (it is never copied into the repo)."""
    frame = pd.read_csv(path, encoding="cp1252", keep_default_na=False, na_values=["NA", ""])
    for column in ("Publication_of_Latest_Grading", "Last_inspection_Date"):
        frame[column] = pd.to_datetime(frame[column], format="%d/%m/%Y")
    return frame


def _share_with_setting(frame: pd.DataFrame) -> float:
    return frame.loc[frame["Subtype"] == "Care at Home", "KQ_Setting"].notna().mean()


def _share_without_places(frame: pd.DataFrame) -> float:
    agencies = (frame["CareService"] == "Housing Support Service") | (frame["Subtype"] == "Care at Home")
    return frame.loc[agencies, "Registered_Places"].isna().mean()


def _upper_tail(column: str) -> Callable[[pd.DataFrame], float]:
    return lambda frame: frame[column].astype(float).quantile(0.99)


def _age_of_oldest_inspection(frame: pd.DataFrame) -> float:
    return (pd.Timestamp(LAST_EDITION) - frame["Last_inspection_Date"].min()).days / 365.25


ALIKE: dict[str, Callable[[pd.DataFrame], float]] = {
    "ungraded": lambda frame: frame["MinGrade"].isna().mean(),
    "inactive": lambda frame: frame["ServiceStatus"].eq("Inactive").mean(),
    "care at home graded on setting": _share_with_setting,
    "housing support and care at home without places": _share_without_places,
    "staff, 99th percentile": _upper_tail("NumberStaff"),
    "places, 99th percentile": _upper_tail("Registered_Places"),
    "inspected in 2024-25": lambda frame: (
        frame["Last_inspection_Date"].between("2024-04-01", "2025-03-31").mean()
    ),
    "last inspection after the latest grading": lambda frame: (
        frame["Last_inspection_Date"] > frame["Publication_of_Latest_Grading"]
    ).mean(),
    "years since the oldest last inspection": _age_of_oldest_inspection,
}


@pytest.mark.parametrize("figure", ALIKE)
def test_the_last_edition_is_like_the_real_extract(
    editions: dict[dt.date, pd.DataFrame], reference_extract: Path, figure: str
) -> None:
    measure = ALIKE[figure]
    real = measure(read_real_extract(reference_extract))
    assert measure(editions[LAST_EDITION]) == pytest.approx(real, rel=TOLERANCE)


def test_upper_tails_of_places_and_staff_are_kept(editions: dict[dt.date, pd.DataFrame]) -> None:
    edition = editions[LAST_EDITION]
    assert (
        edition["NumberStaff"].max() > 500 and edition["Registered_Places"].max() > 1_000
    )  # real: 3,000, 2,436
