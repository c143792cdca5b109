"""The Prefect task that rebuilds the public catalogue (index.html, catalogue.json) from the manifests.

Run after every publication: it reads only manifests (every live edition's, and every kept revision's),
never a data file, and writes the JSON before the page. Rebuilding from the same lake writes the same bytes.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from carestats.dictionary import load_dictionary
from carestats.policies import retry_transient_only
from tasks.catalogue.page import FoundManifest, catalogue_content, catalogue_files
from tasks.shared.lake import Lake, dated_folders, open_lake, sha256_hex
from tasks.shared.lake_map import MANIFEST, Catalogue, DatastoreEdition, ReturnStatistics

REVISION_FOLDER = re.compile(r"^revision-\d{3,}$")
LOGGER = logging.getLogger(__name__)


@task(
    name="rebuild-catalogue",
    retries=3,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def rebuild_catalogue(lake_location: str) -> dict[str, Any]:
    """Rewrite publish/catalogue.json and publish/index.html from the editions' manifests.

    Retried on transient storage errors only: a retry reads the manifests again and rewrites both files,
    which is safe because each write replaces a whole file and the same lake gives the same bytes.
    """
    logger = get_run_logger()
    summary = rebuild_catalogue_in(open_lake(lake_location), logger)
    logger.info(
        "Catalogue rebuilt: %d editions listed (%s), latest %s",
        len(summary["editions"]),
        ", ".join(summary["editions"]) or "none",
        summary["latest"],
    )
    return summary


def rebuild_catalogue_in(
    lake: Lake, logger: logging.Logger | logging.LoggerAdapter = LOGGER
) -> dict[str, Any]:
    """What rebuild_catalogue does, on a lake already open (for tests and code outside a flow).

    Returns where the page is, the keys written, the latest edition's date, the dates listed and the
    return years whose statistics are listed.
    """
    editions, revisions = found_manifests(lake, logger)
    statistics = found_statistics(lake, logger)
    content = catalogue_content(editions, revisions, load_dictionary(), statistics)
    files = catalogue_files(content)
    for name, data in files.items():  # the JSON first, then the page
        lake.write_bytes(Catalogue.key(name), data)
    return {
        "page": lake.uri(Catalogue.key(Catalogue.PAGE)),
        "keys": [Catalogue.key(name) for name in files],
        "latest": content["latest"],
        "editions": [edition["as_at"] for edition in content["editions"]],
        "statistics": [published["return_year"] for published in content["statistics"]],
    }


def found_manifests(
    lake: Lake, logger: logging.Logger | logging.LoggerAdapter = LOGGER
) -> tuple[list[FoundManifest], list[FoundManifest]]:
    """Every live edition's manifest and every kept revision's, oldest first: what the catalogue lists.

    A folder without a manifest (being swapped in on S3 at this moment, or never completed) is left out
    with a warning: a manifest's presence is what makes a folder published.
    """
    editions = [
        DatastoreEdition(day).folder for day in dated_folders(lake.list_folders(DatastoreEdition.AREA))
    ]
    revisions = [
        f"{place.revisions}/{name}"
        for place in map(DatastoreEdition, dated_folders(lake.list_folders(DatastoreEdition.REVISIONS)))
        for name in lake.list_folders(place.revisions)
        if REVISION_FOLDER.match(name)
    ]
    found = {folder: _read_manifest(lake, folder, logger) for folder in editions + revisions}
    return (
        [found[folder] for folder in editions if found[folder]],
        [found[folder] for folder in revisions if found[folder]],
    )


def found_statistics(
    lake: Lake, logger: logging.Logger | logging.LoggerAdapter = LOGGER
) -> list[FoundManifest]:
    """Every return year's published statistics (its manifest), oldest first; a folder without one is left
    out with a warning, as an edition's is."""
    years = sorted(int(name) for name in lake.list_folders(ReturnStatistics.AREA) if name.isdigit())
    found = [_read_manifest(lake, ReturnStatistics(year).folder, logger) for year in years]
    return [manifest for manifest in found if manifest]


def _read_manifest(
    lake: Lake, folder: str, logger: logging.Logger | logging.LoggerAdapter
) -> FoundManifest | None:
    try:
        data = lake.read_bytes(f"{folder}/{MANIFEST}")
    except FileNotFoundError:
        logger.warning("%s has no %s: not listed in the catalogue", lake.uri(folder), MANIFEST)
        return None
    return FoundManifest(folder, json.loads(data), sha256_hex(data))
