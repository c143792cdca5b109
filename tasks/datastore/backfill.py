"""A backfill's plan and its account: which month ends to rebuild from what, and what became of each.

An edition's previous edition is the latest earlier month with an extract of its own, rebuilt from it:
what the monthly run, publishing month by month, would have compared it with, found without waiting for
that month's edition to be published.

The plan is made from the lake's listings alone (extract dates, published editions), so a month that
cannot be built (no extract of its own, outside the retention setting) is known before any work starts,
and every month of the range ends in the account as built, unchanged, skipped or failed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from carestats.errors import BadInputError, MissingInputError
from carestats.settings import last_month_end, require_past_month_end
from tasks.datastore.steps import complete_editions, editions_beyond_retention
from tasks.register.extract import extract_of_month
from tasks.shared.lake import dated_folders, open_lake
from tasks.shared.lake_map import RegisterExtract

BUILT, UNCHANGED, SKIPPED, FAILED = "built", "unchanged", "skipped", "failed"


def month_ends_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every month end from `start` to `end`, both past month ends, oldest first."""
    start, end = require_past_month_end(start, "--from"), require_past_month_end(end, "--to")
    if start > end:
        raise BadInputError(f"--from {start} is after --to {end}")
    months, day = [], end
    while day >= start:
        months.append(day)
        day = last_month_end(day)
    return months[::-1]


@dataclass(frozen=True)
class MonthPlan:
    """One month end of a backfill: the extract to build it from, how to find its previous edition, and
    why it is not built (no extract of its own, or outside retention), if so.
    """

    as_at: dt.date
    extract_date: dt.date | None
    previous_month: dt.date | None  # the latest earlier month with an extract of its own: rebuilt from it
    published: bool  # the lake holds a complete edition (its manifest) for this month already
    not_built: str | None = None  # why this month is skipped or fails before any work
    fails: bool = False  # not_built is a failure (a missing extract), not a skip (retention)


def plan_months(
    months: list[dt.date], extracts: list[dt.date], published: list[dt.date], keep: int | None
) -> list[MonthPlan]:
    """What a backfill of `months` does with each, from the extract dates and published editions alone."""
    beyond = set(editions_beyond_retention(sorted(set(published) | set(months)), keep))
    with_extract = sorted({last_month_end(day) for day in extracts})  # the month each extract is taken for
    plans = []
    for month in months:
        previous_month = max((m for m in with_extract if m < month), default=None)
        try:
            extract_date = extract_of_month(extracts, month)
        except MissingInputError as missing:
            plans.append(MonthPlan(month, None, previous_month, month in published, str(missing), True))
            continue
        reason = (
            f"outside the retention setting (the {keep} newest editions and every year-end snapshot)"
            if month in beyond
            else None
        )
        plans.append(MonthPlan(month, extract_date, previous_month, month in published, reason))
    return plans


@task(name="plan-backfill", task_run_name="plan-backfill-{start}-to-{end}", cache_policy=NO_CACHE)
def plan_backfill(lake_location: str, start: dt.date, end: dt.date, keep: int | None) -> list[MonthPlan]:
    """Each month end of the range with its extract and what the backfill will do with it."""
    lake = open_lake(lake_location)
    extracts = dated_folders(lake.list_folders(RegisterExtract.AREA))
    plans = plan_months(month_ends_between(start, end), extracts, complete_editions(lake), keep)
    get_run_logger().info(
        "Backfill %s to %s: %d month ends, %d to build, %d not",
        start,
        end,
        len(plans),
        sum(p.not_built is None for p in plans),
        sum(p.not_built is not None for p in plans),
    )
    return plans


@dataclass(frozen=True)
class MonthOutcome:
    """What became of one month end: built, unchanged (rebuilt to the same bytes), skipped or failed."""

    as_at: dt.date
    outcome: str
    rows: int | None = None
    detail: str = ""

    def row(self) -> dict:
        """The month as a row of the run's table artifact and the command's summary."""
        return {
            "as_at": self.as_at.isoformat(),
            "outcome": self.outcome,
            "rows": self.rows,
            "detail": self.detail,
        }


def outcome_counts(outcomes: list[MonthOutcome]) -> dict[str, int]:
    """How many months were built, unchanged, skipped and failed, in that order."""
    return {kind: sum(o.outcome == kind for o in outcomes) for kind in (BUILT, UNCHANGED, SKIPPED, FAILED)}


@task(name="report-backfill", task_run_name="report-backfill", cache_policy=NO_CACHE)
def report_backfill(outcomes: list[MonthOutcome]) -> None:
    """A table artifact that tells an engineer in the Prefect UI what the backfill did with every month."""
    create_table_artifact(
        table=[o.row() for o in outcomes],
        key="datastore-backfill",
        description="Backfill: " + ", ".join(f"{n} {kind}" for kind, n in outcome_counts(outcomes).items()),
    )
