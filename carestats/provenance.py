"""Code version and cache keys: what a run's outputs depend on, stated explicitly.

Task cache keys are built from named parameters that are small and meaningful (an edition date, an
extract's checksums) plus the code version; DataFrames are never hashed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCE_FOLDERS = ("carestats", "flows", "tasks", "expectations")
SOURCE_SUFFIXES = {".py", ".yaml", ".json"}


@cache
def code_version() -> str:
    """Package version plus a digest of the code and dictionary that shape every output."""
    digest = hashlib.sha256()
    for folder in SOURCE_FOLDERS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return f"{version('carestats')}+{digest.hexdigest()[:12]}"


def cache_key_from(*parameter_names: str) -> Callable[[Any, dict[str, Any]], str]:
    """A Prefect cache_key_fn over the named parameters (their str()) and the code version."""

    def key(context: Any, parameters: dict[str, Any]) -> str:
        parts = [context.task.name, code_version(), *(f"{n}={parameters[n]}" for n in parameter_names)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    return key
