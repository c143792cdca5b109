"""Expectation suites kept as JSON under expectations/: how an entry is written, read and regenerated.

Suites are plain GX 1.x suite JSON (type, kwargs, meta, severity) without GX's random ids. Each entry's
meta.id names it in reports, meta.column is the data column it judges, meta.reason says why it matters.
Suites generated from the data dictionary are written with sorted keys, so a regenerated suite is
byte-identical to the committed one and a test can hold the two together. Nothing here imports GX.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tasks.shared.canonical_json import canonical_json

EXPECTATIONS_DIR = Path(__file__).resolve().parents[3] / "expectations"


def expectation(
    kind: str, kwargs: dict[str, Any], *, id: str, column: str | None, severity: str = "critical", **meta: Any
) -> dict:
    """One expectation as suite JSON; meta.id names it in reports,
    meta.column is the data column it judges.
    """
    return {
        "type": kind,
        "kwargs": kwargs,
        "meta": {"id": id, "column": column, **meta},
        "severity": severity,
    }


def suite(name: str, expectations: list[dict], notes: str, **meta: Any) -> dict:
    """A whole suite as JSON: its name, what it is for, and its expectations in order."""
    return {"name": name, "notes": notes, "meta": meta, "expectations": expectations}


def suite_bytes(content: dict) -> bytes:
    """A suite as the bytes committed under expectations/."""
    return canonical_json(content)


def suite_path(name: str, folder: Path = EXPECTATIONS_DIR) -> Path:
    """Where a suite lives: expectations/<name>.json."""
    return folder / f"{name}.json"


def load_suite(name: str) -> dict:
    """A suite from expectations/, as JSON data."""
    return json.loads(suite_path(name).read_text(encoding="utf-8"))


def write_suites(suites: dict[str, bytes], folder: Path = EXPECTATIONS_DIR) -> dict[str, Path]:
    """Write generated suites (name -> bytes) under `folder`;
    the files to commit after a dictionary change.
    """
    written = {}
    for name, data in suites.items():
        path = suite_path(name, folder)
        path.write_bytes(data)
        written[name] = path
    return written
