"""The `carestats` command: the same flows the deployments run, for people at a terminal.

Every command prints a short human summary, or with --json one JSON document on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

app = typer.Typer(
    help="carestats: the care regulator's data platform (Datastore publication, annual returns, quality gates).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON summary on stdout.")]
LakeOption = Annotated[
    str | None, typer.Option("--lake", help="Lake folder or s3://bucket/prefix (default: $CARESTATS_LAKE or ./data).")
]


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from error


def emit(summary: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(summary, indent=2, sort_keys=True, default=str))
    else:
        typer.echo("\n".join(lines))


def fail(message: str, as_json: bool, code: int = 1) -> None:
    if as_json:
        typer.echo(json.dumps({"error": message}, indent=2))
    typer.echo(message, err=True)
    raise typer.Exit(code)


@app.command("publish-datastore")
def publish_datastore(
    as_at: Annotated[
        str | None, typer.Option("--as-at", help="Edition date, a month end (default: the last month end).")
    ] = None,
    lake: LakeOption = None,
    workbook: Annotated[
        bool, typer.Option(help="Also publish the Excel workbook (an edition over 1,048,576 rows cannot have one).")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Publish (or rebuild exactly) the monthly Datastore edition as at a date."""
    from flows.publish_datastore import publish_monthly_datastore
    from tasks.excel.workbook import TooManyRowsError
    from tasks.quality.steps import QualityGateError
    from tasks.register.extract import ExtractError

    try:
        summary = publish_monthly_datastore(as_at=parse_date(as_at) if as_at else None, lake=lake, workbook=workbook)
    except (ExtractError, FileNotFoundError, QualityGateError, TooManyRowsError) as error:
        fail(str(error), as_json)
    lines = [
        f"Datastore {summary['as_at']}: {summary['rows']:,} services, from the register extract of {summary['register_extract']}",
        f"Published to {summary['edition']}" + ("" if summary["changed"] else " (unchanged: identical bytes already there)"),
        f"Quality gate: {summary['quality']['status']}"
        + (f" ({', '.join(summary['quality']['warnings'])})" if summary["quality"]["warnings"] else ""),
        *[f"  {name}  sha256 {digest}" for name, digest in summary["files"].items()],
    ]
    emit(summary, as_json, lines)


@app.command()
def simulate(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same bytes.")] = 2025,
    scale: Annotated[float, typer.Option(help="1.0 is Scotland (about 10,700 services); up to 100.")] = 1.0,
    until: Annotated[str | None, typer.Option(help="Last month end to write an extract for (default: last month end).")] = None,
    months: Annotated[int, typer.Option(help="How many month ends, ending at --until, get an extract.")] = 2,
    messy: Annotated[bool, typer.Option(help="Write the real exports' mess (BOMs, cp1252, CRLF, NA, council spellings).")] = True,
    lake: LakeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write synthetic register extracts, as the operational system lands them, for months ending at --until."""
    from carestats.settings import get_settings, last_month_end
    from carestats.simulate import extract_tables, month_end_extract_dates, render_extract, simulate_history
    from tasks.register.extract import REGISTER_LANDING
    from tasks.storage.lake import open_lake, sha256_hex

    if not 0 < scale <= 100:
        fail("--scale must be above 0 and at most 100", as_json, code=2)
    last = parse_date(until) if until else last_month_end()
    store = open_lake(lake or get_settings().lake)
    history = simulate_history(seed=seed, scale=scale, until=last + dt.timedelta(days=31))
    written: dict[str, dict[str, str]] = {}
    for as_at, extract_date in month_end_extract_dates(last, months):
        files = render_extract(extract_tables(history, extract_date), extract_date, seed=seed, messy=messy)
        folder = f"{REGISTER_LANDING}/{extract_date.isoformat()}"
        for name, data in files.items():
            store.write_bytes(f"{folder}/{name}", data)
        written[extract_date.isoformat()] = {name: sha256_hex(data) for name, data in sorted(files.items())}
    summary = {"lake": store.uri(), "seed": seed, "scale": scale, "extracts": written}
    emit(summary, as_json, [f"Wrote {len(written)} register extracts under {store.uri(REGISTER_LANDING)}:"] + [f"  {d}" for d in written])


@app.command()
def workbook(
    csv_path: Annotated[Path, typer.Argument(help="A Datastore CSV: a published edition, an older one, or a raw extract.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .xlsx workbook.")],
    as_at: Annotated[
        str | None, typer.Option("--as-at", help="Edition date (default: the date in the file name, if it holds one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build the Datastore Excel workbook (data, pivot tables, definitions) from a Datastore CSV."""
    from tasks.datastore.datastore_file import as_at_from_file_name, read_datastore_csv
    from tasks.excel.workbook import TooManyRowsError, build_workbook
    from tasks.storage.csv_text import UnreadableCsv
    from tasks.storage.lake import sha256_hex

    edition_date = parse_date(as_at) if as_at else as_at_from_file_name(csv_path.name)
    try:
        text, _ = read_datastore_csv(csv_path.read_bytes(), csv_path.name)
        result = build_workbook(text, edition_date)
    except (OSError, UnreadableCsv, TooManyRowsError) as error:
        fail(f"{csv_path}: {error}", as_json)
    output.write_bytes(result.data)
    summary = {
        "output": str(output),
        "as_at": edition_date.isoformat() if edition_date else None,
        "rows": result.rows,
        "sheets": result.sheets,
        "pivots_built": result.pivots_built,
        "pivots_skipped": result.pivots_skipped,
        "sha256": sha256_hex(result.data),
    }
    lines = [
        f"Wrote {output}: {result.rows:,} services, sheets {', '.join(result.sheets)}",
        f"  edition date: {summary['as_at'] or 'not known'}; sha256 {summary['sha256']}",
        *[f"  pivot left out: {name} ({reason})" for name, reason in result.pivots_skipped.items()],
    ]
    emit(summary, as_json, lines)


@app.command("validate-datastore")
def validate_datastore(
    file: Annotated[Path, typer.Argument(help="A CSV shaped like a published Datastore.")],
    as_at: Annotated[
        str | None, typer.Option("--as-at", help="Edition date (default: a YYYY-MM-DD date in the file name, if any).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the Datastore quality suites on a CSV: exit 0 if no critical expectation fails, 1 if one does, 2 if unreadable."""
    from tasks.datastore.datastore_file import as_at_from_file_name, read_datastore_csv
    from tasks.storage.csv_text import UnreadableCsv

    try:
        text, notes = read_datastore_csv(file.read_bytes(), file.name)
    except (OSError, UnreadableCsv) as error:
        fail(str(error), as_json, code=2)
    from tasks.quality.report import report_text
    from tasks.quality.validate import validate_datastore as run_suites

    edition = parse_date(as_at) if as_at else as_at_from_file_name(file.name)
    report = run_suites(text, as_at=edition, require_all_columns=False, subject=file.name)
    report.notes += notes + ([] if edition else ["no edition date: rules that need it are skipped (give --as-at)"])
    emit(report.to_dict(), as_json, report_text(report))
    raise typer.Exit(0 if report.passed else 1)


@app.command("write-suites")
def write_suites(as_json: JsonOption = False) -> None:
    """Regenerate the dictionary-driven expectation suites under expectations/ (commit the result)."""
    from tasks.quality.suites import write_generated_suites

    written = write_generated_suites()
    emit({name: str(path) for name, path in written.items()}, as_json, [f"Wrote {path}" for path in written.values()])


@app.command("corrupt-extract")
def corrupt_extract(
    as_at: Annotated[str, typer.Option("--as-at", help="Edition date the corrupted extract is for (after the latest extract).")],
    lake: LakeOption = None,
    as_json: JsonOption = False,
) -> None:
    """DEMO TOOL: copy the latest register extract, with deliberate defects, as the extract for edition --as-at.

    Used by `make demo-blocked` to show the quality gate stopping a publication; never part of a flow.
    """
    from carestats.settings import get_settings
    from tasks.quality.demo import write_corrupted_extract

    written = write_corrupted_extract(lake or get_settings().lake, parse_date(as_at))
    emit(written, as_json, [f"Wrote a corrupted register extract to {written['folder']}:", *[f"  {d}" for d in written["defects"]]])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
