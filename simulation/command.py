"""`carestats simulate`: the simulator's command, added to the CLI by the `carestats.commands` entry point."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from carestats.command_line import (
    CONTEXT,
    EXIT_CODES_HELP,
    CommandResult,
    common_options,
    lake_option,
    month_end_option,
)

if TYPE_CHECKING:
    from simulation.annual_returns import LandedReturns


@click.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.option(
    "--seed",
    type=int,
    default=2025,
    show_default=True,
    help="Random seed: the same seed writes the same bytes.",
)
@click.option(
    "--scale",
    type=click.FloatRange(0, 100, min_open=True),
    default=1.0,
    show_default=True,
    help="1.0 is Scotland (about 10,700 services); at most 100.",
)
@month_end_option(
    "--until", help="Last month end to write an extract for, not after today (default: the last month end)."
)
@click.option(
    "--months",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="How many month ends, ending at --until, get an extract.",
)
@click.option(
    "--messy/--clean",
    default=True,
    show_default=True,
    help="Write the real exports' mess (BOMs, Windows-1252, CRLF, NA, council spellings), or tidy files.",
)
@click.option(
    "--return-year",
    "return_years",
    type=click.IntRange(2000, 2100),
    multiple=True,
    metavar="YEAR",
    help="Also write that year's annual-return exports, as the forms system drops them up to today, "
    "from the same register (repeatable).",
)
@lake_option
@common_options
def simulate(
    seed: int,
    scale: float,
    until: dt.date | None,
    months: int,
    messy: bool,
    return_years: tuple[int, ...],
    lake: str | None,
    as_json: bool,
    verbose: bool,
):
    """Write synthetic register extracts, as the operational system lands them,
    for months ending at --until, and any --return-year's annual-return exports."""
    from carestats.collection import collection_window
    from carestats.settings import get_settings, last_month_end
    from simulation.landing import write_register_extracts

    years = sorted(set(return_years))
    for year in years:  # a year with no configured window is refused before anything is written
        collection_window(year)
    location = lake or get_settings().lake
    written = write_register_extracts(
        location, until or last_month_end(), months, seed=seed, scale=scale, messy=messy
    )
    summary = {"lake": written.lake, "seed": seed, "scale": scale, "extracts": written.extracts}
    lines = [
        f"Wrote {len(written.extracts)} register extracts under {written.folder}:",
        *[f"  {day}" for day in written.extracts],
    ]
    if years:
        returns = _write_returns(location, years, seed, scale)
        summary["annual_returns"] = {str(year): landed.summary() for year, landed in returns.items()}
        lines += [line for landed in returns.values() for line in _returns_lines(landed)]
    return CommandResult(summary, lines)


def _write_returns(location: str, years: list[int], seed: int, scale: float) -> dict[int, LandedReturns]:
    """Each year's exports from one simulated history (the one the extracts were cut from)."""
    from simulation.annual_returns import write_annual_return_exports
    from simulation.history import simulate_history

    history = simulate_history(seed=seed, scale=scale)
    return {
        year: write_annual_return_exports(location, year, seed=seed, scale=scale, history=history)
        for year in years
    }


def _returns_lines(landed: LandedReturns) -> list[str]:
    if not landed.files:
        return [f"Annual returns {landed.return_year}: {landed.note}"]
    bad_rows = sum(len(rows) for rows in landed.bad_rows.values())
    return [
        f"Wrote {len(landed.files)} annual-return exports for {landed.return_year} under {landed.folder} "
        f"({landed.note}):",
        f"  {landed.submissions:,} submissions from {landed.submitting_services:,} services, "
        f"{landed.amendments:,} amendments, {landed.late_submissions:,} late; "
        f"{landed.mandatory_never_submitted:,} of {landed.mandatory_services:,} mandatory services "
        "did not submit",
        f"  planted for the ingest to catch: {bad_rows} bad rows, {len(landed.bad_files)} unreadable file(s)",
    ]
