"""Reading a published folder as its readers do: through its manifest, every file checked by sha256."""

from __future__ import annotations

import hashlib
import json

from tasks.shared.lake import Lake
from tasks.shared.lake_map import MANIFEST


class HalfPublished(AssertionError):
    """A manifest is live but a file it lists is missing or holds other bytes: a reader would get half."""


def read_through_manifest(lake: Lake, folder: str) -> dict[str, bytes] | None:
    """Every file the folder's manifest lists, by name (the manifest too), or None when there is no manifest
    (no publication there yet, or one being swapped in); HalfPublished when a listed file is not as listed.
    """
    try:
        manifest = lake.read_bytes(f"{folder}/{MANIFEST}")
    except FileNotFoundError:
        return None
    files = {MANIFEST: manifest}
    for name, listed in json.loads(manifest)["files"].items():
        try:
            data = lake.read_bytes(f"{folder}/{name}")
        except FileNotFoundError:
            raise HalfPublished(f"{folder}/{name} is listed in the live manifest but missing") from None
        if (hashlib.sha256(data).hexdigest(), len(data)) != (listed["sha256"], listed["bytes"]):
            raise HalfPublished(f"{folder}/{name} is not the bytes the live manifest names")
        files[name] = data
    return files
