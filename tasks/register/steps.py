"""Prefect tasks for the register stage: find the extract for an edition and load it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import partial

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from carestats.dictionary import load_dictionary
from carestats.orchestration import retry_transient_only
from tasks.register.extract import (
    REGISTER_LANDING,
    ExtractError,
    Problem,
    choose_extract,
    parse_table,
)
from tasks.storage.lake import dated_folders, open_lake, stream_sha256_hex


@dataclass(frozen=True)
class ExtractRef:
    """An extract folder and the checksum of each of its files: what an edition is built from."""

    extract_date: dt.date
    files_sha256: tuple[tuple[str, str], ...]

    @property
    def folder(self) -> str:
        return f"{REGISTER_LANDING}/{self.extract_date.isoformat()}"

    def __str__(self) -> str:
        return f"{self.extract_date}:" + ",".join(f"{name}={digest}" for name, digest in self.files_sha256)


@task(name="find-register-extract", retries=3, retry_delay_seconds=10, retry_condition_fn=retry_transient_only)
def find_register_extract(lake_location: str, as_at: dt.date) -> ExtractRef:
    lake = open_lake(lake_location)
    chosen = choose_extract(dated_folders(lake.list_folders(REGISTER_LANDING)), as_at)
    folder = f"{REGISTER_LANDING}/{chosen.isoformat()}"
    files = tuple((key.rsplit("/", 1)[1], stream_sha256_hex(lake.open_read(key))) for key in lake.list_keys(folder))
    get_run_logger().info("Edition %s uses the register extract of %s (%d files)", as_at, chosen, len(files))
    return ExtractRef(chosen, files)


@task(
    name="load-register-extract",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,  # re-reading landed files is cheaper than persisting the whole register
)
def load_register_extract(lake_location: str, extract: ExtractRef) -> dict[str, pd.DataFrame]:
    """Every table, typed and normalised; a bad extract is quarantined whole with a report of its problems."""
    lake, dictionary, logger = open_lake(lake_location), load_dictionary(), get_run_logger()
    tables, problems = {}, []
    for name in dictionary.extract_tables:
        key = f"{extract.folder}/{name}.csv"
        if not lake.exists(key):
            raise ExtractError([Problem(key, None, None, None, "table missing from the extract")])
        decoded = parse_table(partial(lake.open_read, key), f"{name}.csv", dictionary.extract_table(name), dictionary)
        logger.info("%s.csv: %d rows, %s", name, len(decoded.frame), decoded.encoding)
        tables[name], problems = decoded.frame, problems + decoded.problems
    if problems:
        quarantine = f"quarantine/register/{extract.extract_date.isoformat()}"
        for name in dictionary.extract_tables:
            lake.write_bytes(f"{quarantine}/{name}.csv", lake.read_bytes(f"{extract.folder}/{name}.csv"))
        report = {"extract": str(extract), "problems": [p.__dict__ for p in problems]}
        lake.write_bytes(f"{quarantine}/problems.json", json.dumps(report, indent=2, default=str).encode())
        logger.error("Register extract quarantined at %s", lake.uri(quarantine))
        raise ExtractError(problems)
    return tables
