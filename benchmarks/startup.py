"""How long the `carestats` command takes to start its work, on inputs so small that start-up is all there is.

Each command runs as a person runs it (a new process through the console script), several times, and its
median wall time is set against a bare `python -c pass` (the interpreter alone). `--help` and `workbook`
import neither Prefect nor Great Expectations. `publish-datastore` is timed up to the moment its flow can
start: a new process importing the command and the flow it runs (Prefect included); Great Expectations
comes later, when the first quality gate runs.
"""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPETITIONS = 3
TINY_EDITION = dt.date(2025, 8, 31)


def _carestats(*arguments: str) -> list[str]:
    return [str(Path(sys.executable).with_name("carestats")), *arguments]


def _wall_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _tiny_edition(folder: Path) -> Path:
    """A three-row Datastore CSV with every published column: the workbook's work is next to nothing."""
    from carestats.dictionary import load_dictionary

    columns = load_dictionary().datastore_column_names(TINY_EDITION)
    rows = [
        {"CSNumber": f"CS20020000{n:02d}", "ServiceName": f"Service {n}", "CareService": "Care Home Service"}
        for n in range(3)
    ]
    lines = [",".join(columns), *(",".join(row.get(c, "") for c in columns) for row in rows)]
    path = folder / f"datastore_{TINY_EDITION.isoformat()}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure_startup(repetitions: int = REPETITIONS) -> list[dict]:
    """Median wall seconds of each command on a tiny input, beside the bare interpreter's."""
    with tempfile.TemporaryDirectory(prefix="carestats-startup-") as folder:
        csv = _tiny_edition(Path(folder))
        commands = {
            "carestats --help": _carestats("--help"),
            "carestats workbook (3 rows)": _carestats(
                "workbook", str(csv), "-o", str(Path(folder) / "tiny.xlsx")
            ),
            "carestats publish-datastore (until its flow starts)": [
                sys.executable,
                "-c",
                "import cli.main, flows.publish_datastore",
            ],
        }
        bare = statistics.median(_wall_seconds([sys.executable, "-c", "pass"]) for _ in range(repetitions))
        results = []
        for name, command in commands.items():
            seconds = statistics.median(_wall_seconds(command) for _ in range(repetitions))
            results.append(
                {"command": name, "seconds": seconds, "bare_seconds": bare, "ratio": seconds / bare}
            )
            print(f"  start-up {name}: {seconds:.2f} s", flush=True)
    return results
