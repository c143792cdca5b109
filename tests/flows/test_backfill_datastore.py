"""Backfill: every month end of a range rebuilt from its extract, several at once, to the bytes the monthly
run publishes; unchanged editions skipped; a month without an extract failing alone."""

import datetime as dt
import json
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client

from carestats.errors import PartlyDone
from flows.backfill_datastore import backfill_datastore
from flows.publish_datastore import publish_monthly_datastore
from tasks.datastore.backfill import month_ends_between
from tasks.shared.lake import open_lake
from tasks.shared.lake_map import LATEST, DatastoreEdition
from tests.support.datapackage import assert_valid_datapackage
from tests.support.extracts import edition_files, land_monthly_extracts

pytestmark = pytest.mark.usefixtures("prefect_harness")

MONTHS = month_ends_between(dt.date(2024, 12, 31), dt.date(2025, 4, 30))
JANUARY = dt.date(2025, 1, 31)
LANDED = [month for month in MONTHS if month != JANUARY]  # January's extract never landed


def backfill_table(flow_run_id) -> list[dict]:
    """The backfill's table artifact, as the Prefect UI shows it."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["datastore-backfill"]))
        )
    mine = [a for a in artifacts if a.flow_run_id == flow_run_id]
    return json.loads(mine[-1].data)


def test_a_backfill_rebuilds_the_monthly_editions_and_then_skips_what_did_not_change(tmp_path):
    sequential, concurrent = str(tmp_path / "sequential"), str(tmp_path / "concurrent")
    for lake in (sequential, concurrent):
        land_monthly_extracts(lake, LANDED)
    for month in LANDED:  # the monthly run, month after month
        publish_monthly_datastore(month, sequential, workbook=False)

    state = backfill_datastore(MONTHS[0], MONTHS[-1], concurrent, workbook=False, return_state=True)
    assert state.is_failed()
    with pytest.raises(PartlyDone, match=r"1 of 5 editions failed \(2025-01-31\)"):
        state.result()
    for month in LANDED:  # same bytes as the monthly run's, manifests included; each loads with its types
        assert edition_files(concurrent, month) == edition_files(sequential, month), month
        assert_valid_datapackage(Path(concurrent) / DatastoreEdition(month).folder)
    assert not open_lake(concurrent).exists(DatastoreEdition(JANUARY).folder + "/manifest.json")
    assert (
        json.loads(open_lake(concurrent).read_bytes(f"{DatastoreEdition.AREA}/{LATEST}"))["edition"]
        == "2025-04-30"
    )
    table = backfill_table(state.state_details.flow_run_id)
    assert [(row["as_at"], row["outcome"]) for row in table] == [
        ("2024-12-31", "built"),
        ("2025-01-31", "failed"),
        ("2025-02-28", "built"),
        ("2025-03-31", "built"),
        ("2025-04-30", "built"),
    ]
    assert "no register extract for the month ending 2025-01-31" in table[1]["detail"]

    rerun = backfill_datastore(dt.date(2025, 2, 28), MONTHS[-1], concurrent, workbook=False)
    assert [(m["as_at"], m["outcome"]) for m in rerun["months"]] == [
        ("2025-02-28", "skipped"),
        ("2025-03-31", "skipped"),
        ("2025-04-30", "skipped"),
    ]
    for month in LANDED:
        assert edition_files(concurrent, month) == edition_files(sequential, month), month

    # A changed extract is rebuilt; a missing edition is rebuilt even though its inputs are unchanged.
    land_monthly_extracts(concurrent, LANDED, renamed={dt.date(2025, 4, 30): "Ashgrove Court"})
    open_lake(concurrent).delete_folder(DatastoreEdition(dt.date(2025, 2, 28)).folder)
    changed = backfill_datastore(dt.date(2025, 2, 28), MONTHS[-1], concurrent, workbook=False)
    assert [(m["as_at"], m["outcome"]) for m in changed["months"]] == [
        ("2025-02-28", "built"),
        ("2025-03-31", "skipped"),
        ("2025-04-30", "built"),
    ]
    assert edition_files(concurrent, dt.date(2025, 2, 28)) == edition_files(sequential, dt.date(2025, 2, 28))
    assert b"Ashgrove Court" in edition_files(concurrent, dt.date(2025, 4, 30))["datastore_2025-04-30.csv"]
