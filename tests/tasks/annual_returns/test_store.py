import datetime as dt

import pandas as pd
import pytest

from tasks.annual_returns.staff import staff_facts, staff_wte_as_at
from tasks.annual_returns.store import (
    Accounting,
    AccountingError,
    account,
    parquet_bytes,
    read_parquet,
    staffing_rows,
    with_current,
)


def accepted(*rows):
    frame = pd.DataFrame(
        rows,
        columns=["CSNumber", "Return_ID", "Submitted_At", "Source_File", "Source_Line", "Total_WTE", "Late"],
    )
    frame["Submitted_At"] = pd.to_datetime(frame["Submitted_At"]).astype("datetime64[s]")
    frame["Return_Year"] = 2026
    return frame


def test_the_latest_submission_of_each_service_is_current_earlier_ones_superseded():
    frame = accepted(
        ("CS1", "AR2026-0000003", "2026-02-10T09:00:00", "b.csv", 2, 5.0, "No"),
        ("CS1", "AR2026-0000001", "2026-01-10T09:00:00", "a.csv", 2, 4.0, "No"),
        ("CS2", "AR2026-0000002", "2026-01-11T09:00:00", "a.csv", 3, 1.0, "No"),
    )
    store = with_current(frame)
    assert store[["Return_ID", "Current"]].values.tolist() == [
        ["AR2026-0000001", "No"],
        ["AR2026-0000003", "Yes"],
        ["AR2026-0000002", "Yes"],
    ]


def test_the_store_is_the_same_bytes_whatever_order_the_files_came_in():
    rows = [
        ("CS1", "AR2026-0000001", "2026-01-10T09:00:00", "a.csv", 2, 4.0, "No"),
        ("CS1", "AR2026-0000003", "2026-02-10T09:00:00", "b.csv", 2, 5.0, "No"),
        ("CS2", "AR2026-0000002", "2026-01-11T09:00:00", "a.csv", 3, 1.0, "No"),
    ]
    one = parquet_bytes(with_current(accepted(*rows)))
    other = parquet_bytes(with_current(accepted(*reversed(rows))))
    assert one == other
    assert read_parquet(one)["Return_ID"].tolist() == ["AR2026-0000001", "AR2026-0000003", "AR2026-0000002"]


def records(*counts):
    return [
        {"rows_received": r, "rows_accepted": a, "rows_quarantined": q, "unreadable": None}
        for r, a, q in counts
    ]


def test_accounting_adds_up_and_names_the_counts():
    store = with_current(
        accepted(
            ("CS1", "AR2026-0000001", "2026-01-10T09:00:00", "a.csv", 2, 4.0, "No"),
            ("CS1", "AR2026-0000003", "2026-02-18T09:00:00", "b.csv", 2, 5.0, "Yes"),
            ("CS2", "AR2026-0000002", "2026-01-11T09:00:00", "a.csv", 3, 1.0, "No"),
        )
    )
    accounting = account(records((4, 2, 2), (1, 1, 0)), store)
    accounting.check(2026)
    assert accounting == Accounting(
        files=2, files_unreadable=0, received=5, accepted=3, quarantined=2, current=2, superseded=1
    )


@pytest.mark.parametrize("counts", [[(4, 2, 1), (1, 1, 0)], [(4, 3, 1), (1, 1, 0)]])
def test_accounting_fails_loudly_when_a_row_is_lost_or_counted_twice(counts):
    store = with_current(
        accepted(
            ("CS1", "AR2026-0000001", "2026-01-10T09:00:00", "a.csv", 2, 4.0, "No"),
            ("CS2", "AR2026-0000002", "2026-01-11T09:00:00", "a.csv", 3, 1.0, "No"),
            ("CS3", "AR2026-0000004", "2026-01-11T09:00:00", "b.csv", 2, 1.0, "No"),
        )
    )
    with pytest.raises(AccountingError, match="annual returns 2026: 5 rows received"):
        account(records(*counts), store).check(2026)


def test_staff_figures_are_point_in_time_whatever_came_later():
    year_2025 = accepted(("CS1", "AR2025-0000001", "2025-02-01T09:00:00", "a.csv", 2, 3.0, "No"))
    year_2025["Return_Year"] = 2025
    year_2026 = accepted(
        ("CS1", "AR2026-0000001", "2026-01-20T09:00:00", "b.csv", 2, 4.0, "No"),
        ("CS1", "AR2026-0000002", "2026-02-03T09:00:00", "c.csv", 2, 4.5, "No"),
        ("CS2", "AR2026-0000003", "2026-02-03T09:00:00", "c.csv", 3, 7.0, "No"),
    )
    at = {
        day: staff_wte_as_at([year_2025, year_2026], dt.date.fromisoformat(day))
        for day in ("2025-12-31", "2026-01-31", "2026-02-28")
    }
    assert at["2025-12-31"][["CSNumber", "Total_WTE"]].values.tolist() == [["CS1", 3.0]]
    assert at["2026-01-31"][["CSNumber", "Total_WTE"]].values.tolist() == [["CS1", 4.0]]
    assert at["2026-02-28"][["CSNumber", "Total_WTE"]].values.tolist() == [["CS1", 4.5], ["CS2", 7.0]]
    # An amendment made after the edition date changes nothing in that edition's figures or their checksum.
    before = staff_facts(at["2026-01-31"])
    later = accepted(("CS1", "AR2026-0000009", "2026-03-01T09:00:00", "d.csv", 2, 9.0, "No"))
    assert staff_facts(staff_wte_as_at([year_2025, year_2026, later], dt.date(2026, 1, 31))) == before
    assert before["return_years"] == [2026] and before["services_with_a_return"] == 1


def test_the_staffing_grid_becomes_one_row_per_return_and_role():
    from carestats.dictionary import load_dictionary
    from tasks.annual_returns.ingest import curated_rows
    from tests.support.returns import CARE_HOME, WINDOW_2026, return_row

    text = pd.DataFrame([return_row(CARE_HOME, 1)])
    rows = with_current(curated_rows(text, [2], WINDOW_2026, "a.csv", "ab" * 32, load_dictionary()))
    grid = staffing_rows(rows)
    assert len(grid) == len(load_dictionary().job_roles)
    care = grid.loc[grid["Role"] == "Care_Staff"].iloc[0]
    assert (care["Headcount"], care["WTE"], care["Leavers"], care["Current"]) == (2, 1.5, 1, "Yes")
    assert list(grid.columns[:5]) == ["Return_ID", "Return_Year", "CSNumber", "Role", "Current"]
