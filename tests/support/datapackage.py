"""Checking a published edition's datapackage.json with frictionless, the Data Package standard's library."""

from __future__ import annotations

import json
from pathlib import Path

from frictionless import Report, validate

from tasks.shared.lake_map import DatastoreEdition


def datapackage_errors(report: Report) -> list[str]:
    """Every error of a frictionless report, one line each: the file, the row and field where it has
    them, the error's type and its message.
    """
    lines = [f"datapackage.json: [{e.type}] {e.message}" for e in report.errors]
    for task in report.tasks:
        for error in task.errors:
            where = [task.place or task.name]
            if getattr(error, "row_number", None) is not None:
                where.append(f"row {error.row_number}")
            if getattr(error, "field_name", None):
                where.append(f"field {error.field_name}")
            lines.append(f"{', '.join(where)}: [{error.type}] {error.message}")
    return lines


def assert_valid_datapackage(folder: Path) -> None:
    """A published edition folder's datapackage.json is a valid descriptor of every CSV in the folder, and
    every row of every file meets its schema, size and sha256; else an AssertionError lists every error.
    """
    descriptor = folder / DatastoreEdition.DATAPACKAGE
    if not descriptor.is_file():
        raise AssertionError(f"{folder} has no {DatastoreEdition.DATAPACKAGE}")
    described = {resource.get("path") for resource in json.loads(descriptor.read_bytes())["resources"]}
    problems = [
        f"{path.name}: in the folder but not a resource of {DatastoreEdition.DATAPACKAGE}"
        for path in sorted(folder.glob("*.csv"))
        if path.name not in described
    ]
    problems += datapackage_errors(validate(str(descriptor)))
    if problems:
        raise AssertionError(
            f"{descriptor}: {len(problems)} problem(s)\n" + "\n".join(f"  {line}" for line in problems)
        )
