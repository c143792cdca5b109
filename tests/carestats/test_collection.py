"""Which return years a bare run works on, from the configured collection windows."""

import datetime as dt

import pytest

from carestats.collection import latest_closed_year, latest_open_year, opened_years
from carestats.errors import BadInputError

WINDOWS = """windows:
  2025: {opens: 2025-01-06, closes: 2025-03-02}
  2026: {opens: 2026-01-06, closes: 2026-02-17}
  2024: {opens: 2024-01-08, closes: 2024-03-17}
"""


@pytest.fixture
def windows(tmp_path):
    path = tmp_path / "windows.yaml"
    path.write_text(WINDOWS)
    return path


def test_opened_years_are_oldest_first_and_stop_at_today(windows):
    assert opened_years(dt.date(2026, 1, 5), windows) == [2024, 2025]
    assert opened_years(dt.date(2026, 1, 6), windows) == [2024, 2025, 2026]
    assert latest_open_year(dt.date(2026, 1, 6), windows) == 2026


def test_the_latest_closed_year_waits_for_the_day_after_the_window_closes(windows):
    assert latest_closed_year(dt.date(2026, 2, 17), windows) == 2025
    assert latest_closed_year(dt.date(2026, 2, 18), windows) == 2026


def test_no_window_opened_yet_is_one_clear_error(windows):
    with pytest.raises(BadInputError, match="has opened by 2023-12-31"):
        opened_years(dt.date(2023, 12, 31), windows)
