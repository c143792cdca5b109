"""When the deployments run: the annual-return collection windows turned into Prefect schedules.

The rules live in deployments/schedules.yaml and the windows in deployments/annual_return_windows.yaml;
`carestats deploy` writes one schedule per window for each rule, so an extended window moves its daily
runs, its close-out run and the SSSC share at the next deploy, never by a change of code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from carestats.collection import CollectionWindow

SCHEDULES_PATH = Path(__file__).resolve().parent.parent / "deployments" / "schedules.yaml"


@dataclass(frozen=True)
class ScheduleRules:
    """What deployments/schedules.yaml says: the time zone, a rule per windowed deployment, the deadline."""

    timezone: str
    window_rules: dict[str, dict]
    monthly_publish_by_day: int


def schedule_rules(path: Path = SCHEDULES_PATH) -> ScheduleRules:
    """The rules as configured, read afresh (a redeploy picks up a change)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return ScheduleRules(raw["timezone"], raw["window_schedules"], int(raw["monthly_publish_by_day"]))


def _at(day: dt.date, clock: str) -> str:
    """A local date and time as an iCalendar DTSTART/UNTIL value (the schedule's time zone applies)."""
    hour, minute = (int(part) for part in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute)).strftime("%Y%m%dT%H%M%S")


def window_schedule(rule: dict, window: CollectionWindow, timezone: str) -> dict:
    """One window's schedule for a rule, as prefect.yaml writes a schedule, with the return year as its
    parameter: every day of the window at a time, or once a number of days after it closes."""
    if "every_day_of_window_at" in rule:
        clock = rule["every_day_of_window_at"]
        rrule = f"DTSTART:{_at(window.opens, clock)}\nRRULE:FREQ=DAILY;UNTIL={_at(window.closes, clock)}"
    elif "days_after_close" in rule:
        day = window.closes + dt.timedelta(days=int(rule["days_after_close"]))
        rrule = f"DTSTART:{_at(day, rule['at'])}\nRRULE:FREQ=DAILY;COUNT=1"
    else:
        raise ValueError(f"{SCHEDULES_PATH}: a window rule needs every_day_of_window_at or days_after_close")
    return {"rrule": rrule, "timezone": timezone, "parameters": {"return_year": window.return_year}}


def window_schedules(rule: dict, windows: dict[int, CollectionWindow], timezone: str) -> list[dict]:
    """A rule's schedules, one per configured window, oldest first."""
    return [window_schedule(rule, windows[year], timezone) for year in sorted(windows)]


def publish_deadline_after_start(cron: str, publish_by_day: int) -> dt.timedelta:
    """How long after the monthly run's start (a cron naming a minute, an hour and a day of the month) its
    edition may take before it is late: until the start of `publish_by_day` that month."""
    minute, hour, day = (int(field) for field in cron.split()[:3])
    if publish_by_day <= day:
        raise ValueError(f"the publish-by day {publish_by_day} must come after the run's day {day} ({cron})")
    return dt.timedelta(days=publish_by_day - day) - dt.timedelta(hours=hour, minutes=minute)
