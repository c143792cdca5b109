"""A publication is its files plus a manifest naming each file's sha256, swapped in whole or not at all."""

import hashlib
import json

import pytest

from carestats.errors import BadInputError
from tasks.shared.lake import open_lake
from tasks.shared.publication import (
    ImmutablePublicationError,
    Revision,
    keep_replaced_revision,
    plan_revision,
    publish_folder,
    sha256_by_file,
    with_manifest,
)


def test_the_manifest_lists_every_file_with_its_sha256_and_size_beside_the_facts():
    files = with_manifest({"b.csv": b"x,y\n", "a.json": b"{}"}, {"as_at": "2025-08-31", "rows": 1})
    manifest = json.loads(files["manifest.json"])
    assert manifest == {
        "as_at": "2025-08-31",
        "rows": 1,
        "files": {
            "a.json": {"sha256": hashlib.sha256(b"{}").hexdigest(), "bytes": 2},
            "b.csv": {"sha256": hashlib.sha256(b"x,y\n").hexdigest(), "bytes": 4},
        },
    }
    assert (
        files["manifest.json"]
        == with_manifest({"a.json": b"{}", "b.csv": b"x,y\n"}, {"rows": 1, "as_at": "2025-08-31"})[
            "manifest.json"
        ]
    )  # canonical bytes whatever the order things were given in
    assert sha256_by_file(files) == {
        name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())
    }


@pytest.mark.usefixtures("prefect_harness")
def test_publishing_without_a_manifest_is_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(ValueError, match="needs its manifest.json"):
        publish_folder(str(tmp_path), "publish/things", "2025-08-31", {"a.csv": b"1\n"})
    assert not (tmp_path / "publish").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_latest_points_at_the_newest_publication_only(tmp_path):
    lake = str(tmp_path)
    for name in ("2025-08-31", "2025-07-31"):
        publish_folder(lake, "publish/things", name, with_manifest({"a.csv": name.encode()}, {"as_at": name}))
    latest = json.loads(open_lake(lake).read_bytes("publish/things/latest.json"))
    newest = (tmp_path / "publish" / "things" / "2025-08-31" / "manifest.json").read_bytes()
    assert latest == {
        "edition": "2025-08-31",
        "folder": "publish/things/2025-08-31",
        "manifest_sha256": hashlib.sha256(newest).hexdigest(),
    }


FOLDER = "publish/things/2025-03-31"


def archive(number: int) -> str:
    return f"publish/things/revisions/2025-03-31/revision-{number:03d}"


def publish_planned(lake, files: dict[str, bytes], plan) -> dict[str, bytes]:
    """What a flow does with a plan: the manifest (kept when unchanged), the old revision kept, the swap."""
    published = (
        {**files, "manifest.json": plan.live_manifest}
        if plan.unchanged
        else with_manifest(files, {"code_version": "x", "revision": plan.revision.facts()})
    )
    keep_replaced_revision(lake, FOLDER, plan.revision)
    lake.publish_folder(FOLDER, published)
    return published


@pytest.fixture(params=["folder", "s3"])
def any_lake(request, tmp_path):
    """The same guarantees on a folder and on S3 over HTTP (moto's server)."""
    if request.param == "s3":
        return open_lake(request.getfixturevalue("s3_bucket"))
    return open_lake(str(tmp_path))


def test_a_kept_publication_changes_only_as_a_new_revision_and_the_replaced_one_stays_whole(any_lake):
    lake = any_lake
    first = publish_planned(
        lake, {"a.csv": b"1\n"}, plan_revision(lake, FOLDER, {"a.csv": b"1\n"}, archive, False, None)
    )
    assert json.loads(first["manifest.json"])["revision"] == {"number": 1, "reason": None, "revises": None}

    again = plan_revision(lake, FOLDER, {"a.csv": b"1\n"}, archive, False, None)
    assert again.unchanged and again.live_manifest == first["manifest.json"]
    assert plan_revision(lake, FOLDER, {"a.csv": b"1\n"}, archive, True, "asked twice").unchanged

    with pytest.raises(ImmutablePublicationError, match=r"kept for good \(revision 1\).*\(a\.csv, b\.csv\)"):
        plan_revision(lake, FOLDER, {"a.csv": b"2\n", "b.csv": b""}, archive, False, None)
    assert lake.read_bytes(f"{FOLDER}/a.csv") == b"1\n"

    plan = plan_revision(lake, FOLDER, {"a.csv": b"2\n"}, archive, True, "  Corrected places  ")
    assert plan.revision == Revision(
        2,
        "Corrected places",
        {
            "number": 1,
            "folder": archive(1),
            "manifest_sha256": hashlib.sha256(first["manifest.json"]).hexdigest(),
        },
    )
    second = publish_planned(lake, {"a.csv": b"2\n"}, plan)
    assert {k[len(archive(1)) + 1 :]: lake.read_bytes(k) for k in lake.list_keys(archive(1))} == first
    assert lake.read_bytes(f"{FOLDER}/manifest.json") == second["manifest.json"]
    third = plan_revision(lake, FOLDER, {"a.csv": b"3\n"}, archive, True, "Again")
    assert third.revision.number == 3 and third.revision.revises["folder"] == archive(2)


@pytest.mark.parametrize(
    ("revise", "reason", "message"),
    [
        (True, None, "needs a reason"),
        (True, "   ", "needs a reason"),
        (False, "why", "a reason is for a revision"),
        (True, "why", "not published yet"),
    ],
)
def test_a_revision_needs_a_reason_and_something_to_revise(tmp_path, revise, reason, message):
    with pytest.raises(BadInputError, match=message):
        plan_revision(open_lake(str(tmp_path)), FOLDER, {"a.csv": b"1\n"}, archive, revise, reason)


def test_the_replaced_revision_is_not_kept_when_the_live_folder_changed_meanwhile(any_lake):
    lake = any_lake
    publish_planned(
        lake, {"a.csv": b"1\n"}, plan_revision(lake, FOLDER, {"a.csv": b"1\n"}, archive, False, None)
    )
    plan = plan_revision(lake, FOLDER, {"a.csv": b"2\n"}, archive, True, "fix")
    lake.publish_folder(FOLDER, with_manifest({"a.csv": b"other\n"}, {}))  # another run got there first
    with pytest.raises(ImmutablePublicationError, match="changed while revision 2 was being made"):
        keep_replaced_revision(lake, FOLDER, plan.revision)
    assert lake.list_keys(archive(1)) == []
