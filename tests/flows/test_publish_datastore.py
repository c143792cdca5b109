"""The monthly publication flow end to end on the Prefect test harness, on a folder and on S3."""

import datetime as dt
import hashlib
import json

import pytest

from carestats.dictionary import load_dictionary
from flows.publish_datastore import publish_monthly_datastore
from tasks.register.extract import ExtractError
from tasks.shared.lake import open_lake
from tasks.shared.lake_map import LATEST, MANIFEST, DatastoreEdition, RegisterExtract
from tasks.shared.published_text import read_published_csv
from tests.support.extracts import AUGUST, JULY, edition_files, land_two_extracts, service, write_extract

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def local_lake(tmp_path):
    lake = str(tmp_path / "lake")
    land_two_extracts(lake)
    return lake


def test_two_editions_publish_the_register_as_at_each_month_end(two_editions):
    local_lake, july, august = two_editions.lake, two_editions.july, two_editions.august
    assert (july["rows"], july["register_extract"], july["previous_edition"]) == (4, "2025-08-05", None)
    assert (august["rows"], august["register_extract"], august["previous_edition"]) == (
        4,
        "2025-09-04",
        "2025-07-31",
    )

    files = edition_files(local_lake, AUGUST)
    assert sorted(files) == sorted(august["files"])
    edition = read_published_csv(files["datastore_2025-08-31.csv"]).set_index("CSNumber")
    assert list(edition.index) == ["CS2002000001", "CS2005000002", "CS2011000003", "CS2025000005"]
    ashgrove = edition.loc["CS2002000001"]
    assert (ashgrove["KQ_Setting"], ashgrove["MinGrade"], ashgrove["MaxGrade"], ashgrove["GradeSpread"]) == (
        "3",
        "3",
        "4",
        "Mix",
    )
    assert (ashgrove["MinGrade_change"], ashgrove["Publication_of_Latest_Grading"]) == (
        "Decline",
        "25/08/2025",
    )
    assert ashgrove["Complaints_upheld_2526"] == "1" and ashgrove["Manager_Name"] == ""
    childminder = edition.loc["CS2011000003"]
    assert (childminder["Address_line_1"], childminder["Service_Postcode"], childminder["Service_town"]) == (
        "",
        "",
        "Perth",
    )
    assert edition.loc["CS2005000002", "Council_Area_Name"] == "City of Edinburgh"

    changes = read_published_csv(files["changes_2025-08-31.csv"])
    assert changes[["Change", "CSNumber", "Field", "Before", "After"]].values.tolist() == [
        ["Registered", "CS2025000005", "", "", ""],
        ["Cancelled", "CS2019000004", "", "", ""],
        ["Grades changed", "CS2002000001", "KQ_Setting", "5", "3"],
        ["Grades changed", "CS2002000001", "MinGrade", "4", "3"],
        ["Grades changed", "CS2002000001", "MaxGrade", "5", "4"],
        ["Grades changed", "CS2002000001", "MinGrade_change", "Same", "Decline"],
        ["Grades changed", "CS2002000001", "Publication_of_Latest_Grading", "01/02/2024", "25/08/2025"],
        ["Details changed", "CS2002000001", "Complaints_upheld_2526", "", "1"],
        ["Details changed", "CS2005000002", "ServiceName", "Birch Lodge", "Birch Lodge Care Home"],
    ]
    manifest = json.loads(files["manifest.json"])
    assert manifest["previous_edition"]["as_at"] == "2025-07-31"
    assert manifest["row_count"] == 4 and manifest["register_extract"]["extract_date"] == "2025-09-04"
    assert (
        manifest["files"]["datastore_2025-08-31.csv"]["sha256"]
        == hashlib.sha256(files["datastore_2025-08-31.csv"]).hexdigest()
    )
    assert (
        json.loads(open_lake(local_lake).read_bytes("publish/datastore/latest.json"))["edition"]
        == "2025-08-31"
    )


def workbook_task_state(flow_state) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_state.state_details.flow_run_id]))
        )
    return next(run.state.name for run in runs if run.name.startswith("render-workbook"))


def test_rerun_writes_the_same_bytes_and_nothing_new(two_editions):
    local_lake, first = two_editions.lake, two_editions.august
    before = edition_files(local_lake, AUGUST)
    again_state = publish_monthly_datastore(AUGUST, local_lake, return_state=True)
    again = again_state.result()
    assert again["files"] == first["files"] and not again["changed"]
    # The workbook, the costliest file, comes from the task cache on a rerun with the same inputs (its key
    # is the edition CSV's sha256, so an earlier identical build anywhere serves it too).
    assert workbook_task_state(again_state) == "Cached"
    assert edition_files(local_lake, AUGUST) == before
    # Rebuilding a past edition leaves the latest pointer on the newest edition.
    publish_monthly_datastore(JULY, local_lake)
    assert (
        json.loads(open_lake(local_lake).read_bytes("publish/datastore/latest.json"))["edition"]
        == "2025-08-31"
    )


def test_local_and_s3_lakes_publish_identical_files(two_editions, s3_bucket):
    land_two_extracts(s3_bucket)
    publish_monthly_datastore(JULY, s3_bucket)
    publish_monthly_datastore(AUGUST, s3_bucket)
    assert edition_files(s3_bucket, AUGUST) == edition_files(two_editions.lake, AUGUST)
    assert open_lake(s3_bucket).list_folders("publish/datastore") == ["2025-07-31", "2025-08-31"]


def test_a_bad_extract_is_quarantined_and_the_previous_edition_stays(local_lake):
    publish_monthly_datastore(JULY, local_lake)
    before = edition_files(local_lake, JULY)
    write_extract(local_lake, "2025-08-02", services=[service("CS2002000001", Council_Area_Name="Atlantis")])
    with pytest.raises(
        ExtractError,
        match=r"services.csv line 2, field Council_Area_Name: unknown council area \(value 'Atlantis'\)",
    ):
        publish_monthly_datastore(JULY, local_lake)
    store = open_lake(local_lake)
    problems = json.loads(store.read_bytes("quarantine/register/2025-08-02/problems.json"))
    assert problems["problems"][0]["line"] == 2
    assert store.read_bytes("quarantine/register/2025-08-02/services.csv") == store.read_bytes(
        "landing/register/2025-08-02/services.csv"
    )
    assert edition_files(local_lake, JULY) == before


def test_no_extract_after_the_edition_date_is_a_clear_error(local_lake):
    with pytest.raises(FileNotFoundError, match="no register extract taken after 2025-09-30"):
        publish_monthly_datastore(dt.date(2025, 9, 30), local_lake)


def test_the_run_tells_the_engineer_what_it_published(two_editions):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    local_lake = two_editions.lake
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["datastore-edition"])), limit=50
        )
    report = next(a.data for a in artifacts if f"{local_lake}/publish/datastore/2025-08-31" in a.data)
    assert "# Datastore edition 2025-08-31" in report and "**4 registered services**" in report
    assert "- Registered: 1 services" in report and "- Cancelled: 1 services" in report
    assert "- CS2025000005 Daisy Nursery" in report and "- CS2019000004 Cedar Court" in report
    assert (
        "| Care Home Service | 2 |" in report
        and "| Child Minding | 1 |" in report
        and "| Day Care of Children | 1 |" in report
    )


# Each edition's manifest against the bytes in the lake, never against itself.
EDITIONS = {"july": (JULY, dt.date(2025, 8, 5)), "august": (AUGUST, dt.date(2025, 9, 4))}


def sha256(data: bytes) -> str:
    """The hex sha256 of some bytes, computed here rather than taken from the product."""
    return hashlib.sha256(data).hexdigest()


def files_in(lake, folder: str) -> dict[str, bytes]:
    """Every file in a lake folder, by name, read back from the lake."""
    return {key.rsplit("/", 1)[1]: lake.read_bytes(key) for key in lake.list_keys(folder)}


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_manifest_lists_exactly_the_published_files_by_the_sha256_of_their_bytes(two_editions, edition):
    as_at, _ = EDITIONS[edition]
    place = DatastoreEdition(as_at)
    published = files_in(open_lake(two_editions.lake), place.folder)
    assert sorted(published) == sorted(
        [place.csv, place.definitions, place.changes, place.workbook, place.DATAPACKAGE, MANIFEST]
        + [f"{place.quality_report.stem}.json", f"{place.quality_report.stem}.html"]
    )
    manifest = json.loads(published[MANIFEST])
    assert manifest["files"] == {
        name: {"sha256": sha256(data), "bytes": len(data)}
        for name, data in published.items()
        if name != MANIFEST
    }
    summary = getattr(two_editions, edition)
    assert summary["files"] == {name: sha256(data) for name, data in sorted(published.items())}


def test_latest_names_the_newest_manifest_by_the_sha256_of_its_bytes(two_editions):
    lake = open_lake(two_editions.lake)
    latest = json.loads(lake.read_bytes(f"{DatastoreEdition.AREA}/{LATEST}"))
    newest = DatastoreEdition(AUGUST).folder
    assert latest == {
        "edition": AUGUST.isoformat(),
        "folder": newest,
        "manifest_sha256": sha256(lake.read_bytes(f"{newest}/{MANIFEST}")),
    }


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_manifest_names_the_landed_extract_files_by_the_sha256_of_their_bytes(two_editions, edition):
    as_at, extract_date = EDITIONS[edition]
    lake = open_lake(two_editions.lake)
    manifest = json.loads(lake.read_bytes(f"{DatastoreEdition(as_at).folder}/{MANIFEST}"))
    landed = files_in(lake, RegisterExtract(extract_date).folder)
    assert sorted(landed) == sorted(f"{table}.csv" for table in load_dictionary().extract_tables)
    assert manifest["register_extract"]["extract_date"] == extract_date.isoformat()
    assert manifest["register_extract"]["files_sha256"] == {
        name: sha256(data) for name, data in landed.items()
    }
