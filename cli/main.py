"""The `carestats` command: the same flows the deployments run, for people at a terminal.

Every command prints a short summary, or with --json exactly one JSON object on stdout (errors too).
Exit codes: 0 done; 1 blocked by a quality gate; 2 bad input or usage; 3 failed for another reason
(the traceback is printed then); 4 partly done (some items of a batch failed, the rest completed).
An expected failure is one line; --verbose adds its details.

Nothing heavy is imported at start-up: each command imports what it runs, so `carestats --help` and
the commands that need neither Prefect nor Great Expectations answer in about a second.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from importlib.metadata import entry_points, version
from pathlib import Path
from typing import Any

import click

from carestats.command_line import (
    CONTEXT,
    EXIT_BAD_INPUT,
    EXIT_BLOCKED,
    EXIT_CODES_HELP,
    EXIT_DONE,
    EXIT_FAILED,
    EXIT_PARTLY_DONE,
    CommandResult,
    common_options,
    date_option,
    lake_option,
    month_end_option,
    quiet_third_party_noise,
)
from carestats.errors import BadInputError, PartlyDone, QualityGateBlocked

TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


class CarestatsGroup(click.Group):
    """The product's commands, plus those other packages declare under the `carestats.commands` entry points
    (the simulator's `simulate`), loaded only when listed or run: the CLI imports none of them itself.
    """

    def _plugins(self) -> dict[str, Any]:
        return {point.name: point for point in entry_points(group="carestats.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, the product's and the plugins', in order."""
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A product command, or a plugin command loaded on demand."""
        command = super().get_command(ctx, name)
        if command is None and name in (plugins := self._plugins()):
            command = plugins[name].load()
        return command


@click.group(cls=CarestatsGroup, context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.version_option(version("carestats"), "--version", prog_name="carestats")
def cli() -> None:
    """carestats: the care regulator's data platform (Datastore publication, annual returns, quality)."""


@cli.command("publish-datastore", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@month_end_option("--as-at", help="Edition date, a month end not after today (default: the last month end).")
@lake_option
@click.option(
    "--workbook/--no-workbook",
    default=True,
    show_default=True,
    help="Also publish the Excel workbook (an edition over 1,048,576 rows cannot have one).",
)
@click.option(
    "--revise",
    is_flag=True,
    help="Publish different files for a year-end snapshot (31 March) as its next revision; the one it "
    "replaces stays readable. Needs --reason.",
)
@click.option("--reason", metavar="TEXT", help="Why the snapshot is revised, as the catalogue shows it.")
@common_options
def publish_datastore(
    as_at: dt.date | None,
    lake: str | None,
    workbook: bool,
    revise: bool,
    reason: str | None,
    as_json: bool,
    verbose: bool,
):
    """Publish (or rebuild exactly) the monthly Datastore edition as at a date; a year-end snapshot
    (31 March) is kept for good and changes only as a new revision (--revise --reason)."""
    quiet_third_party_noise()
    from flows.publish_datastore import publish_monthly_datastore

    summary = publish_monthly_datastore(
        as_at=as_at, lake=lake, workbook=workbook, revise=revise, reason=reason
    )
    quality, snapshot = summary["quality"], summary["year_end_snapshot"]
    lines = [
        f"Datastore {summary['as_at']}: {summary['rows']:,} services, "
        f"from the register extract of {summary['register_extract']}"
        + (" (SIMULATED DATA)" if summary["simulated"] else ""),
        f"Published to {summary['edition']}"
        + ("" if summary["changed"] else " (unchanged: identical bytes already there)"),
        *(
            [
                f"Year-end snapshot, revision {snapshot['number']}"
                + (f": {snapshot['reason']}" if snapshot["reason"] else "")
            ]
            if snapshot
            else []
        ),
        f"Quality gate: {quality['status']}"
        + (f" ({', '.join(quality['warnings'])})" if quality["warnings"] else ""),
        *[f"  {name}  sha256 {digest}" for name, digest in summary["files"].items()],
        *(
            [f"Removed by retention: {', '.join(summary['removed_by_retention'])}"]
            if summary["removed_by_retention"]
            else []
        ),
        f"Catalogue page: {summary['catalogue']['page']}",
    ]
    return CommandResult(summary, lines)


@cli.command("backfill", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@month_end_option("--from", "start", help="First edition date to rebuild, a month end.")
@month_end_option("--to", "end", help="Last edition date to rebuild, a month end not after today.")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Build every edition again, even those whose inputs and code are unchanged.",
)
@click.option("--workbook/--no-workbook", default=True, show_default=True, help="Also publish the workbooks.")
@lake_option
@common_options
def backfill(
    start: dt.date | None,
    end: dt.date | None,
    rebuild: bool,
    workbook: bool,
    lake: str | None,
    as_json: bool,
    verbose: bool,
):
    """Rebuild every month-end Datastore edition in a range from the extracts in the lake, several at once;
    editions whose inputs and code are unchanged are skipped."""
    if start is None or end is None:
        raise click.UsageError("--from and --to are both needed")
    quiet_third_party_noise()
    from flows.backfill_datastore import backfill_datastore

    summary = backfill_datastore(start=start, end=end, lake=lake, workbook=workbook, rebuild=rebuild)
    counts = summary["counts"]
    lines = [
        f"Backfill {summary['from']} to {summary['to']}: "
        + ", ".join(f"{n} {kind}" for kind, n in counts.items()),
        *[
            f"  {m['as_at']}  {m['outcome']:<9}  {_count(m['rows']):>7}  {m['detail']}"
            for m in summary["months"]
        ],
        f"Latest edition: {summary['latest_edition']}",
        f"Catalogue page: {summary['catalogue']['page']}",
    ]
    return CommandResult(summary, lines)


def _count(number: int | None) -> str:
    return "" if number is None else f"{number:,}"


def _figure(percent: float | None) -> str:
    return "no value" if percent is None else f"{percent:.1f}%"


def return_year_option(default: str = "the latest opened"):
    """--year: the return year (the year the returns are collected in); `default` says which year a
    command takes without it.
    """
    return click.option(
        "--year",
        "return_year",
        type=click.IntRange(2000, 2100),
        default=None,
        help=f"Return year: 2026 for those collected in January-February 2026 (default: {default}).",
    )


def _counts_line(counts: dict) -> str:
    return (
        f"{counts['received']:,} rows received: {counts['current']:,} current, {counts['superseded']:,} "
        f"superseded, {counts['quarantined']:,} quarantined; {counts['late']:,} late; "
        f"{counts['missing']:,} mandatory services missing"
    )


@cli.command("ingest-returns", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@return_year_option()
@date_option("--as-at", help="Day the compliance report is as at (default: today).")
@lake_option
@common_options
def ingest_returns(
    return_year: int | None, as_at: dt.date | None, lake: str | None, as_json: bool, verbose: bool
):
    """Take in the new annual-return export files of a year, and report who has not submitted."""
    quiet_third_party_noise()
    from flows.ingest_annual_returns import ingest_annual_returns

    summary = ingest_annual_returns(return_year=return_year, lake=lake, as_at=as_at)
    files = summary["files"]
    lines = [
        f"Annual returns {summary['return_year']}: {files['new']} new file(s) taken in, "
        f"{files['already_ingested']} already ingested",
        _counts_line(summary["counts"]),
        f"Store: {summary['store']}",
        f"Compliance reports and reminders: {summary['compliance']['reports']}",
    ]
    return CommandResult(summary, lines)


@cli.command("returns-status", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@return_year_option()
@date_option("--as-at", help="Day to report as at (default: today).")
@lake_option
@common_options
def returns_status(
    return_year: int | None, as_at: dt.date | None, lake: str | None, as_json: bool, verbose: bool
):
    """Where a return year stands: rows received, current, superseded, quarantined, late, and missing."""
    quiet_third_party_noise()
    from flows.ingest_annual_returns import annual_returns_status

    summary = annual_returns_status(return_year=return_year, lake=lake, as_at=as_at)
    compliance = summary["compliance"]
    lines = [
        f"Annual returns {summary['return_year']} as at {summary['as_at']} "
        f"(window {summary['window']['opens']} to {summary['window']['closes']})",
        _counts_line(summary["counts"]),
        f"Mandatory services: {compliance['mandatory']:,}, submitted {compliance['submitted_mandatory']:,}; "
        f"optional: {compliance['optional']:,}, submitted {compliance['submitted_optional']:,}",
        f"Reports by service, provider and council area, and the reminder list: {compliance['reports']}",
    ]
    return CommandResult(summary, lines)


@cli.command("share-sssc", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@return_year_option("the latest whose collection window has closed")
@month_end_option(
    "--as-at", help="Datastore edition the linkage check runs against (default: the last month end)."
)
@click.option(
    "--k", type=click.IntRange(2, 100), default=None, help="Fewest services per released combination."
)
@lake_option
@common_options
def share_sssc(
    return_year: int | None,
    as_at: dt.date | None,
    k: int | None,
    lake: str | None,
    as_json: bool,
    verbose: bool,
):
    """Deliver a year's anonymised staffing to the SSSC (extract, tables, disclosure report)."""
    quiet_third_party_noise()
    from flows.share_staffing_with_sssc import share_staffing_with_sssc

    summary = share_staffing_with_sssc(return_year=return_year, lake=lake, as_at=as_at, k=k)
    delivery, report = summary["delivery"], summary["disclosure"]
    services, linkage = report["services"], report["linkage"]
    lines = [
        f"SSSC share {summary['return_year']}: delivery {delivery['delivery']} {delivery['outcome']} "
        f"to {delivery['target']}",
        f"Services: {services['released']:,} of {services['with_a_current_return']:,} released, "
        f"{services['left_out_too_rare']:,} left out, WTE withheld for {services['wte_withheld']:,}",
        f"k required {report['k_required']}, reached {report['k_reached']}; records matched to fewer than k "
        f"named services of the Datastore of {summary['public_view_as_at']}: "
        f"{linkage['matched_to_fewer_than_k']} (fewest matched: {linkage['fewest_named_services_matched']})",
        *[
            f"Table {name}: {t['primary']} cells suppressed, {t['secondary']} more to protect them, "
            f"{t['recoverable']} recoverable"
            for name, t in report["tables"].items()
        ],
    ]
    return CommandResult(summary, lines)


@cli.command("benchmark-services", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@return_year_option("the latest whose collection window has closed")
@click.option(
    "--profiles",
    type=click.IntRange(0, 100_000),
    default=100,
    show_default=True,
    help="Profiles to render now: those of the services standing out on most indicators.",
)
@lake_option
@common_options
def benchmark_services(
    return_year: int | None, profiles: int, lake: str | None, as_json: bool, verbose: bool
):
    """Benchmark every service with a current return against the nation and its peers, for inspectors
    (internal, never published): the table, and the profiles of those that stand out most."""
    quiet_third_party_noise()
    from flows.benchmark_services import benchmark_services as run

    summary = run(return_year=return_year, lake=lake, profiles=profiles)
    lines = [
        f"Inspection benchmarks {summary['return_year']}: {summary['services']:,} services, "
        f"{summary['flagged']:,} standing out on at least one indicator",
        *[
            f"  {name}: {counts['stands_out']:,} stand out, {counts['too_few_peers']:,} with too few peers, "
            f"{counts['no_value']:,} without a value"
            for name, counts in summary["by_indicator"].items()
        ],
        f"Table: {summary['table']}",
        f"Workbook: {summary['workbook']}",
        f"Profiles: {summary['profiles_written']:,} written under {summary['profiles']}; "
        f"find any service on {summary['index']}",
    ]
    return CommandResult(summary, lines)


@cli.command("service-profile", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.argument("cs_number", metavar="CS_NUMBER")
@return_year_option("the latest whose collection window has closed")
@lake_option
@common_options
def service_profile(cs_number: str, return_year: int | None, lake: str | None, as_json: bool, verbose: bool):
    """Where a service's profile is (drawn now from the year's benchmarks) and where it stands out."""
    quiet_third_party_noise()
    from flows.benchmark_services import service_profile as profile_of

    summary = profile_of(cs_number.strip().upper(), return_year=return_year, lake=lake)
    stands_out = summary["stands_out"]
    lines = [
        f"{summary['cs_number']} ({summary['return_year']} return): {summary['profile']}",
        "Stands out on: " + ("; ".join(stands_out) if stands_out else "nothing"),
        *[
            f"  {name}: {_figure(summary['figures'][name])}, {flag.lower()}"
            for name, flag in summary["flags"].items()
        ],
    ]
    return CommandResult(summary, lines)


@cli.command("publish-statistics", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@return_year_option("the latest whose collection window has closed")
@lake_option
@common_options
def publish_statistics(return_year: int | None, lake: str | None, as_json: bool, verbose: bool):
    """Publish a year's staff vacancy statistics: tables (CSV and spreadsheet) and the bulletin."""
    quiet_third_party_noise()
    from flows.publish_return_statistics import publish_return_statistics

    summary = publish_return_statistics(return_year=return_year, lake=lake)
    headline = summary["headline"]
    lines = [
        f"Staff vacancy statistics {summary['return_year']} {summary['outcome']}: {summary['folder']}",
        f"{headline['percent_with_vacancies']}% of {headline['services']:,} services (childminders aside) "
        f"had vacancies; WTE vacancy rate {headline['vacancy_rate']}%",
        "Return years in the trend: " + ", ".join(str(y) for y in summary["trend_years"]),
        f"Listed on the catalogue page: {summary['catalogue']}",
        *[
            f"Table {name}: {t['primary']} cells suppressed, {t['secondary']} more to protect them"
            for name, t in summary["suppressed"].items()
        ],
    ]
    return CommandResult(summary, lines)


@cli.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    metavar="XLSX",
    help="Where to write the workbook (missing folders are created).",
)
@date_option("--as-at", help="Edition date (default: the date in the file name, if it holds one).")
@common_options
def workbook(csv_path: Path, output: Path, as_at: dt.date | None, as_json: bool, verbose: bool):
    """Build the Datastore Excel workbook (data, pivot tables, definitions) from a Datastore CSV."""
    from tasks.datastore.datastore_file import as_at_from_file_name, read_datastore_file
    from tasks.datastore.workbook import build_workbook
    from tasks.shared.lake import sha256_hex

    edition_date = as_at or as_at_from_file_name(csv_path.name)
    text, _ = read_datastore_file(csv_path)
    result = build_workbook(text, edition_date)
    output.parent.mkdir(parents=True, exist_ok=True)
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
    return CommandResult(summary, lines)


@cli.command("validate-datastore", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.argument("file", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False))
@date_option("--as-at", help="Edition date (default: inferred from the file's dates, else its name).")
@click.option(
    "--previous",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="OLDCSV",
    help="The previous edition: also run the checks across editions (by CSNumber, else by distribution).",
)
@common_options
def validate_datastore(
    file: Path, as_at: dt.date | None, previous: Path | None, as_json: bool, verbose: bool
):
    """Run the Datastore quality suites on a CSV: exit 1 if a critical expectation fails."""
    quiet_third_party_noise()
    from tasks.datastore.datastore_file import read_datastore_file
    from tasks.datastore.quality import edition_date_of
    from tasks.datastore.quality import validate_datastore as run_suites
    from tasks.shared.lake import sha256_hex
    from tasks.shared.quality.report import report_text

    text, notes = read_datastore_file(file)
    edition = edition_date_of(file.name, text, as_at)
    earlier, earlier_notes = read_datastore_file(previous) if previous else (None, [])
    earlier_date = edition_date_of(previous.name, earlier, None).as_at if previous else None
    report = run_suites(
        text,
        as_at=edition.as_at,
        previous=earlier,
        previous_as_at=earlier_date,
        require_all_columns=False,
        subject=file.name,
    )
    report.notes += [
        f"judged {file} (sha256 {sha256_hex(file.read_bytes())})",
        *notes,
        edition.how,
        f"compared with the previous edition {previous} ({earlier_date or 'date not known'})"
        if previous
        else "no --previous: the checks across editions were not run",
        *[f"previous edition: {note}" for note in earlier_notes],
    ]
    report.failures += [edition.disagreement] if edition.disagreement else []
    return CommandResult(report.to_dict(), report_text(report), EXIT_DONE if report.passed else EXIT_BLOCKED)


@cli.command("deploy", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@common_options
def deploy_command(as_json: bool, verbose: bool):
    """Register every deployment (prefect.yaml, with the schedules of the collection windows), the secrets
    and the alerts with the Prefect server PREFECT_API_URL names; run again after any change."""
    from cli.deploy import deploy, deployments_summary

    report = deploy().as_dict()
    return CommandResult(report, [deployments_summary(report)])


@cli.command("write-suites", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@common_options
def write_suites(as_json: bool, verbose: bool):
    """Regenerate the dictionary-driven expectation suites under expectations/ (commit the result)."""
    from tasks.generated_suites import write_generated_suites

    written = write_generated_suites()
    return CommandResult(
        {name: str(path) for name, path in written.items()}, [f"Wrote {p}" for p in written.values()]
    )


def headline(error: BaseException) -> str:
    """The first line of an error's message: expected failures are written so that it says it all."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def report_failure(error: BaseException, code: int, as_json: bool, verbose: bool, hint: str = "") -> int:
    """One line on stderr (and one JSON object on stdout with --json); the traceback when it helps."""
    details = str(error).strip().splitlines()[1:]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "error": headline(error),
                    "exit_code": code,
                    "kind": type(error).__name__,
                    "details": details,
                },
                indent=2,
            )
        )
    click.echo(f"carestats: {headline(error)}" + (f" ({hint})" if hint else ""), err=True)
    if verbose and details:
        click.echo("\n".join(details), err=True)
    if verbose or code == EXIT_FAILED:
        traceback.print_exception(error, file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run one command and turn its outcome into output and a documented exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json, verbose = "--json" in argv, "--verbose" in argv or "-v" in argv
    try:
        result = cli.main(args=argv, prog_name="carestats", standalone_mode=False)
    except click.exceptions.Exit as done:  # --help, --version
        return done.exit_code
    except click.exceptions.NoArgsIsHelpError as bare:  # `carestats` alone: the help is the answer
        click.echo(bare.ctx.get_help())
        return EXIT_DONE
    except click.UsageError as usage:
        hint = f"see {usage.ctx.command_path if usage.ctx else 'carestats'} --help"
        return report_failure(
            click.UsageError(usage.format_message()), EXIT_BAD_INPUT, as_json, verbose, hint
        )
    except click.Abort:
        click.echo("carestats: interrupted", err=True)
        return EXIT_FAILED
    except QualityGateBlocked as blocked:
        return report_failure(blocked, EXIT_BLOCKED, as_json, verbose)
    except PartlyDone as partly:
        return report_failure(partly, EXIT_PARTLY_DONE, as_json, verbose)
    except (BadInputError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as bad:
        return report_failure(bad, EXIT_BAD_INPUT, as_json, verbose)
    except Exception as error:  # a bug or an outage: say so, with the traceback
        return report_failure(error, EXIT_FAILED, as_json, verbose)
    if not isinstance(result, CommandResult):  # the group alone, with no command
        return EXIT_DONE
    if as_json:
        click.echo(json.dumps(result.summary, indent=2, sort_keys=True, default=str))
    else:
        click.echo("\n".join(result.lines))
    return result.exit_code


def run() -> None:
    """The console script. Prefect's telemetry is off unless the environment says otherwise: set here, when
    a person runs the command, never as a side effect of importing carestats."""
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)
    sys.exit(main())
