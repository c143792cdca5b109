"""Atomic publication with a manifest: what the Datastore, the catalogue and the SSSC delivery all use.

A publication is a folder of files plus manifest.json, which lists the sha256 and size of every file
beside the facts that say what the folder is (its date, its sources, the code version). The folder is
swapped in whole (see Lake.publish_folder), so readers see the old publication or the new one, never
half; publishing the same bytes again changes nothing. latest.json beside the folders names the newest.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from carestats.policies import retry_transient_only
from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake import Lake, PublishOutcome, open_lake, sha256_hex
from tasks.shared.lake_map import LATEST, MANIFEST


def with_manifest(files: dict[str, bytes], facts: dict[str, Any]) -> dict[str, bytes]:
    """The files plus manifest.json: `facts`, and the sha256 and size of every file, computed last."""
    listed = {name: {"sha256": sha256_hex(data), "bytes": len(data)} for name, data in sorted(files.items())}
    return {**files, MANIFEST: canonical_json({**facts, "files": listed})}


def sha256_by_file(files: dict[str, bytes]) -> dict[str, str]:
    """Every file's sha256 as the manifest lists it (hashed once there, not again), and the manifest's own."""
    digests = {name: entry["sha256"] for name, entry in json.loads(files[MANIFEST])["files"].items()}
    digests[MANIFEST] = sha256_hex(files[MANIFEST])
    return dict(sorted(digests.items()))


@task(
    name="publish-folder",
    task_run_name="publish-{area}/{name}",
    retries=3,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def publish_folder(lake_location: str, area: str, name: str, files: dict[str, bytes]) -> PublishOutcome:
    """Swap <area>/<name> in whole (or leave it, when it already holds these bytes);
    then point latest.json at it.

    Retried on transient storage errors only: a retry rewrites the staged files and swaps again, which is
    safe because the swap is all or nothing.
    """
    return publish_into(open_lake(lake_location), area, name, files, get_run_logger())


def publish_into(
    lake: Lake, area: str, name: str, files: dict[str, bytes], logger: logging.Logger | logging.LoggerAdapter
) -> PublishOutcome:
    """What publish_folder does, on a lake already open: the folder swapped in whole, then latest.json."""
    if MANIFEST not in files:
        raise ValueError(f"{area}/{name}: a publication needs its {MANIFEST} (see with_manifest)")
    outcome = lake.publish_folder(f"{area}/{name}", files)
    if not outcome.changed:
        logger.info("%s already holds these exact bytes: nothing rewritten", outcome.uri)
    else:
        logger.info("Published %d files to %s", len(files), outcome.uri)
        if outcome.superseded:
            logger.warning(
                "A different publication was replaced; its files were kept at %s", outcome.superseded
            )
    point_latest(lake, area, name, sha256_hex(files[MANIFEST]))
    return outcome


def point_latest(lake: Lake, area: str, name: str, manifest_sha256: str) -> bool:
    """Move <area>/latest.json to this publication unless a later one is already live."""
    key = f"{area}/{LATEST}"
    if lake.exists(key) and json.loads(lake.read_bytes(key))["edition"] > name:
        return False
    lake.write_bytes(
        key, canonical_json({"edition": name, "folder": f"{area}/{name}", "manifest_sha256": manifest_sha256})
    )
    return True
