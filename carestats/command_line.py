"""The conventions every `carestats` command follows: its options, its result, its exit codes.

The CLI (cli/) and the commands other packages add to it (the simulator's `simulate`) share them, so every
command takes --json and --verbose, reads dates the same way and ends with one of the same exit codes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from carestats.errors import BadInputError, PartlyDone, QualityGateBlocked
from carestats.settings import require_past_month_end

EXIT_DONE, EXIT_BLOCKED, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_PARTLY_DONE = 0, 1, 2, 3, 4
EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 blocked by a quality gate; 2 bad input or usage; 3 failed for another reason; "
    "4 partly done (some items of a batch failed, the rest completed)."
)
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the JSON summary, the lines a person reads, and its exit code."""

    summary: dict[str, Any]
    lines: list[str]
    exit_code: int = EXIT_DONE


class IsoDate(click.ParamType):
    """A YYYY-MM-DD date; anything else is a usage error that names the option and the value."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        """The value as a date, or a usage error."""
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


class PastMonthEnd(IsoDate):
    """A YYYY-MM-DD month end not after today: anything else is refused at once, before any work starts."""

    name = "month end"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        """The value as a past month end, or a usage error saying why not."""
        day = super().convert(value, param, ctx)
        try:
            return require_past_month_end(day, what=param.opts[0] if param else "date")
        except BadInputError as refused:
            self.fail(str(refused), param, ctx)


def date_option(*names: str, help: str) -> Callable:
    """A YYYY-MM-DD option, parsed to a date."""
    return click.option(*names, type=IsoDate(), metavar="YYYY-MM-DD", help=help)


def month_end_option(*names: str, help: str) -> Callable:
    """A YYYY-MM-DD option that must be a month end not after today (an edition date, --until)."""
    return click.option(*names, type=PastMonthEnd(), metavar="YYYY-MM-DD", help=help)


def common_options(command: Callable) -> Callable:
    """--json and --verbose, on every command."""
    command = click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON object on stdout, errors included."
    )(command)
    return click.option(
        "-v", "--verbose", is_flag=True, help="On a failure, print its details and traceback."
    )(command)


lake_option = click.option(
    "--lake",
    metavar="LAKE",
    help="Lake folder or s3://bucket/prefix (default: $CARESTATS_LAKE, else ./data).",
)


def quiet_third_party_noise() -> None:
    """Keep what is not news out of a person's terminal: the embedded Prefect server's how-to hint, and the
    traceback Prefect logs for a failure carestats expects (bad input, a blocked edition), whose message
    already says what is wrong. Unexpected errors keep their tracebacks.
    """
    import prefect  # noqa: F401  (configures Prefect's loggers, which the filters then join)

    def expected_failure_as_one_line(record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(
            record.exc_info[1], (BadInputError, QualityGateBlocked, PartlyDone)
        ):
            record.exc_info, record.exc_text = None, None
        return True

    logging.getLogger("prefect").addFilter(
        lambda record: not record.getMessage().startswith("Starting temporary server")
    )
    for name in ("prefect.task_runs", "prefect.flow_runs"):
        logging.getLogger(name).addFilter(expected_failure_as_one_line)
