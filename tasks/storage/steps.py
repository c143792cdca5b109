"""Prefect task for the storage stage: publish an edition atomically and keep the pointer to the latest one."""

from __future__ import annotations

import json

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from carestats.orchestration import retry_transient_only
from tasks.storage.lake import MANIFEST_NAME, Lake, PublishOutcome, open_lake, sha256_hex


@task(name="publish-edition", retries=3, retry_delay_seconds=10, retry_condition_fn=retry_transient_only, cache_policy=NO_CACHE)
def publish_edition(lake_location: str, folder: str, edition: str, files: dict[str, bytes]) -> PublishOutcome:
    """Swap <folder>/<edition> in whole (or leave it, when it already holds these bytes); then point latest.json at it."""
    lake, logger = open_lake(lake_location), get_run_logger()
    outcome = lake.publish_folder(f"{folder}/{edition}", files)
    if not outcome.changed:
        logger.info("%s already holds these exact bytes: nothing rewritten", outcome.uri)
    else:
        logger.info("Published %d files to %s", len(files), outcome.uri)
        if outcome.superseded:
            logger.warning("A different edition was replaced; its files were kept at %s", outcome.superseded)
    point_latest(lake, folder, edition, sha256_hex(files[MANIFEST_NAME]))
    return outcome


def point_latest(lake: Lake, folder: str, edition: str, manifest_sha256: str) -> bool:
    """Move <folder>/latest.json to this edition unless a later edition is already live."""
    key = f"{folder}/latest.json"
    if lake.exists(key) and json.loads(lake.read_bytes(key))["edition"] > edition:
        return False
    pointer = {"edition": edition, "folder": f"{folder}/{edition}", "manifest_sha256": manifest_sha256}
    lake.write_bytes(key, (json.dumps(pointer, indent=2, sort_keys=True) + "\n").encode())
    return True
