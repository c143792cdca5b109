"""Prefect tasks for the storage stage: publish a folder atomically, keep the pointer to the latest edition."""

from __future__ import annotations

import json

from prefect import get_run_logger, task

from carestats.orchestration import retry_transient_only

from tasks.storage.lake import PublishOutcome, open_lake


@task(name="publish-folder", retries=3, retry_delay_seconds=10, retry_condition_fn=retry_transient_only)
def publish_folder(lake_location: str, prefix: str, files: dict[str, bytes]) -> PublishOutcome:
    outcome = open_lake(lake_location).publish_folder(prefix, files)
    logger = get_run_logger()
    if not outcome.changed:
        logger.info("%s already holds these exact bytes: nothing rewritten", outcome.uri)
    else:
        logger.info("Published %d files to %s", len(files), outcome.uri)
        if outcome.superseded:
            logger.warning("A different edition was replaced; its files were kept at %s", outcome.superseded)
    return outcome


@task(name="point-latest", retries=3, retry_delay_seconds=10, retry_condition_fn=retry_transient_only)
def point_latest(lake_location: str, folder: str, edition: str, manifest_sha256: str) -> bool:
    """Move <folder>/latest.json to this edition unless a later edition is already live."""
    lake = open_lake(lake_location)
    key = f"{folder}/latest.json"
    if lake.exists(key) and json.loads(lake.read_bytes(key))["edition"] > edition:
        return False
    pointer = {"edition": edition, "folder": f"{folder}/{edition}", "manifest_sha256": manifest_sha256}
    lake.write_bytes(key, (json.dumps(pointer, indent=2, sort_keys=True) + "\n").encode())
    return True
