"""Landing extracts: one register per seed whatever --until asks for, and never an extract from the future."""

from __future__ import annotations

import datetime as dt

import pytest

from carestats.errors import BadInputError
from simulation.landing import extract_dates, write_register_extracts
from tasks.shared.lake import open_lake
from tasks.shared.lake_map import RegisterExtract

TODAY = dt.date(2026, 12, 5)


def test_extracts_for_any_until_describe_one_register(tmp_path) -> None:
    early = write_register_extracts(str(tmp_path / "early"), dt.date(2025, 8, 31), 2, scale=0.2, today=TODAY)
    late = write_register_extracts(str(tmp_path / "late"), dt.date(2026, 11, 30), 17, scale=0.2, today=TODAY)
    assert list(early.extracts) == ["2025-08-05", "2025-09-05"]
    assert list(late.extracts)[:2] == ["2025-08-05", "2025-09-05"] and len(late.extracts) == 17
    for day in early.extracts:  # the same files, byte for byte: same services, same attributes
        assert late.extracts[day] == early.extracts[day]


def test_an_extract_is_taken_five_days_after_its_month_end() -> None:
    assert extract_dates(dt.date(2026, 10, 31), 2, TODAY) == [dt.date(2026, 10, 5), dt.date(2026, 11, 5)]


@pytest.mark.parametrize(
    "today, last_extract",
    [
        (dt.date(2026, 12, 5), dt.date(2026, 12, 5)),
        (dt.date(2026, 12, 3), dt.date(2026, 12, 3)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 1)),
    ],
)
def test_an_extract_is_never_dated_after_today(today: dt.date, last_extract: dt.date) -> None:
    assert extract_dates(dt.date(2026, 11, 30), 2, today) == [dt.date(2026, 11, 5), last_extract]


@pytest.mark.parametrize("today", [dt.date(2026, 11, 30), dt.date(2026, 11, 15)])
def test_no_extract_for_a_month_that_has_not_ended_before_today(today: dt.date) -> None:
    with pytest.raises(BadInputError, match="no extract can be taken yet for the month ending 2026-11-30"):
        extract_dates(dt.date(2026, 11, 30), 2, today)


def test_the_lake_gets_no_extract_from_the_future(tmp_path) -> None:
    lake = str(tmp_path / "lake")
    written = write_register_extracts(lake, dt.date(2026, 11, 30), 1, scale=0.01, today=dt.date(2026, 12, 2))
    assert list(written.extracts) == ["2026-12-02"]
    assert open_lake(lake).list_folders(RegisterExtract.AREA) == ["2026-12-02"]
    with pytest.raises(BadInputError):
        write_register_extracts(lake, dt.date(2026, 12, 31), 1, scale=0.01, today=dt.date(2026, 12, 31))
