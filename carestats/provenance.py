"""The code version: a digest of the code and dictionary that shape every output."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

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
