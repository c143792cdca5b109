"""Golden files: published bytes compared with committed ones, or rewritten on purpose, never silently.

With CARESTATS_UPDATE_GOLDEN set the files are rewritten and the test still fails, so that the diff is
reviewed and the suite rerun without it; CI (the CI variable set) refuses the update mode outright.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

UPDATE_GOLDEN = "CARESTATS_UPDATE_GOLDEN"
REWRITTEN = "golden files rewritten: review the diff and rerun without CARESTATS_UPDATE_GOLDEN"


def compare_or_update(
    files: Mapping[str, bytes], golden: Path, names: list[str], environ: Mapping[str, str]
) -> None:
    """Fail unless each named file's bytes equal the golden copy; in update mode, rewrite them and fail."""
    if environ.get(UPDATE_GOLDEN):
        if environ.get("CI"):
            raise AssertionError(f"{UPDATE_GOLDEN} is refused in CI: golden files are updated by a person")
        golden.mkdir(parents=True, exist_ok=True)
        for name in names:
            (golden / name).write_bytes(files[name])
        raise AssertionError(f"{REWRITTEN}: {', '.join(names)} in {golden}")
    for name in names:
        committed = golden / name
        assert committed.exists(), f"{committed} is missing: run once with {UPDATE_GOLDEN}=1 and review it"
        assert files[name] == committed.read_bytes(), f"{name} differs from {committed}"
