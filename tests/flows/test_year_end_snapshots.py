"""Year-end snapshots: kept for good, changed only as a revision with a reason, every revision readable;
monthly editions kept as the retention setting says."""

import datetime as dt
import json
from pathlib import Path

import pytest

from carestats.errors import BadInputError
from flows.publish_datastore import publish_monthly_datastore
from tasks.shared.lake import open_lake, sha256_hex
from tasks.shared.lake_map import MANIFEST, Catalogue, DatastoreEdition
from tasks.shared.publication import ImmutablePublicationError
from tests.support.datapackage import assert_valid_datapackage
from tests.support.extracts import edition_files, land_monthly_extracts
from tests.support.published import read_through_manifest

pytestmark = pytest.mark.usefixtures("prefect_harness")

FEBRUARY, MARCH, APRIL = dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 30)
SNAPSHOT = DatastoreEdition(MARCH)


def folder_files(lake: str, folder: str) -> dict[str, bytes]:
    store = open_lake(lake)
    return {key[len(folder) + 1 :]: store.read_bytes(key) for key in store.list_keys(folder)}


def test_a_year_end_snapshot_is_kept_for_good_and_revised_only_with_a_reason(tmp_path, monkeypatch):
    lake = str(tmp_path / "lake")
    land_monthly_extracts(lake, [FEBRUARY, MARCH, APRIL])
    publish_monthly_datastore(FEBRUARY, lake, workbook=False)
    first = publish_monthly_datastore(MARCH, lake, workbook=False)
    assert first["year_end_snapshot"] == {"number": 1, "reason": None, "revises": None}
    original = edition_files(lake, MARCH)
    manifest = json.loads(original[MANIFEST])
    assert (manifest["year_end_snapshot"], manifest["revision"]["number"], manifest["simulated"]) == (
        True,
        1,
        False,
    )

    rerun = publish_monthly_datastore(MARCH, lake, workbook=False)
    assert not rerun["changed"] and edition_files(lake, MARCH) == original

    # The register is corrected after the event: the snapshot's inputs now give other bytes.
    land_monthly_extracts(lake, [FEBRUARY, MARCH, APRIL], renamed={MARCH: "Ashgrove House Care Home"})
    with pytest.raises(
        ImmutablePublicationError, match=r"kept for good \(revision 1\).*datastore_2025-03-31\.csv"
    ):
        publish_monthly_datastore(MARCH, lake, workbook=False)
    assert edition_files(lake, MARCH) == original
    with pytest.raises(BadInputError, match="needs a reason"):
        publish_monthly_datastore(MARCH, lake, workbook=False, revise=True)
    with pytest.raises(BadInputError, match="only year-end snapshots"):
        publish_monthly_datastore(FEBRUARY, lake, workbook=False, revise=True, reason="no")

    revised = publish_monthly_datastore(
        MARCH, lake, workbook=False, revise=True, reason="Service name corrected"
    )
    assert revised["changed"] and revised["year_end_snapshot"] == {
        "number": 2,
        "reason": "Service name corrected",
        "revises": {
            "number": 1,
            "folder": SNAPSHOT.revision(1),
            "manifest_sha256": sha256_hex(original[MANIFEST]),
        },
    }
    assert folder_files(lake, SNAPSHOT.revision(1)) == original  # the first revision, whole and unchanged
    assert read_through_manifest(open_lake(lake), SNAPSHOT.revision(1)) == original
    assert b"Ashgrove House Care Home" in edition_files(lake, MARCH)[SNAPSHOT.csv]
    again = publish_monthly_datastore(
        MARCH, lake, workbook=False, revise=True, reason="Service name corrected"
    )
    assert not again["changed"] and again["year_end_snapshot"]["number"] == 2

    catalogue = json.loads(open_lake(lake).read_bytes(Catalogue.key(Catalogue.JSON)))
    snapshot = next(e for e in catalogue["editions"] if e["as_at"] == "2025-03-31")
    assert snapshot["revision"] == {"number": 2, "reason": "Service name corrected"}
    assert [r["number"] for r in snapshot["earlier_revisions"]] == [1]
    assert snapshot["earlier_revisions"][0]["folder"] == "datastore/revisions/2025-03-31/revision-001"
    page = open_lake(lake).read_bytes(Catalogue.key(Catalogue.PAGE)).decode()
    assert "Service name corrected" in page and "revisions/2025-03-31/revision-001" in page

    # Retention: one monthly edition kept besides every year-end snapshot.
    monkeypatch.setenv("CARESTATS_KEEP_MONTHLY_EDITIONS", "1")
    april = publish_monthly_datastore(APRIL, lake, workbook=False)
    assert april["removed_by_retention"] == ["2025-02-28"]
    published = open_lake(lake).list_folders(DatastoreEdition.AREA)
    assert published == ["2025-03-31", "2025-04-30", "revisions"]
    for folder in (SNAPSHOT.folder, SNAPSHOT.revision(1), DatastoreEdition(APRIL).folder):
        assert_valid_datapackage(Path(lake) / folder)
