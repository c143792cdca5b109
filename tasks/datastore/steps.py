"""Prefect tasks for the Datastore stage: build an edition, render its files, tell the engineer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from carestats.dictionary import load_dictionary
from carestats.orchestration import retry_transient_only
from carestats.provenance import code_version
from tasks.datastore import render
from tasks.datastore.derive import assemble_edition
from tasks.disclosure.rules import apply_disclosure
from tasks.register.extract import as_text
from tasks.register.point_in_time import registered_on
from tasks.register.steps import ExtractRef
from tasks.storage.lake import MANIFEST_NAME, dated_folders, open_lake, sha256_hex

DATASTORE_PREFIX = "publish/datastore"


def edition_prefix(as_at: dt.date) -> str:
    return f"{DATASTORE_PREFIX}/{as_at.isoformat()}"


def edition_csv_name(as_at: dt.date) -> str:
    return f"datastore_{as_at.isoformat()}.csv"


@dataclass(frozen=True)
class Edition:
    as_at: dt.date
    frame: pd.DataFrame  # typed, disclosure rules applied, dictionary column order
    withheld_cells: dict[str, int]


@dataclass(frozen=True)
class PreviousEdition:
    as_at: dt.date
    text: pd.DataFrame
    csv_sha256: str


@dataclass(frozen=True)
class PreviousEditionRef:
    """What the run keeps of the previous edition once the changes are known: not its million rows."""

    as_at: dt.date
    csv_sha256: str
    rows: int


@dataclass(frozen=True)
class EditionFiles:
    as_at: dt.date
    text: pd.DataFrame  # the edition exactly as the CSV holds it
    files: dict[str, bytes]
    changes: pd.DataFrame
    change_counts: dict[str, int]
    previous: PreviousEditionRef | None  # the edition the changes are counted from
    withheld_cells: dict[str, int]  # cells the disclosure rules blanked, per column

    @property
    def csv_sha256(self) -> str:
        return sha256_hex(self.files[edition_csv_name(self.as_at)])

    def sha256_by_file(self) -> dict[str, str]:
        """Every file's sha256 as the manifest lists it (hashed once there, not again), and the manifest's own."""
        listed = json.loads(self.files[MANIFEST_NAME])["files"]
        digests = {name: entry["sha256"] for name, entry in listed.items()}
        digests[MANIFEST_NAME] = sha256_hex(self.files[MANIFEST_NAME])
        return dict(sorted(digests.items()))


@task(name="build-edition", cache_policy=NO_CACHE)
def build_edition(tables: dict[str, pd.DataFrame], as_at: dt.date) -> Edition:
    """Services registered on the edition date, with derived columns and disclosure rules applied."""
    dictionary = load_dictionary()
    services = as_text(registered_on(tables["services"], as_at))
    frame = assemble_edition(services, tables, as_at, dictionary)
    published, withheld = apply_disclosure(frame, dictionary.datastore_columns(as_at), dictionary)
    get_run_logger().info("Edition %s: %d services registered", as_at, len(published))
    return Edition(as_at, published, withheld)


@task(name="load-previous-edition", retries=3, retry_delay_seconds=10, retry_condition_fn=retry_transient_only, cache_policy=NO_CACHE)
def load_previous_edition(lake_location: str, as_at: dt.date) -> PreviousEdition | None:
    """The latest published edition before this one, as published text, to say what changed."""
    lake = open_lake(lake_location)
    earlier = [day for day in dated_folders(lake.list_folders(DATASTORE_PREFIX)) if day < as_at]
    for previous in reversed(earlier):
        key = f"{edition_prefix(previous)}/{edition_csv_name(previous)}"
        if lake.exists(key):
            data = lake.read_bytes(key)
            return PreviousEdition(previous, render.read_published_csv(data, key), sha256_hex(data))
    return None


@task(name="render-edition-files", cache_policy=NO_CACHE)
def render_edition_files(edition: Edition, previous: PreviousEdition | None) -> EditionFiles:
    """The edition's published files, all but the manifest (see with_manifest)."""
    columns = load_dictionary().datastore_columns(edition.as_at)
    text = render.published_text(edition.frame, columns)
    changes = render.changes_between(previous.text if previous else None, text)
    stamp = edition.as_at.isoformat()
    files = {
        edition_csv_name(edition.as_at): render.csv_bytes(text),
        f"definitions_{stamp}.csv": render.csv_bytes(render.definitions_frame(columns)),
        f"changes_{stamp}.csv": render.csv_bytes(changes),
    }
    reference = PreviousEditionRef(previous.as_at, previous.csv_sha256, len(previous.text)) if previous else None
    return EditionFiles(edition.as_at, text, files, changes, render.change_counts(changes), reference, edition.withheld_cells)


def with_manifest(rendered: EditionFiles, extract: ExtractRef, extra: dict[str, bytes]) -> EditionFiles:
    """The edition's files plus `extra` (the quality report) and, computed last, the manifest over them all."""
    files = {**rendered.files, **extra}
    files[MANIFEST_NAME] = render.manifest_bytes(
        as_at=rendered.as_at,
        extract_date=extract.extract_date,
        extract_files=dict(extract.files_sha256),
        code_version=code_version(),
        previous_edition=(
            {"as_at": rendered.previous.as_at.isoformat(), "csv_sha256": rendered.previous.csv_sha256} if rendered.previous else None
        ),
        row_count=len(rendered.text),
        rows_by_care_service=rows_by_care_service(rendered.text),
        changes=rendered.change_counts,
        withheld_cells=rendered.withheld_cells,
        files=files,
    )
    return dataclasses.replace(rendered, files=files)


def rows_by_care_service(frame: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in frame["CareService"].value_counts().sort_index().items()}


@task(name="report-edition", cache_policy=NO_CACHE)
def report_edition(rendered: EditionFiles, location: str, changed: bool) -> None:
    """A markdown artifact that tells an engineer in the Prefect UI what this run published."""
    counts, previous, as_at = rows_by_care_service(rendered.text), rendered.previous, rendered.as_at
    registered = rendered.changes.loc[rendered.changes["Change"] == "Registered"]
    cancelled = rendered.changes.loc[rendered.changes["Change"] == "Cancelled"]
    lines = [
        f"# Datastore edition {as_at}",
        "",
        f"**{len(rendered.text):,} registered services** published to `{location}`"
        + ("" if changed else " (identical to what was already published: nothing rewritten)."),
        "",
        f"Compared with the edition of {previous.as_at}: " if previous else "No previous edition to compare with.",
    ]
    if previous:
        lines += [f"- {kind}: {n:,} services" for kind, n in rendered.change_counts.items()]
    lines += ["", "| Care service | Services |", "|---|---:|"]
    lines += [f"| {name} | {n:,} |" for name, n in counts.items()]
    for title, frame in (("Registered since the previous edition", registered), ("Cancelled since the previous edition", cancelled)):
        if len(frame):
            lines += ["", f"## {title} ({len(frame):,})", ""]
            lines += [f"- {row.CSNumber} {row.ServiceName}" for row in frame.head(50).itertuples()]
            if len(frame) > 50:
                lines.append(f"- ... and {len(frame) - 50:,} more (see the changes file)")
    lines += ["", "## Files", "", "| File | Bytes | sha256 |", "|---|---:|---|"]
    lines += [f"| {name} | {len(rendered.files[name]):,} | `{digest}` |" for name, digest in rendered.sha256_by_file().items()]
    create_markdown_artifact(markdown="\n".join(lines), key="datastore-edition", description=f"Datastore {as_at}")
    create_table_artifact(
        table=[{"CareService": k, "services": v} for k, v in counts.items()],
        key="datastore-services-by-type",
        description=f"Services by care service, edition {as_at}",
    )
