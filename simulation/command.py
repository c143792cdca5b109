"""`carestats simulate`: the simulator's command, added to the CLI by the `carestats.commands` entry point."""

from __future__ import annotations

import datetime as dt

import click

from carestats.command_line import (
    CONTEXT,
    EXIT_CODES_HELP,
    CommandResult,
    common_options,
    lake_option,
    month_end_option,
)


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
@lake_option
@common_options
def simulate(
    seed: int,
    scale: float,
    until: dt.date | None,
    months: int,
    messy: bool,
    lake: str | None,
    as_json: bool,
    verbose: bool,
):
    """Write synthetic register extracts, as the operational system lands them,
    for months ending at --until."""
    from carestats.settings import get_settings, last_month_end
    from simulation.landing import write_register_extracts

    written = write_register_extracts(
        lake or get_settings().lake, until or last_month_end(), months, seed=seed, scale=scale, messy=messy
    )
    summary = {"lake": written.lake, "seed": seed, "scale": scale, "extracts": written.extracts}
    lines = [
        f"Wrote {len(written.extracts)} register extracts under {written.folder}:",
        *[f"  {day}" for day in written.extracts],
    ]
    return CommandResult(summary, lines)
