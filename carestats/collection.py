"""The annual-return collection: each return year's window, from configuration, and who must submit.

Windows live in deployments/annual_return_windows.yaml (CARESTATS_RETURN_WINDOWS names another file), so
an extension is a configuration change. A return year Y describes every service as at 31 December Y-1;
a service registered before 1 October Y-1 and not cancelled by 31 December must submit (inactive ones
too), one registered on or after 1 October may.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from carestats.errors import BadInputError
from carestats.settings import get_settings

WINDOWS_PATH = Path(__file__).resolve().parent.parent / "deployments" / "annual_return_windows.yaml"
OPTIONAL_FROM_MONTH = 10  # registered on or after 1 October of the year described: optional


@dataclass(frozen=True)
class CollectionWindow:
    """One return year's window: when the forms open and close, and what the return describes."""

    return_year: int
    opens: dt.date
    closes: dt.date
    note: str = ""

    @property
    def describes(self) -> dt.date:
        """The day every answer is about: 31 December of the year before the return year."""
        return dt.date(self.return_year - 1, 12, 31)

    @property
    def optional_from(self) -> dt.date:
        """Services registered on or after this day (1 October of the year described) need not submit."""
        return dt.date(self.return_year - 1, OPTIONAL_FROM_MONTH, 1)

    def is_late(self, submitted: dt.date) -> bool:
        """Submitted after the window closed: accepted, and flagged."""
        return submitted > self.closes

    def is_open_on(self, day: dt.date) -> bool:
        """Whether the forms take returns on this day (the close-out run comes after)."""
        return self.opens <= day <= self.closes


def windows_file() -> Path:
    """The configuration file the windows are read from: CARESTATS_RETURN_WINDOWS, or the project's."""
    configured = get_settings().return_windows
    return Path(configured) if configured else WINDOWS_PATH


def collection_windows(path: Path | None = None) -> dict[int, CollectionWindow]:
    """Every configured window by return year, read afresh (a redeploy picks up an extension)."""
    raw = yaml.safe_load((path or windows_file()).read_text(encoding="utf-8"))["windows"]
    windows = {}
    for year, spec in raw.items():
        window = CollectionWindow(int(year), spec["opens"], spec["closes"], spec.get("note", ""))
        if not (window.describes < window.opens <= window.closes):
            raise ValueError(
                f"{path or windows_file()}: the {year} window must open after {window.describes} "
                "and close on or after it opens"
            )
        windows[int(year)] = window
    return windows


def collection_window(return_year: int, path: Path | None = None) -> CollectionWindow:
    """The window of one return year; a year with none configured is a clear error naming the file."""
    windows = collection_windows(path)
    if return_year not in windows:
        configured = ", ".join(str(y) for y in sorted(windows))
        raise BadInputError(
            f"no annual-return window is configured for {return_year} in {path or windows_file()} "
            f"(configured: {configured})"
        )
    return windows[return_year]


def opened_years(today: dt.date | None = None, path: Path | None = None) -> list[int]:
    """Every configured return year whose window has opened by today, oldest first (the years a lake can
    hold returns of: what the demo simulates and a trend can reach back to).
    """
    today = today or dt.date.today()
    opened = sorted(year for year, window in collection_windows(path).items() if window.opens <= today)
    if not opened:
        raise BadInputError(
            f"no annual-return window configured in {path or windows_file()} has opened by {today}"
        )
    return opened


def latest_open_year(today: dt.date | None = None, path: Path | None = None) -> int:
    """The latest configured return year whose window has opened by today: what a bare run works on."""
    return opened_years(today, path)[-1]


def latest_closed_year(today: dt.date | None = None, path: Path | None = None) -> int:
    """The latest configured return year whose window closed before today: what is shared after close."""
    today = today or dt.date.today()
    closed = [year for year, window in collection_windows(path).items() if window.closes < today]
    if not closed:
        raise BadInputError(
            f"no annual-return window configured in {path or windows_file()} has closed by {today}"
        )
    return max(closed)
