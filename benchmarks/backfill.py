"""The backfill stage of `make bench`: two years of simulated monthly extracts rebuilt, then rebuilt again;
the long history it is made from: ten years of extracts simulated in the memory of one; and ten years
rebuilt on a local Dask cluster of one worker, then of two.

The first run builds every edition (several at once, as `carestats backfill` does); the second finds every
edition's inputs and code unchanged and skips it. The second run's seconds per edition are set against a
bare baseline doing the least any skip must do: list the extracts and hash every file of each (the inputs
an edition is named by). Each run is the `carestats backfill` command in a new process, against the
benchmark's Prefect server, with task results kept between the two runs as production keeps them.

The Dask measurement runs `carestats backfill` as production does with CARESTATS_BACKFILL_DASK_ADDRESS=local
and CARESTATS_BACKFILL_WORKERS at 1, then at 2, each into a lake of its own, and checks that both published
the same bytes.
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
DASK_MONTHS = 120  # ten years of month ends
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


def _backfill(
    lake: Path,
    start: dt.date,
    end: dt.date,
    results: Path,
    settings: dict[str, str] | None = None,
    workbook: bool = True,
) -> tuple[float, dict]:
    """One `carestats backfill` in a new process (with `settings`, CARESTATS_* variables, added to its
    environment): its wall seconds and its JSON summary."""
    import os

    environment = {
        **os.environ,
        "PREFECT_LOCAL_STORAGE_PATH": str(results),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        **(settings or {}),
    }
    environment.pop("PREFECT_TASKS_REFRESH_CACHE", None)
    command = [
        str(Path(sys.executable).with_name("carestats")),
        "backfill",
        "--from",
        str(start),
        "--to",
        str(end),
        *([] if workbook else ["--no-workbook"]),
    ]
    started = time.perf_counter()
    completed = subprocess.run(
        [*command, "--lake", str(lake), "--json"], capture_output=True, text=True, env=environment
    )
    if completed.returncode:
        raise RuntimeError(
            f"{' '.join(command)} exited {completed.returncode}:\n{completed.stderr[-4000:]}"
            f"{completed.stdout[-2000:]}"
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


def published_digests(lake: Path) -> dict[str, str]:
    """The sha256 of every file a backfill wrote to a lake (editions, manifests, latest.json, the catalogue,
    quality reports), by its path in the lake; the landed extracts left out."""
    digests = {}
    for path in sorted(lake.rglob("*")):
        if path.is_file() and path.relative_to(lake).parts[0] != "landing":
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 24):
                    digest.update(chunk)
            digests[str(path.relative_to(lake))] = digest.hexdigest()
    return digests


def measure_dask_scaling(cache: Path, seed: int, scale: float, months: int = DASK_MONTHS) -> dict:
    """`months` editions built from a lake of extracts alone on a local Dask cluster of one worker, then of
    two (`carestats backfill` with CARESTATS_BACKFILL_DASK_ADDRESS=local): the wall seconds of each, the
    speedup, and whether both published the same bytes (a difference is an error, not a figure).

    Without the workbooks: at 1x the workbook is most of an edition's time and would be measured instead.
    """
    history = prepared_history(cache, seed, scale, months)
    start, end = month_range(END, months)
    runs = {}
    with tempfile.TemporaryDirectory(prefix="carestats-bench-dask-") as scratch:
        for workers in (1, 2):
            lake, results = Path(scratch) / f"lake-{workers}", Path(scratch) / f"results-{workers}"
            shutil.copytree(history, lake)
            local_cluster = {
                "CARESTATS_BACKFILL_DASK_ADDRESS": "local",
                "CARESTATS_BACKFILL_WORKERS": f"{workers}",
            }
            seconds, summary = _backfill(lake, start, end, results, local_cluster, workbook=False)
            runs[workers] = {
                "seconds": seconds,
                "counts": summary["counts"],
                "files": published_digests(lake),
            }
            shutil.rmtree(lake)  # ten years of extracts and editions: one copy on disk at a time
    one, two = runs[1], runs[2]
    different = sorted(set(one["files"].items()) ^ set(two["files"].items()))
    if different:
        raise RuntimeError(
            f"one Dask worker and two published different files: {sorted({name for name, _ in different})}"
        )
    return {
        "stage": "dask_scaling",
        "scale": scale,
        "months": months,
        "workbook": False,
        "one_worker_seconds": one["seconds"],
        "two_workers_seconds": two["seconds"],
        "one_worker_counts": one["counts"],
        "two_workers_counts": two["counts"],
        "speedup": one["seconds"] / two["seconds"],
        "time_ratio": two["seconds"] / one["seconds"],
        "files": len(one["files"]),
        "identical": True,
    }
