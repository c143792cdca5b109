"""One recipe for the JSON files carestats writes, so that the same content is always the same bytes.

Manifests, quality reports, quarantine notes, suites and pointers are compared byte for byte (a rerun
must change nothing), so they are all written here: keys sorted, two-space indent, UTF-8 text as it is,
one newline at the end. Dates and other values JSON lacks are written as their text.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """The value as canonical JSON bytes: the same content gives the same bytes on every run."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode(
        "utf-8"
    )
