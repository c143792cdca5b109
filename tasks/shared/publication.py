"""Atomic publication with a manifest: what the Datastore, the catalogue and the SSSC delivery all use.

A publication is a folder of files plus manifest.json, which lists the sha256 and size of every file
beside the facts that say what the folder is (its date, its sources, the code version). The folder is
swapped in whole (see Lake.publish_folder), so readers see the old publication or the new one, never
half; publishing the same bytes again changes nothing. latest.json beside the folders names the newest.

A publication kept for good (a year-end snapshot) is never replaced silently: the same files again change
nothing, different files are refused unless published as a new revision with a reason, and the revision
it replaces is first copied whole, manifest included, to a folder of its own where it stays readable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from carestats.errors import BadInputError
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
    lake: Lake,
    area: str,
    name: str,
    files: dict[str, bytes],
    logger: logging.Logger | logging.LoggerAdapter,
    *,
    latest: bool = True,
) -> PublishOutcome:
    """What publish_folder does, on a lake already open: the folder swapped in whole, then latest.json
    (unless `latest` is False: a backfill publishing many folders at once points it once, at the end).
    """
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
    if latest:
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


class ImmutablePublicationError(BadInputError):
    """A publication kept for good would change: refused unless published as a revision with a reason."""


@dataclass(frozen=True)
class Revision:
    """Which revision of a publication kept for good this is, why it was made, and the one it replaces."""

    number: int
    reason: str | None = None
    revises: dict[str, Any] | None = None  # the replaced revision: its number, folder and manifest's sha256

    def facts(self) -> dict[str, Any]:
        """The revision as its manifest states it (and the catalogue reads it back)."""
        return {"number": self.number, "reason": self.reason, "revises": self.revises}


@dataclass(frozen=True)
class RevisionPlan:
    """What publishing a folder kept for good will do: a first or new revision, or nothing at all."""

    revision: Revision
    live_manifest: bytes | None = None  # set when the live folder already holds these files: kept as is

    @property
    def unchanged(self) -> bool:
        """True when the live folder already holds these files: nothing is published or archived."""
        return self.live_manifest is not None


def plan_revision(
    lake: Lake,
    folder: str,
    files: dict[str, bytes],
    archive: Callable[[int], str],
    revise: bool,
    reason: str | None,
) -> RevisionPlan:
    """Decide how `files` (manifest not yet made) may be published to a folder kept for good.

    Nothing published yet: revision 1 (a revision of nothing is refused). The live folder holds the same
    files (whatever its manifest's other facts, such as the code version): nothing changes, revising or
    not. Different files: refused, naming them, unless `revise`, which makes the next revision; the one it
    replaces will be kept at archive(number).
    """
    if revise and not (reason or "").strip():
        raise BadInputError("a revision needs a reason (--reason): the catalogue shows it to readers")
    if reason and not revise:
        raise BadInputError("a reason is for a revision: add --revise, or leave out --reason")
    key = f"{folder}/{MANIFEST}"
    if not lake.exists(key):
        if revise:
            raise BadInputError(f"{lake.uri(folder)} is not published yet: there is nothing to revise")
        return RevisionPlan(Revision(1))
    live_bytes = lake.read_bytes(key)
    live = json.loads(live_bytes)
    current = Revision(**(live.get("revision") or {"number": 1}))
    listed = {name: entry["sha256"] for name, entry in live["files"].items()}
    made = {name: sha256_hex(data) for name, data in files.items() if name != MANIFEST}
    differing = sorted(name for name in set(listed) | set(made) if listed.get(name) != made.get(name))
    if not differing:
        return RevisionPlan(current, live_bytes)
    if not revise:
        raise ImmutablePublicationError(
            f"{lake.uri(folder)} is kept for good (revision {current.number}), and these inputs give "
            f"different files ({', '.join(differing)}): publish them as a revision with "
            '--revise --reason "...", or leave it as it is'
        )
    replaced = {
        "number": current.number,
        "folder": archive(current.number),
        "manifest_sha256": sha256_hex(live_bytes),
    }
    return RevisionPlan(Revision(current.number + 1, reason.strip(), replaced))


def keep_replaced_revision(lake: Lake, folder: str, revision: Revision) -> None:
    """Copy the live folder, the revision about to be replaced, whole to its own folder, and check that the
    copy's manifest is the one the new revision says it replaces (the live folder did not change meanwhile).
    Copying the same files again (a rerun after a failure) changes nothing.
    """
    replaced = revision.revises
    if replaced is None:
        return
    live = {key[len(folder) + 1 :]: lake.read_bytes(key) for key in lake.list_keys(folder)}
    if sha256_hex(live.get(MANIFEST, b"")) != replaced["manifest_sha256"]:
        raise ImmutablePublicationError(
            f"{lake.uri(folder)} changed while revision {revision.number} was being made: run it again"
        )
    lake.publish_folder(replaced["folder"], live)
