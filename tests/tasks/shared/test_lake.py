"""The lake: same behaviour on a folder and on S3 over HTTP (moto's server)."""

import datetime as dt
import os

import pytest

from tasks.shared.lake import LocalLake, S3Lake, open_lake

EDITION = {"data.csv": b"a,b\r\n1,2\r\n", "manifest.json": b'{"rows": 1}\n'}


@pytest.fixture(params=["local", "s3"])
def lake(request, tmp_path):
    if request.param == "local":
        return open_lake(str(tmp_path / "lake"))
    return open_lake(request.getfixturevalue("s3_bucket"))


def test_open_lake_chooses_by_location(tmp_path, s3_bucket):
    assert isinstance(open_lake(str(tmp_path)), LocalLake)
    s3 = open_lake(s3_bucket)
    assert isinstance(s3, S3Lake) and s3.prefix == "carestats" and s3.uri("x/y") == s3_bucket + "/x/y"


def test_write_read_list(lake):
    lake.write_bytes("landing/register/2025-09-03/services.csv", b"x")
    lake.write_bytes("landing/register/2025-10-03/services.csv", b"y")
    assert lake.read_bytes("landing/register/2025-10-03/services.csv") == b"y"
    assert lake.list_folders("landing/register") == ["2025-09-03", "2025-10-03"]
    assert lake.list_keys("landing/register/2025-09-03") == ["landing/register/2025-09-03/services.csv"]
    assert lake.exists("landing/register/2025-09-03/services.csv") and not lake.exists("nope")
    with pytest.raises(FileNotFoundError):
        lake.read_bytes("landing/missing.csv")


def test_publication_is_idempotent_and_replaces_whole_editions(lake):
    first = lake.publish_folder("publish/datastore/2025-08-31", EDITION)
    assert first.changed
    assert not lake.publish_folder("publish/datastore/2025-08-31", EDITION).changed
    corrected = {"data.csv": b"a,b\r\n1,3\r\n", "manifest.json": b'{"rows": 1, "fixed": true}\n'}
    assert lake.publish_folder("publish/datastore/2025-08-31", corrected).changed
    keys = lake.list_keys("publish/datastore/2025-08-31")
    assert keys == ["publish/datastore/2025-08-31/data.csv", "publish/datastore/2025-08-31/manifest.json"]
    assert lake.read_bytes("publish/datastore/2025-08-31/data.csv") == b"a,b\r\n1,3\r\n"
    assert lake.list_folders("publish/datastore") == ["2025-08-31"]  # staging and superseded stay hidden


def test_a_replaced_edition_is_kept_under_superseded_and_files_it_alone_had_are_gone(lake):
    edition = "publish/datastore/2025-08-31"
    versions = [
        {"data.csv": b"first", "dropped.csv": b"only the first has this", "manifest.json": b'{"v": 1}'},
        {"data.csv": b"second", "manifest.json": b'{"v": 2}'},
        {"data.csv": b"third", "added.csv": b"new in the third", "manifest.json": b'{"v": 3}'},
    ]
    outcomes = [lake.publish_folder(edition, files) for files in versions]
    assert not lake.publish_folder(edition, versions[-1]).changed  # an identical rerun supersedes nothing

    live = {key.rsplit("/", 1)[1]: lake.read_bytes(key) for key in lake.list_keys(edition)}
    assert live == versions[2]
    stamps = lake.list_folders("publish/datastore/.superseded/2025-08-31")
    assert len(stamps) == 2
    kept = [f"publish/datastore/.superseded/2025-08-31/{stamp}" for stamp in stamps]
    assert [outcome.superseded for outcome in outcomes] == [None, lake.uri(kept[0]), lake.uri(kept[1])]
    for folder, replaced in zip(kept, versions[:2], strict=True):
        assert {key.rsplit("/", 1)[1]: lake.read_bytes(key) for key in lake.list_keys(folder)} == replaced
    assert lake.list_folders("publish/datastore") == ["2025-08-31"]


def fail_on_second_write(lake, monkeypatch):
    """Make the second file written during publication fail, as a lost disk or connection would."""
    calls = {"count": 0}

    def second_fails(original):
        def wrapped(*args, **kwargs):
            calls["count"] += 1
            if calls["count"] == 2:
                raise OSError("connection lost")
            return original(*args, **kwargs)

        return wrapped

    if isinstance(lake, S3Lake):
        monkeypatch.setattr(S3Lake, "write_bytes", second_fails(S3Lake.write_bytes))
    else:
        monkeypatch.setattr("tasks.shared.lake.os.fsync", second_fails(os.fsync))


def test_failure_midway_leaves_what_readers_saw(lake, monkeypatch):
    lake.publish_folder("publish/datastore/2025-08-31", EDITION)
    fail_on_second_write(lake, monkeypatch)
    with pytest.raises(OSError, match="connection lost"):
        lake.publish_folder(
            "publish/datastore/2025-08-31", {"data.csv": b"half", "manifest.json": b'{"half": 1}\n'}
        )
    monkeypatch.undo()
    assert lake.read_bytes("publish/datastore/2025-08-31/data.csv") == EDITION["data.csv"]
    assert lake.read_bytes("publish/datastore/2025-08-31/manifest.json") == EDITION["manifest.json"]
    assert len(lake.list_keys("publish/datastore/2025-08-31")) == 2
    assert lake.list_folders("publish/datastore") == ["2025-08-31"]


def test_keys_cannot_escape_a_local_lake(tmp_path):
    with pytest.raises(ValueError, match="escapes the lake root"):
        LocalLake(tmp_path / "lake").write_bytes("../outside.txt", b"x")


def test_s3_objects_are_encrypted_at_rest(s3_bucket):
    import boto3

    lake = open_lake(s3_bucket)
    lake.write_bytes("a.txt", b"x")
    head = boto3.client("s3").head_object(Bucket=lake.bucket, Key="carestats/a.txt")
    assert head["ServerSideEncryption"] == "AES256"


def test_s3_objects_carry_the_content_type_a_static_website_serves_them_with(s3_bucket):
    import boto3

    lake = open_lake(s3_bucket)
    lake.write_bytes("publish/index.html", b"<!doctype html>")
    lake.publish_folder("publish/datastore/2025-08-31", {"a.csv": b"x\r\n", "manifest.json": b"{}"})
    client = boto3.client("s3")
    types = {
        key: client.head_object(Bucket=lake.bucket, Key=f"carestats/{key}")["ContentType"]
        for key in (
            "publish/index.html",
            "publish/datastore/2025-08-31/a.csv",
            "publish/datastore/2025-08-31/manifest.json",
        )
    }
    assert types == {
        "publish/index.html": "text/html; charset=utf-8",
        "publish/datastore/2025-08-31/a.csv": "text/csv; charset=utf-8",  # kept by the copy out of staging
        "publish/datastore/2025-08-31/manifest.json": "application/json",
    }


def test_dated_folders_are_read_as_dates_and_everything_else_ignored():
    from tasks.shared.lake import dated_folders

    names = [
        "2025-09-05",
        ".staging-2025-08-31-ab12",
        "2025-08-05",
        "20250831",
        "2025-02-30",
        "latest.json",
        "notes",
    ]
    assert dated_folders(names) == [dt.date(2025, 8, 5), dt.date(2025, 9, 5)]
