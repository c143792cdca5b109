"""The backfill stage of `make bench`: two years of simulated monthly extracts rebuilt, then rebuilt again;
and the long history it is made from: ten years of extracts simulated in the memory of one.

The first run builds every edition (several at once, as `carestats backfill` does); the second finds every
edition's inputs and code unchanged and skips it. The second run's seconds per edition are set against a
bare baseline doing the least any skip must do: list the extracts and hash every file of each (the inputs
an edition is named by). Each run is the `carestats backfill` command in a new process, against the
benchmark's Prefect server, with task results kept between the two runs as production keeps them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MONTHS = 24
END = dt.date(2025, 8, 31)
# Runs the command given as arguments and prints its peak resident memory in kB: a process of its own, so
# that the figure is that command's alone.
PEAK_OF_CHILD = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def month_range(end: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The first and last month ends of `months` months ending at `end`."""
    start = end
    for _ in range(months - 1):
        start = start.replace(day=1) - dt.timedelta(days=1)
    return start, end


def prepared_history(cache: Path, seed: int, scale: float, months: int) -> Path:
    """A lake holding only the simulated extracts of `months` month ends (simulated once, then cached)."""
    work = cache / f"seed{seed}-scale{scale:g}-history{months}"
    if not (work / "ready").exists():
        from simulation.landing import write_register_extracts

        shutil.rmtree(work, ignore_errors=True)
        write_register_extracts(
            str(work / "lake"), END, months, seed=seed, scale=scale, today=dt.date.today()
        )
        (work / "ready").write_text(f"{months} monthly extracts simulated\n")
    return work / "lake"


def _backfill(lake: Path, start: dt.date, end: dt.date, results: Path) -> tuple[float, dict]:
    """One `carestats backfill` in a new process: its wall seconds and its JSON summary."""
    import os

    environment = {
        **os.environ,
        "PREFECT_LOCAL_STORAGE_PATH": str(results),
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    environment.pop("PREFECT_TASKS_REFRESH_CACHE", None)
    command = [
        str(Path(sys.executable).with_name("carestats")),
        "backfill",
        "--from",
        str(start),
        "--to",
        str(end),
    ]
    started = time.perf_counter()
    completed = subprocess.run(
        [*command, "--lake", str(lake), "--json"], capture_output=True, text=True, env=environment, check=True
    )
    return time.perf_counter() - started, json.loads(completed.stdout)


def _bare_inputs_check(lake: Path) -> float:
    """The least a skip must do: list every extract folder and hash each of its files."""
    started = time.perf_counter()
    for path in sorted((lake / "landing" / "register").rglob("*")):
        if path.is_file():
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 24):
                    digest.update(chunk)
    return time.perf_counter() - started


def measure_backfill(cache: Path, seed: int, scale: float, months: int = MONTHS) -> dict:
    """Build `months` editions from a lake of extracts alone, then run the same backfill again."""
    history = prepared_history(cache, seed, scale, months)
    start, end = month_range(END, months)
    with tempfile.TemporaryDirectory(prefix="carestats-bench-backfill-") as scratch:
        lake, results = Path(scratch) / "lake", Path(scratch) / "results"
        shutil.copytree(history, lake)
        first_seconds, first = _backfill(lake, start, end, results)
        second_seconds, second = _backfill(lake, start, end, results)
        bare_seconds = _bare_inputs_check(lake)
    return {
        "stage": "backfill",
        "scale": scale,
        "months": months,
        "first_run_seconds": first_seconds,
        "first_run_counts": first["counts"],
        "second_run_seconds": second_seconds,
        "second_run_counts": second["counts"],
        "second_run_seconds_per_edition": second_seconds / months,
        "bare_inputs_check_seconds": bare_seconds,
        "ratio": second_seconds / bare_seconds,
    }


def measure_long_history(cache: Path, seed: int, scale: float) -> dict:
    """`carestats simulate` writing ten years of monthly extracts against one year: the peak memory of each
    (a new process each), which stays flat when every extract is rendered, written and let go in turn.
    """
    peaks = {}
    for months in (12, 120):
        with tempfile.TemporaryDirectory(prefix="carestats-bench-history-") as scratch:
            command = [
                str(Path(sys.executable).with_name("carestats")),
                *("simulate", "--until", str(END), "--months", str(months), "--scale", f"{scale:g}"),
                *("--seed", str(seed), "--lake", scratch, "--json"),
            ]
            started = time.perf_counter()
            completed = subprocess.run(
                [sys.executable, "-c", PEAK_OF_CHILD, *command], capture_output=True, text=True, check=True
            )
            peaks[months] = {
                "seconds": time.perf_counter() - started,
                "peak_rss_mb": int(completed.stdout.strip().splitlines()[-1]) / 1024,
            }
    return {
        "stage": "long_history",
        "scale": scale,
        "one_year": peaks[12],
        "ten_years": peaks[120],
        "memory_ratio": peaks[120]["peak_rss_mb"] / peaks[12]["peak_rss_mb"],
    }
