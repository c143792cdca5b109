"""Services change after registration, and extracts carry the mess real ones do: each extract shows values
as known on its date; registrations of the first days after a month end are in its extract; a council area
or a grade is occasionally wrong in one extract and right again in the next."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from carestats.errors import BadInputError
from simulation import calibration as cal
from simulation.changes import Changes
from simulation.history import RegisterHistory, extract_tables, month_end_extract_dates
from simulation.register import EPOCH, to_day
from tasks.register.point_in_time import registered_on

EXTRACT_DAY = dt.date(2025, 9, 5)
LAG = dt.timedelta(days=5)  # the default extract is taken five days after the month end


def day_of(day_number: int) -> dt.date:
    """The date of one of the simulation's day numbers."""
    return EPOCH + dt.timedelta(days=int(day_number))


def changes_of(history: RegisterHistory, column: str) -> Changes:
    """The later values of one services column."""
    (found,) = [c for c in history.service_changes if c.column == column]
    return found


def test_each_extract_shows_every_value_as_known_on_its_date(history: RegisterHistory) -> None:
    day = to_day(EXTRACT_DAY)
    services = extract_tables(history, EXTRACT_DAY)["services"]
    rows = np.flatnonzero(history.service_recorded <= day)  # the history rows the extract holds, in order
    assert (services["CSNumber"].to_numpy() == history.services["CSNumber"].to_numpy()[rows]).all()
    position = np.full(len(history.services), -1)
    position[rows] = np.arange(len(rows))
    for change in history.service_changes:
        expected = history.services[change.column].to_numpy(dtype=object)[rows]  # as registered
        due = change.days <= day
        for row, value in zip(change.rows[due], change.values[due], strict=True):  # by row, then day
            if position[row] >= 0:
                expected[position[row]] = value
        shown = services[change.column].to_numpy(dtype=object)
        assert (pd.isna(shown) & pd.isna(expected) | (shown == expected)).all(), change.column


def test_details_change_for_a_few_services_a_month(history: RegisterHistory) -> None:
    before = extract_tables(history, dt.date(2025, 8, 5))["services"].set_index("CSNumber")
    after = extract_tables(history, EXTRACT_DAY)["services"].set_index("CSNumber")
    shared = before.index.intersection(after.index)
    for column, low, high in (
        ("NumberStaff", 100, 250),
        ("ServiceStatus", 10, 45),
        ("ServiceName", 2, 20),
        ("SP_number", 2, 20),
        ("Service_Postcode", 2, 20),
    ):
        old, new = before.loc[shared, column], after.loc[shared, column]
        changed = ((old != new) & ~(old.isna() & new.isna())).sum()
        assert low <= changed <= high, column
    moved = shared[before.loc[shared, "SP_number"] != after.loc[shared, "SP_number"]]
    assert (before.loc[moved, "ServiceType"] == after.loc[moved, "ServiceType"]).all()  # same sector
    assert not after.loc[moved, "CareService"].eq("Child Minding").any()


def test_inactive_services_stay_a_small_share_over_the_years(history: RegisterHistory) -> None:
    for year in (2010, 2018, 2025, 2029):
        services = registered_on(
            extract_tables(history, dt.date(year, 9, 5))["services"], dt.date(year, 8, 31)
        )
        assert services["ServiceStatus"].eq("Inactive").mean() == pytest.approx(0.013, abs=0.005), year


def test_registrations_of_the_days_after_a_month_end_are_in_its_extract_not_its_edition(
    history: RegisterHistory,
) -> None:
    for month_end, extract_day in month_end_extract_dates(dt.date(2025, 8, 31), 12):
        services = extract_tables(history, extract_day)["services"]
        after = services["Date_Registered"] > pd.Timestamp(month_end)
        assert 1 <= after.sum() <= 8, month_end  # the real extract of 31 Aug 2025: 3
        assert not registered_on(services, month_end)["CSNumber"].isin(services.loc[after, "CSNumber"]).any()


def slips(changes: Changes) -> pd.DataFrame:
    """One row per slip: its row, the day it is made and corrected, the wrong and the right value."""
    pairs = pd.DataFrame({"row": changes.rows, "day": changes.days, "value": changes.values})
    made, corrected = pairs.iloc[0::2].reset_index(drop=True), pairs.iloc[1::2].reset_index(drop=True)
    return pd.DataFrame(
        {
            "row": made["row"],
            "made": made["day"],
            "corrected": corrected["day"],
            "wrong": made["value"],
            "right": corrected["value"],
        }
    )


def extract_after(day_number: int) -> tuple[dt.date, dt.date, dt.date]:
    """The extracts before, after and next after the first month end on or after a day."""
    day = day_of(day_number)
    month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    previous = day.replace(day=1) - dt.timedelta(days=1)
    following = (month_end + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return previous + LAG, month_end + LAG, following + LAG


def test_a_council_slip_shows_in_one_extract_only(history: RegisterHistory) -> None:
    found = slips(changes_of(history, "Council_Area_Name"))
    years = (cal.HORIZON - cal.EVENTS_START).days / 365.25
    assert len(found) / years == pytest.approx(cal.COUNCIL_SLIPS_PER_YEAR, rel=0.5)  # a handful a year
    recent = found[
        (found["made"] > to_day(dt.date(2023, 1, 1))) & (found["made"] < to_day(dt.date(2026, 1, 1)))
    ]
    assert len(recent) >= 3
    cs_number = history.services["CSNumber"]
    for slip in recent.itertuples():
        shown = []
        for day in extract_after(slip.made):
            services = extract_tables(history, day)["services"]
            council = services.loc[services["CSNumber"] == cs_number[slip.row], "Council_Area_Name"]
            shown.append(council.iloc[0] if len(council) else None)
        assert slip.wrong != slip.right and shown[0] in (slip.right, None)  # maybe not yet registered
        assert shown[1:] == [slip.wrong, slip.right]


def test_a_grade_slip_shows_in_one_extract_only(history: RegisterHistory) -> None:
    found = pd.concat([slips(c).assign(question=c.column) for c in history.grading_changes])
    years = (cal.HORIZON - cal.EVENTS_START).days / 365.25
    assert len(found) / years == pytest.approx(cal.GRADE_SLIPS_PER_YEAR, rel=0.5)
    assert (found["wrong"] - found["right"]).abs().eq(1).all() and found["wrong"].between(1, 6).all()
    recent = found[
        (found["made"] > to_day(dt.date(2023, 1, 1))) & (found["made"] < to_day(dt.date(2026, 1, 1)))
    ]
    assert len(recent) >= 3
    for slip in recent.itertuples():
        key = history.gradings.loc[slip.row, ["CSNumber", "Publication_Date"]]
        shown = []
        for day in extract_after(slip.made):
            gradings = extract_tables(history, day)["gradings"]
            same = (gradings["CSNumber"] == key["CSNumber"]) & (
                gradings["Publication_Date"] == key["Publication_Date"]
            )
            shown.append(int(gradings.loc[same, slip.question].iloc[0]) if same.any() else None)
        assert shown[0] in (slip.right, None) and shown[1:] == [
            slip.wrong,
            slip.right,
        ]  # maybe not yet published


def test_no_extract_after_the_end_of_the_simulated_history(history: RegisterHistory) -> None:
    with pytest.raises(BadInputError, match="the simulated history ends on"):
        extract_tables(history, cal.HORIZON + dt.timedelta(days=1))
