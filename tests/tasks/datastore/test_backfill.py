"""A backfill's plan: which month ends it builds, from which extract, and why it leaves any out."""

import datetime as dt

import pytest

from carestats.errors import BadInputError
from carestats.settings import last_month_end
from tasks.datastore.backfill import month_ends_between, plan_months
from tasks.datastore.steps import editions_beyond_retention

D = dt.date.fromisoformat


def test_month_ends_between_covers_the_range_both_ends_included():
    assert month_ends_between(D("2023-11-30"), D("2024-03-31")) == [
        D("2023-11-30"),
        D("2023-12-31"),
        D("2024-01-31"),
        D("2024-02-29"),
        D("2024-03-31"),
    ]
    assert last_month_end(D("2024-03-31")) == D("2024-02-29")
    with pytest.raises(BadInputError, match="--from 2024-03-31 is after --to 2024-01-31"):
        month_ends_between(D("2024-03-31"), D("2024-01-31"))
    with pytest.raises(BadInputError, match="not a month end"):
        month_ends_between(D("2024-03-30"), D("2024-04-30"))


def test_each_month_is_built_from_its_own_extract_and_a_month_without_one_fails_alone():
    months = month_ends_between(D("2024-01-31"), D("2024-04-30"))
    extracts = [D("2024-02-05"), D("2024-04-03"), D("2024-05-04")]  # February's extract never landed
    plans = {p.as_at: p for p in plan_months(months, extracts, [D("2024-01-31")], None)}
    assert plans[D("2024-01-31")].extract_date == D("2024-02-05") and plans[D("2024-01-31")].published
    assert plans[D("2024-01-31")].previous_month is None  # December's edition comes from the lake
    february = plans[D("2024-02-29")]
    assert february.fails and february.extract_date is None
    assert "no register extract for the month ending 2024-02-29" in february.not_built
    assert "the next is of 2024-04-03, a later month's" in february.not_built
    assert plans[D("2024-03-31")].extract_date == D("2024-04-03")
    assert plans[D("2024-03-31")].previous_month == D("2024-01-31")  # February has none: January's
    assert plans[D("2024-04-30")].previous_month == D("2024-03-31") and not plans[D("2024-04-30")].published


def test_retention_keeps_the_newest_editions_and_every_year_end_snapshot():
    published = month_ends_between(D("2023-12-31"), D("2024-06-30"))
    assert editions_beyond_retention(published, None) == []
    assert editions_beyond_retention(published, 2) == [
        D("2023-12-31"),
        D("2024-01-31"),
        D("2024-02-29"),
        D("2024-04-30"),
    ]
    extracts = [month + dt.timedelta(days=4) for month in published]
    plans = plan_months(published, extracts, [], 2)
    skipped = [p.as_at for p in plans if p.not_built]
    assert skipped == [D("2023-12-31"), D("2024-01-31"), D("2024-02-29"), D("2024-04-30")]
    assert all(not p.fails and "outside the retention setting" in p.not_built for p in plans if p.not_built)
