"""The SSSC share's steps as Prefect tasks: read the current returns, build the share, deliver, log.

The pseudonym key is read inside the task that makes pseudonyms and nowhere else: it is never a task's
parameter, a result, a log line or an artifact.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from carestats.dictionary import load_dictionary
from carestats.policies import retry_transient_only
from carestats.settings import get_settings
from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake import open_lake, sha256_hex
from tasks.shared.lake_map import LATEST, MANIFEST, SsscDelivery
from tasks.shared.publication import publish_into, with_manifest
from tasks.shared.quality.results import QualityReport
from tasks.sssc.pseudonym import pseudonym_key
from tasks.sssc.share import Share, build_share, public_view
from tasks.sssc.validation import validate_share

ALWAYS_ENCRYPTED = "AES256"  # the SSSC's objects are encrypted even where the lake's setting is off


def delivery_target(lake_location: str) -> str:
    """Where deliveries go: CARESTATS_SSSC_TARGET, or deliveries/sssc in the lake."""
    return get_settings().sssc_target or f"{lake_location.rstrip('/')}/{SsscDelivery.DEFAULT_TARGET}"


@task(name="anonymise-staffing", task_run_name="anonymise-staffing-{return_year}", cache_policy=NO_CACHE)
def anonymise_staffing(
    returns: pd.DataFrame,
    register: pd.DataFrame,
    staff: pd.DataFrame,
    return_year: int,
    as_at: dt.date,
    k: int | None = None,
) -> Share:
    """The share's files: pseudonyms under the key (read here), coarsened attributes, rounded figures,
    protected tables, and the disclosure report of the linkage check against the Datastore of `as_at`.
    """
    dictionary = load_dictionary()
    public = public_view(register, staff, as_at)
    share = build_share(
        returns, register, public, pseudonym_key(), dictionary, return_year=return_year, as_at=as_at, k=k
    )
    report = share.report
    get_run_logger().info(
        "SSSC share %d: %d of %d services released (k=%d reached %d), %d left out, %d with WTE withheld",
        return_year,
        report["services"]["released"],
        report["services"]["with_a_current_return"],
        report["k_required"],
        report["k_reached"],
        report["services"]["left_out_too_rare"],
        report["services"]["wte_withheld"],
    )
    return share


@task(
    name="validate-sssc-share", task_run_name="validate-sssc-share-{share.return_year}", cache_policy=NO_CACHE
)
def validate(share: Share) -> QualityReport:
    """Every suite of the share, on exactly what would be delivered: the gate's input."""
    cells = {table.spec.name: table.cells for table in share.tables.protected}
    return validate_share(
        share.extract_text, cells, share.tables.audits, share.report, load_dictionary(), share.return_year
    )


@task(
    name="deliver-to-sssc",
    task_run_name="deliver-sssc-{return_year}",
    retries=4,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def deliver(target: str, return_year: int, files: dict[str, bytes], facts: dict) -> dict:
    """Publish the share as the next delivery of the year, manifest last and swapped in whole; or, when
    the latest delivery already holds these exact files, write nothing and say which delivery it was.

    Retried with backoff on transient storage errors only: a retry takes the same delivery number (the
    latest pointer moves only after a complete delivery) and the swap is all or nothing.
    """
    logger = get_run_logger()
    place = SsscDelivery(return_year)
    lake = open_lake(
        target, server_side_encryption=get_settings().s3_server_side_encryption or ALWAYS_ENCRYPTED
    )
    latest = _latest_delivery(lake, place)
    if latest is not None:
        number, manifest = latest
        if {name: entry["sha256"] for name, entry in manifest["files"].items()} == {
            name: sha256_hex(data) for name, data in files.items()
        }:
            folder = f"{place.area}/{place.delivery(number)}"
            logger.info(
                "Delivery %d of %d already holds these exact files: nothing sent", number, return_year
            )
            return _outcome(
                lake,
                place,
                number,
                "already delivered",
                manifest_bytes=lake.read_bytes(f"{folder}/{MANIFEST}"),
            )
    number = latest[0] + 1 if latest else 1
    published = with_manifest(files, {**facts, "delivery": number})
    publish_into(lake, place.area, place.delivery(number), published, logger)
    return _outcome(lake, place, number, "delivered", manifest_bytes=published[MANIFEST])


def _latest_delivery(lake, place: SsscDelivery) -> tuple[int, dict] | None:
    pointer = f"{place.area}/{LATEST}"
    if not lake.exists(pointer):
        return None
    name = json.loads(lake.read_bytes(pointer))["edition"]
    manifest = json.loads(lake.read_bytes(f"{place.area}/{name}/{MANIFEST}"))
    return int(manifest["delivery"]), manifest


def _outcome(lake, place: SsscDelivery, number: int, outcome: str, manifest_bytes: bytes) -> dict:
    manifest = json.loads(manifest_bytes)
    return {
        "return_year": place.return_year,
        "delivery": number,
        "outcome": outcome,
        "target": lake.uri(f"{place.area}/{place.delivery(number)}"),
        "manifest_sha256": sha256_hex(manifest_bytes),
        "files": {name: entry["sha256"] for name, entry in manifest["files"].items()},
    }


@task(
    name="log-sssc-delivery",
    task_run_name="log-sssc-delivery-{delivery[return_year]}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient_only,
    cache_policy=NO_CACHE,
)
def log_delivery(lake_location: str, delivery: dict) -> dict:
    """Add the delivery to the log in the lake: what went where, and when (one JSON line per run)."""
    from prefect.runtime import flow_run

    lake = open_lake(lake_location)
    entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "flow_run": flow_run.id,
        **delivery,
    }
    before = lake.read_bytes(SsscDelivery.LOG) if lake.exists(SsscDelivery.LOG) else b""
    lake.write_bytes(SsscDelivery.LOG, before + canonical_json(entry).replace(b"\n", b"") + b"\n")
    return entry


@task(name="report-sssc-share", task_run_name="report-sssc-share-{share.return_year}", cache_policy=NO_CACHE)
def report_share(share: Share, delivery: dict) -> None:
    """Say in the Prefect UI what was delivered and what disclosure control did."""
    report = share.report
    rows = [
        {"figure": "services with a current return", "value": report["services"]["with_a_current_return"]},
        {"figure": "services released", "value": report["services"]["released"]},
        {
            "figure": "services left out (too rare on every rung)",
            "value": report["services"]["left_out_too_rare"],
        },
        {"figure": "services with WTE withheld", "value": report["services"]["wte_withheld"]},
        {"figure": "k required / reached", "value": f"{report['k_required']} / {report['k_reached']}"},
        {
            "figure": "records matched to fewer than k named services",
            "value": report["linkage"]["matched_to_fewer_than_k"],
        },
        *[
            {
                "figure": f"{name}: cells suppressed (primary + secondary)",
                "value": f"{t['primary']} + {t['secondary']}",
            }
            for name, t in report["tables"].items()
        ],
    ]
    create_table_artifact(
        table=rows,
        key=f"sssc-disclosure-{share.return_year}",
        description=f"SSSC share {share.return_year}: disclosure control",
    )
    create_markdown_artifact(
        key=f"sssc-delivery-{share.return_year}",
        markdown=(
            f"# SSSC share {share.return_year}: delivery {delivery['delivery']} ({delivery['outcome']})\n\n"
            f"Target: `{delivery['target']}`\n\nManifest sha256: `{delivery['manifest_sha256']}`\n\n"
            + "\n".join(f"- `{name}` {sha[:12]}" for name, sha in delivery["files"].items())
        ),
        description=f"Where the SSSC share {share.return_year} went",
    )
