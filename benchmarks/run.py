"""`make bench`: wall time and peak memory of carestats against a bare baseline, at 1x, 10x and 100x.

Each measurement runs in its own process (benchmarks.probe); carestats and the baseline alternate,
several repetitions, and the report gives medians and the ratio carestats / baseline. Prefect's
start-up is reported on its own line. Data is simulated once per scale and cached outside the repo.
The annual-returns stage ingests a year of simulated exports (--returns-scales, 1x and 10x by default).

    python -m benchmarks.run [--quick] [--scales 1,10,100] [--returns-scales 1,10] [--backfill-scales 1]
        [--backfill-months 24] [--history-scales 1] [--dask-scales 1] [--dask-months 120] [--repetitions N]
        [--out docs]

The returns stage alone: --scales '' --workbook-scales '' --backfill-scales '' --history-scales ''
--dask-scales '' --returns-scales 1,10 --out DIR. The backfill of two years (--backfill-scales, 1x by
default), simulating ten years of extracts (--history-scales) and the ten-year backfill on a local Dask
cluster of one worker, then two (--dask-scales, --dask-months) are left out of --quick.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.backfill import DASK_MONTHS, measure_backfill, measure_dask_scaling, measure_long_history
from benchmarks.backfill import MONTHS as BACKFILL_MONTHS
from benchmarks.startup import measure_startup

SEED = 2025
EDITION = dt.date(2025, 8, 31)
PREVIOUS_EDITION = dt.date(2025, 7, 31)
REPETITIONS = {1.0: 5, 10.0: 2, 100.0: 1}  # short runs on 2 shared cores are noisy: more of them
RETURN_YEAR = 2026  # the annual-returns stage: this year's exports, landed as they stood on RETURNS_AS_AT
RETURNS_AS_AT = dt.date(2026, 3, 31)  # after the window closed: the whole year of exports
RETURNS_REPETITIONS = {1.0: 3, 10.0: 1}


@dataclass(frozen=True)
class Target:
    """A target from the benchmark issue: `measure` of the results must be at most `limit`."""

    name: str
    limit: float
    unit: str
    measure: str


TARGETS = [
    Target("Publication at 1x: carestats / bare", 1.5, "x", "publication:1.0:ratio"),
    Target("Publication at 100x: carestats / bare", 1.2, "x", "publication:100.0:ratio"),
    Target("Publication growth, 10x services: time(10x) / time(1x)", 12.0, "x", "growth:10.0"),
    Target("Publication growth, 100x services: time(100x) / time(10x)", 12.0, "x", "growth:100.0"),
    Target("Peak memory of the publication at 100x", 4096.0, "MB", "publication:100.0:carestats_peak_rss_mb"),
    Target("Workbook at 1x: carestats / openpyxl bare data sheet", 2.0, "x", "workbook:1.0:ratio"),
    Target(
        "Validation at 1x, share of the publication run with the workbook", 0.25, "", "validation_share:1.0"
    ),
    Target("Start-up of carestats --help", 2.0, "s", "startup:carestats --help"),
    Target("Start-up of carestats workbook (3 rows)", 2.0, "s", "startup:carestats workbook (3 rows)"),
]
# Judged with TARGETS (listed apart, so TARGETS stays the publication issue's own list).
RETURNS_TARGETS = [
    Target("Annual returns at 1x: carestats / bare", 1.5, "x", "returns:1.0:ratio"),
    Target("Annual returns growth, 10x services: time(10x) / time(1x)", 12.0, "x", "returns_growth:10.0"),
]
BACKFILL_TARGETS = [
    Target(
        "Simulating ten years of extracts at 1x: peak memory / one year's",
        1.25,
        "x",
        "long_history:1.0:memory_ratio",
    ),
    Target(
        "Backfill at 1x, second run: seconds per unchanged edition",
        1.0,
        "s",
        "backfill:1.0:second_run_seconds_per_edition",
    ),
    Target(
        "Backfill on Dask at 1x: seconds with two workers / with one",
        0.75,
        "x",
        "dask_scaling:1.0:time_ratio",
    ),
]


@dataclass
class Measurement:
    """Every run of one stage at one scale, carestats' and the baseline's, from which medians are taken."""

    stage: str
    scale: float
    carestats: list[dict] = field(default_factory=list)
    bare: list[dict] = field(default_factory=list)

    def median(self, implementation: str, key: str) -> float:
        """The median of one figure (seconds, peak memory) over one implementation's runs."""
        return statistics.median(run[key] for run in getattr(self, implementation))

    def summary(self) -> dict:
        """Medians and ratios of this stage and scale, as kept in benchmarks.json and shown in the report."""
        result = {
            "stage": self.stage,
            "scale": self.scale,
            "rows": self.carestats[0]["rows"],
            "repetitions": len(self.carestats),
            "carestats_seconds": self.median("carestats", "seconds"),
            "bare_seconds": self.median("bare", "seconds"),
            "carestats_peak_rss_mb": self.median("carestats", "peak_rss_mb"),
            "bare_peak_rss_mb": self.median("bare", "peak_rss_mb"),
        }
        result["ratio"] = result["carestats_seconds"] / result["bare_seconds"]
        result["memory_ratio"] = result["carestats_peak_rss_mb"] / result["bare_peak_rss_mb"]
        for key in ("prefect_startup_seconds", "import_seconds", "validation_seconds"):
            if key in self.carestats[0]:
                result[key] = self.median("carestats", key)
        if "rejected" in self.carestats[0]:  # the returns stage: rows each side rejected (the same data)
            result["carestats_rejected"] = self.carestats[0]["rejected"]
            result["bare_rejected"] = self.bare[0]["rejected"]
            result["files"] = self.carestats[0]["files"]
        if "tasks" in self.carestats[0]:
            names = self.carestats[0]["tasks"]
            result["task_seconds"] = {
                n: statistics.median(run["tasks"][n] for run in self.carestats) for n in names
            }
        return result


def cache_root() -> Path:
    """Where simulated data is cached between runs, outside the repo ($CARESTATS_BENCH_CACHE to move it)."""
    return Path(
        os.environ.get(
            "CARESTATS_BENCH_CACHE",
            Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "carestats" / "bench",
        )
    )


def prepared_data(scale: float) -> Path:
    """Simulated extracts for the edition and the month before, and that previous edition published
    (untimed)."""
    work = cache_root() / f"seed{SEED}-scale{scale:g}"
    ready = work / "ready"
    if not ready.exists():
        from flows.publish_datastore import publish_monthly_datastore
        from simulation.landing import write_register_extracts

        lake = str(work / "lake")  # prepared in this process: the set-up is not what is measured
        write_register_extracts(lake, EDITION, 2, seed=SEED, scale=scale)
        publish_monthly_datastore(as_at=PREVIOUS_EDITION, lake=lake, workbook=False)
        ready.write_text("simulated and previous edition published\n")
    return work


def prepared_returns(scale: float) -> Path:
    """A register extract after the year end and the year's annual-return exports (untimed); each
    measurement starts from these landed files with nothing ingested yet.

    Simulated in a child process: Linux keeps a process's peak memory across exec, so simulating here
    would set a floor under every probe's peak memory.
    """
    work = cache_root() / f"seed{SEED}-scale{scale:g}-returns{RETURN_YEAR}"
    if not (work / "ready").exists():
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from benchmarks.run import simulate_returns; simulate_returns({scale!r})",
            ],
            check=True,
        )
    return work


def simulate_returns(scale: float) -> None:
    """Write prepared_returns' landed files (run in its own process)."""
    from simulation.annual_returns import write_annual_return_exports
    from simulation.history import simulate_history
    from simulation.landing import write_register_extracts

    work = cache_root() / f"seed{SEED}-scale{scale:g}-returns{RETURN_YEAR}"
    lake = str(work / "lake")
    until = RETURNS_AS_AT.replace(day=1) - dt.timedelta(days=1)
    write_register_extracts(lake, until, 1, seed=SEED, scale=scale, today=RETURNS_AS_AT)
    history = simulate_history(seed=SEED, scale=scale)
    write_annual_return_exports(
        lake, RETURN_YEAR, seed=SEED, scale=scale, today=RETURNS_AS_AT, history=history
    )
    (work / "ready").write_text("register extract and annual-return exports simulated\n")


def wait_until_healthy(api: str, started: float, server: subprocess.Popen | None = None) -> None:
    """Wait for the Prefect server to answer; give up after three minutes or when its process has exited."""
    while True:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if (server is not None and server.poll() is not None) or time.perf_counter() - started > 180:
                raise RuntimeError(f"the Prefect server at {api} is not answering") from None
            time.sleep(0.25)


@contextlib.contextmanager
def prefect_server() -> Iterator[float]:
    """One Prefect server for the whole benchmark, as production runs flows; yields its start-up seconds.

    With PREFECT_API_URL set, the server already running there is used (and its start-up is not measured).
    """
    started = time.perf_counter()
    if os.environ.get("PREFECT_API_URL"):
        wait_until_healthy(os.environ["PREFECT_API_URL"], started)
        yield 0.0
        return
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    home = tempfile.mkdtemp(prefix="carestats-bench-prefect-")
    environment = {
        **os.environ,
        "PREFECT_HOME": home,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_until_healthy(api, started, server)
        os.environ["PREFECT_API_URL"] = api
        yield time.perf_counter() - started
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def probe(stage: str, implementation: str, work: Path) -> dict:
    """One measurement in a new process (benchmarks.probe), so that its peak memory is its own."""
    # Every repetition recomputes: a task cache hit would measure the cache, not the work.
    environment = {**os.environ, "PREFECT_TASKS_REFRESH_CACHE": "true", "PREFECT_LOGGING_LEVEL": "WARNING"}
    as_at = RETURNS_AS_AT if stage == "returns" else EDITION
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.probe", stage, implementation, str(work), as_at.isoformat()],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(stage: str, scale: float, repetitions: int, log: Path) -> Measurement:
    """Alternate the baseline and carestats at one scale, logging every run to `log` as it is taken."""
    work = prepared_returns(scale) if stage == "returns" else prepared_data(scale)
    measurement = Measurement(stage, scale)
    for repetition in range(repetitions):
        order = ("bare", "carestats") if repetition % 2 == 0 else ("carestats", "bare")
        for implementation in order:
            getattr(measurement, implementation).append(probe(stage, implementation, work))
            with log.open("a") as raw:  # every measurement is kept as it is taken
                raw.write(
                    json.dumps(
                        {
                            "stage": stage,
                            "scale": scale,
                            "implementation": implementation,
                            **getattr(measurement, implementation)[-1],
                        }
                    )
                    + "\n"
                )
            print(
                f"  {stage} {scale:g}x {implementation}: "
                f"{getattr(measurement, implementation)[-1]['seconds']:.2f} s",
                flush=True,
            )
    return measurement


def evaluate(summaries: list[dict], startup: list[dict] | None = None) -> list[dict]:
    """Each target with its measured value and whether it is met; targets not measured are left out."""
    by_key = {(s["stage"], s["scale"]): s for s in summaries}
    startup_seconds = {s["command"]: s["seconds"] for s in startup or []}
    publication = {s["scale"]: s["carestats_seconds"] for s in summaries if s["stage"] == "publication"}
    returns = {s["scale"]: s["carestats_seconds"] for s in summaries if s["stage"] == "returns"}
    results = []
    for target in TARGETS + RETURNS_TARGETS + BACKFILL_TARGETS:
        kind, *rest = target.measure.split(":")
        value = None
        if kind == "startup":
            value = startup_seconds.get(rest[0])
        elif kind in ("growth", "returns_growth"):
            times = publication if kind == "growth" else returns
            scale = float(rest[0])
            smaller = scale / 10
            if scale in times and smaller in times:
                value = times[scale] / times[smaller]
        elif kind == "validation_share":
            scale = float(rest[0])
            if ("publication", scale) in by_key and ("workbook", scale) in by_key:
                run = by_key[("publication", scale)]
                value = run["validation_seconds"] / (
                    run["carestats_seconds"]
                    + run["validation_seconds"]
                    + by_key[("workbook", scale)]["carestats_seconds"]
                )
        elif (kind, float(rest[0])) in by_key:
            value = by_key[(kind, float(rest[0]))][rest[1]]
        if value is not None:
            results.append(
                {
                    "target": target.name,
                    "limit": target.limit,
                    "unit": target.unit,
                    "value": value,
                    "met": value <= target.limit,
                }
            )
    return results


def machine() -> dict:
    """The machine the figures were measured on (cores, memory, Python), for the report to say so."""
    memory_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def markdown(
    summaries: list[dict],
    targets: list[dict],
    host: dict,
    findings: str,
    server_startup: float,
    bench_seconds: float,
    commands: list[dict] | None = None,
) -> str:
    """The text of benchmarks.md: the measurements, where the time goes, the targets, then the findings."""
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {host['cores']} cores and {host['memory_gb']} GB of memory, "
        f"Python {host['python']},"
        f" in {bench_seconds / 60:.1f} minutes with the simulated data already cached.",
        "Each figure is the median of alternating runs, each in its own process; seconds exclude imports.",
        "",
        "| stage | scale | rows | runs | carestats s | bare s | ratio | carestats peak MB | bare peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in (s for s in summaries if s["stage"] not in ("backfill", "long_history", "dask_scaling")):
        lines.append(
            f"| {s['stage']} | {s['scale']:g}x | {s['rows']:,} | {s['repetitions']} | "
            f"{s['carestats_seconds']:.2f} | {s['bare_seconds']:.2f} | {s['ratio']:.2f} | "
            f"{s['carestats_peak_rss_mb']:.0f} | {s['bare_peak_rss_mb']:.0f} |"
        )
    publication = [s for s in summaries if s["stage"] == "publication"]
    if publication:
        startup = statistics.median(s["prefect_startup_seconds"] for s in publication)
        imports = statistics.median(s["import_seconds"] for s in publication)
        lines += [
            "",
            "Start-up, not in the ratios: the Prefect server "
            + (
                f"(started once, as in production) {server_startup:.2f} s; "
                if server_startup
                else "(already running, not measured); "
            )
            + f"a flow process's first contact with it {startup:.2f} s; importing the flow with Prefect and "
            f"Great Expectations {imports:.2f} s (the bare baseline imports pandas only). "
            "Prefect's flow heartbeat, on in deployments, adds a fixed ~1 s when each run ends; "
            "the probe turns it off, as the test harness does.",
            "",
            "Validation (the Great Expectations gates on the register extract and on the edition) "
            "is its own stage:"
            " publication seconds above exclude it.",
            "",
            "| scale | validation s | share of the publication run | share with the workbook |",
            "|---:|---:|---:|---:|",
        ]
        workbook = {s["scale"]: s["carestats_seconds"] for s in summaries if s["stage"] == "workbook"}
        for s in publication:
            run = s["carestats_seconds"] + s["validation_seconds"]
            with_workbook = (
                f"{s['validation_seconds'] / (run + workbook[s['scale']]):.0%}"
                if s["scale"] in workbook
                else "n/a"
            )
            lines.append(
                f"| {s['scale']:g}x | {s['validation_seconds']:.2f} | "
                f"{s['validation_seconds'] / run:.0%} | {with_workbook} |"
            )
        lines += [
            "",
            "Where the carestats publication time goes (median seconds per task):",
            "",
            "| task | " + " | ".join(f"{s['scale']:g}x" for s in publication) + " |",
            "|---|" + "---:|" * len(publication),
        ]
        for task in publication[0]["task_seconds"]:
            lines.append(
                f"| {task} | "
                + " | ".join(f"{s['task_seconds'].get(task, 0):.2f}" for s in publication)
                + " |"
            )
    backfills = [s for s in summaries if s["stage"] == "backfill"]
    if backfills:
        lines += [
            "",
            "Backfill: `carestats backfill` over the months shown of simulated monthly extracts, from a lake "
            "holding the extracts alone (every edition built, with its workbook, several at once), then "
            "the same command again (every edition's inputs and code unchanged: skipped). The bare "
            "baseline of the second run lists the extracts and hashes every file, the least any skip "
            "must do.",
            "",
            "| scale | months | first run s | second run s | per edition s | bare inputs check s | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {s['scale']:g}x | {s['months']} | {s['first_run_seconds']:.1f} | "
            f"{s['second_run_seconds']:.1f} | {s['second_run_seconds_per_edition']:.2f} | "
            f"{s['bare_inputs_check_seconds']:.2f} | {s['ratio']:.1f} |"
            for s in backfills
        ]
        lines += [
            f"\nThe extracts it is made from: `carestats simulate --months 120` at {s['scale']:g}x peaks at "
            f"{s['ten_years']['peak_rss_mb']:.0f} MB in {s['ten_years']['seconds']:.0f} s, against "
            f"{s['one_year']['peak_rss_mb']:.0f} MB in {s['one_year']['seconds']:.0f} s for `--months 12` "
            f"({s['memory_ratio']:.2f}x the memory for ten times the months)."
            for s in summaries
            if s["stage"] == "long_history"
        ]
    scaling = [s for s in summaries if s["stage"] == "dask_scaling"]
    if scaling:
        lines += [
            "",
            "Backfill on Dask: `carestats backfill` over the months shown of simulated monthly extracts, "
            "from a lake holding the extracts alone, with `CARESTATS_BACKFILL_DASK_ADDRESS=local`: a local "
            "Dask cluster of one worker process, then of two (`CARESTATS_BACKFILL_WORKERS`), each run into a "
            "lake of its own. Without the workbooks (`--no-workbook`): at 1x the workbook is most of an "
            "edition's time (the workbook stage above), so the figure would be the workbook's. Wall seconds "
            "of the whole command: Prefect and the cluster's start included. Both runs published the same "
            "bytes, every file compared (a difference stops the benchmark).",
            "",
            "| scale | months | 1 worker s | 2 workers s | speedup | 2 workers s per edition | files "
            "| same bytes |",
            "|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        lines += [
            f"| {s['scale']:g}x | {s['months']} | {s['one_worker_seconds']:.1f} | "
            f"{s['two_workers_seconds']:.1f} | {s['speedup']:.2f} | "
            f"{s['two_workers_seconds'] / s['months']:.2f} | {s['files']:,} | "
            f"{'yes' if s['identical'] else 'NO'} |"
            for s in scaling
        ]
    returns = [s for s in summaries if s["stage"] == "returns"]
    if returns:
        lines += [
            "",
            f"Annual returns: the {RETURN_YEAR} exports (CSV and XLSX) ingested end to end by the "
            "ingest-annual-returns flow (raw copies, GX row checks, accepted rows and quarantine per file, "
            "the curated store, compliance reports), each run from a lake with nothing ingested yet; the "
            "bare baseline reads the same files with pandas/openpyxl, makes the same checks and writes "
            "each file's accepted rows with pyarrow. Prefect's start-up is not in the ratio.",
            "",
            "| scale | files | rows | carestats quarantined | bare rejected |",
            "|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {s['scale']:g}x | {s['files']} | {s['rows']:,} | {s['carestats_rejected']:,} | "
            f"{s['bare_rejected']:,} |"
            for s in returns
        ]
    if commands:
        lines += [
            "",
            "Command start-up: each command as a person runs it, on a tiny input, median wall seconds of a"
            " new process, beside the bare interpreter (`python -c pass`):",
            "",
            "| command | seconds | bare s | ratio |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| `{s['command']}` | {s['seconds']:.2f} | {s['bare_seconds']:.2f} | {s['ratio']:.1f} |"
            for s in commands
        ]
    lines += ["", "## Targets", "", "| target | limit | measured | met |", "|---|---:|---:|---|"]
    lines += [
        (
            f"| {t['target']} | {t['limit']:g} {t['unit']} | {t['value']:.2f} {t['unit']} | "
            f"{'yes' if t['met'] else 'NO'} |"
        ).replace("  |", " |")
        for t in targets
    ]
    if findings:
        lines += ["", "## Findings", "", findings.strip()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: measure each scale (or only rewrite the report), then write the results and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 1x scale alone")
    parser.add_argument("--scales", default="1,10,100", help="comma-separated multiples of Scotland's size")
    parser.add_argument("--repetitions", type=int, help="override the repetitions per scale")
    parser.add_argument(
        "--workbook-scales", default="1", help="scales at which to benchmark the workbook ('' for none)"
    )
    parser.add_argument(
        "--returns-scales",
        default="1,10",
        help="scales at which to benchmark the annual-returns ingest ('' for none; --quick: 1 alone)",
    )
    parser.add_argument(
        "--backfill-scales",
        default="1",
        help="scales at which to benchmark a two-year backfill ('' for none)",
    )
    parser.add_argument(
        "--history-scales",
        default="1",
        help="scales at which to measure simulating ten years of extracts against one ('' for none)",
    )
    parser.add_argument(
        "--backfill-months", type=int, default=BACKFILL_MONTHS, help="month ends the backfill stage rebuilds"
    )
    parser.add_argument(
        "--dask-scales",
        default="1",
        help="scales at which to time a backfill on a local Dask cluster of 1 worker, then 2 ('' for none)",
    )
    parser.add_argument(
        "--dask-months", type=int, default=DASK_MONTHS, help="month ends the Dask backfill rebuilds"
    )
    parser.add_argument("--out", default="docs", help="folder for benchmarks.md and benchmarks.json")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite benchmarks.md from benchmarks.json and the findings",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        return write_report(Path(args.out), **json.loads((Path(args.out) / "benchmarks.json").read_text()))
    scales = [1.0] if args.quick else [float(s) for s in args.scales.split(",") if s]
    return_scales = [float(s) for s in args.returns_scales.split(",") if s]
    if args.quick:
        return_scales = [s for s in return_scales if s == 1.0]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "benchmarks-raw.jsonl"
    log.unlink(missing_ok=True)
    summaries, started = [], time.perf_counter()
    with prefect_server() as server_startup:
        startup = measure_startup(args.repetitions or 3) if scales else []
        for scale in scales:
            prepared_data(scale)  # simulated once per scale and cached, outside the timed runs
        for scale in return_scales:
            prepared_returns(scale)
        for scale in scales:
            repetitions = args.repetitions or REPETITIONS.get(scale, 3)
            summaries.append(measure("publication", scale, repetitions, log).summary())
            if f"{scale:g}" in args.workbook_scales.split(","):
                summaries.append(measure("workbook", scale, repetitions, log).summary())
        for scale in return_scales:
            repetitions = args.repetitions or RETURNS_REPETITIONS.get(scale, 3)
            summaries.append(measure("returns", scale, repetitions, log).summary())
        for scale in [] if args.quick else [float(s) for s in args.backfill_scales.split(",") if s]:
            summaries.append(measure_backfill(cache_root(), SEED, scale, args.backfill_months))
            print(f"  backfill {scale:g}x: {json.dumps(summaries[-1])}", flush=True)
        for scale in [] if args.quick else [float(s) for s in args.dask_scales.split(",") if s]:
            summaries.append(measure_dask_scaling(cache_root(), SEED, scale, args.dask_months))
            print(f"  backfill on Dask {scale:g}x: {json.dumps(summaries[-1])}", flush=True)
        for scale in [] if args.quick else [float(s) for s in args.history_scales.split(",") if s]:
            summaries.append(measure_long_history(cache_root(), SEED, scale))
            print(f"  long history {scale:g}x: {json.dumps(summaries[-1])}", flush=True)
    measured = {
        "machine": machine(),
        "prefect_server_startup_seconds": server_startup,
        "results": summaries,
        "bench_seconds": time.perf_counter() - started,
        "startup": startup,
    }
    (out / "benchmarks.json").write_text(
        json.dumps({**measured, "targets": evaluate(summaries, startup)}, indent=2) + "\n"
    )
    return write_report(out, **measured)


def write_report(
    out: Path,
    machine: dict,
    prefect_server_startup_seconds: float,
    results: list[dict],
    bench_seconds: float = 0.0,
    startup: list[dict] | None = None,
    **_: object,
) -> int:
    """benchmarks.md from the measurements and the hand-written findings (docs/benchmark-findings.md)."""
    findings_file = out / "benchmark-findings.md"
    findings = findings_file.read_text() if findings_file.exists() else ""
    report = markdown(
        results,
        evaluate(results, startup),
        machine,
        findings,
        prefect_server_startup_seconds,
        bench_seconds,
        startup,
    )
    (out / "benchmarks.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
