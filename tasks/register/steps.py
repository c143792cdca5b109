"""Prefect tasks for the register: find the extract an edition is built from, and load it.

Loading checks every value against the data dictionary (required, format, flags, unique keys) and
quarantines the extract on any problem, so there is no separate quality gate on the extract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from carestats.dictionary import load_dictionary
from carestats.policies import retry_transient_only
from tasks.register.extract import ExtractError, choose_extract, extract_of_month, parse_table
from tasks.shared.lake import Lake, dated_folders, open_lake, stream_sha256_hex
from tasks.shared.lake_map import RegisterExtract
from tasks.shared.quarantine import Problem, quarantine


@dataclass(frozen=True)
class ExtractRef:
    """An extract folder and the checksum of each of its files: what an edition is built from."""

    extract_date: dt.date
    files_sha256: tuple[tuple[str, str], ...]

    @property
    def simulated(self) -> bool:
        """Whether the simulator wrote this extract (it leaves its mark beside the tables; the register
        never does): every file made from it says so.
        """
        return any(name == RegisterExtract.SIMULATED for name, _ in self.files_sha256)

    @property
    def place(self) -> RegisterExtract:
        """Where this extract lives in the lake, and where its quarantine copy and report go."""
        return RegisterExtract(self.extract_date)

    def __str__(self) -> str:
        """The extract date and every file's checksum: a cache key that changes when any byte does."""
        return f"{self.extract_date}:" + ",".join(f"{name}={digest}" for name, digest in self.files_sha256)


@task(
    name="find-register-extract",
    task_run_name="find-register-extract-for-{as_at}",
    retries=3,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
)
def find_register_extract(lake_location: str, as_at: dt.date) -> ExtractRef:
    """The first extract taken after the edition date, with the sha256 of each of its files."""
    lake = open_lake(lake_location)
    extract = extract_ref(lake, choose_extract(dated_folders(lake.list_folders(RegisterExtract.AREA)), as_at))
    get_run_logger().info(
        "Edition %s uses the register extract of %s (%d files)",
        as_at,
        extract.extract_date,
        len(extract.files_sha256),
    )
    return extract


@task(
    name="find-month-extract",
    task_run_name="find-register-extract-of-{as_at}",
    retries=3,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def find_month_extract(lake_location: str, as_at: dt.date) -> ExtractRef:
    """The extract taken for the month ending `as_at` (see extract_of_month), with every file's sha256: what
    a backfill rebuilds that month's edition from and names its cache key by.
    """
    lake = open_lake(lake_location)
    return extract_ref(lake, extract_of_month(dated_folders(lake.list_folders(RegisterExtract.AREA)), as_at))


def extract_ref(lake: Lake, extract_date: dt.date) -> ExtractRef:
    """An extract folder with the sha256 of each of its files, read in chunks (a table can be a gigabyte)."""
    files = tuple(
        (key.rsplit("/", 1)[1], stream_sha256_hex(lake.open_read(key)))
        for key in lake.list_keys(RegisterExtract(extract_date).folder)
    )
    return ExtractRef(extract_date, files)


@task(
    name="load-register-extract",
    task_run_name="load-register-extract-{extract.extract_date}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,  # re-reading landed files is cheaper than persisting the whole register
)
def load_register_extract(lake_location: str, extract: ExtractRef) -> dict[str, pd.DataFrame]:
    """Every table, typed and normalised; a bad extract is quarantined whole with a report of its problems."""
    lake, dictionary, logger, place = (
        open_lake(lake_location),
        load_dictionary(),
        get_run_logger(),
        extract.place,
    )
    tables, problems = {}, []
    for name in dictionary.extract_tables:
        key = place.table(name)
        if not lake.exists(key):
            problems.append(Problem(key, None, None, None, "table missing from the extract"))
            continue
        decoded = parse_table(
            partial(lake.open_read, key), f"{name}.csv", dictionary.extract_table(name), dictionary
        )
        logger.info("%s.csv: %d rows, %s", name, len(decoded.frame), decoded.encoding)
        tables[name], problems = decoded.frame, problems + decoded.problems
    if problems:
        sources = {f"{name}.csv": place.table(name) for name in dictionary.extract_tables}
        where = quarantine(lake, place.quarantine, sources, problems, {"extract": str(extract)})
        logger.error("Register extract quarantined at %s", where)
        raise ExtractError(problems, where)
    return tables
