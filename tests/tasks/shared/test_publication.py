"""A publication is its files plus a manifest naming each file's sha256, swapped in whole or not at all."""

import hashlib
import json

import pytest

from tasks.shared.lake import open_lake
from tasks.shared.publication import publish_folder, sha256_by_file, with_manifest


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
