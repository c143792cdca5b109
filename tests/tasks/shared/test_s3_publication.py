"""Publishing a folder on S3 (moto's server over HTTP), watched call by call as a reader would see it.

Readers take a folder through its manifest: they must see the old folder whole, then nothing while it is
swapped, then the new one whole; every object written is encrypted; staging is emptied; a failure during
the server-side copies puts the old folder back.
"""

import logging

import boto3
import pytest
from botocore.exceptions import ClientError

from tasks.shared.lake import S3Lake
from tasks.shared.publication import publish_into, with_manifest
from tests.support.published import HalfPublished, read_through_manifest
from tests.support.s3_clients import FailingCopies, WatchedClient

AREA, NAME = "publish/things", "2025-08-31"
FOLDER = f"{AREA}/{NAME}"
OLD = with_manifest(
    {"data.csv": b"a,b\r\n1,2\r\n", "notes.txt": b"only in the old version\n"}, {"as_at": NAME, "version": 1}
)
NEW = with_manifest({"data.csv": b"a,b\r\n1,3\r\n", "extra.csv": b"x\r\n"}, {"as_at": NAME, "version": 2})
LOG = logging.getLogger(__name__)


def s3_lake(s3_bucket: str, client=None) -> S3Lake:
    """The test's bucket as an S3Lake encrypting with AES256, through `client` when given."""
    bucket, _, prefix = s3_bucket.removeprefix("s3://").partition("/")
    return S3Lake(bucket, prefix, "AES256", client=client or boto3.client("s3"))


def every_object(lake: S3Lake) -> list[str]:
    """Every key in the lake's prefix as S3 lists it, hidden ones (staging, superseded) included."""
    listed = lake.client.list_objects_v2(Bucket=lake.bucket, Prefix=f"{lake.prefix}/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def full_keys(lake: S3Lake, folder: str, names) -> list[str]:
    """The bucket keys of these files in a folder of the lake."""
    return [f"{lake.prefix}/{folder}/{name}" for name in names]


def what_a_reader_sees(lake: S3Lake) -> str:
    """The folder as a reader takes it: 'old', 'new', 'nothing', or what is wrong with it."""
    try:
        files = read_through_manifest(lake, FOLDER)
    except HalfPublished as half:
        return f"half: {half}"
    if files is None:
        return "nothing"
    if files == OLD:
        return "old"
    return "new" if files == NEW else f"neither version: {sorted(files)}"


def test_readers_see_the_old_folder_then_nothing_then_the_new_one_and_every_object_is_encrypted(s3_bucket):
    plain = s3_lake(s3_bucket)
    publish_into(plain, AREA, NAME, OLD, LOG)
    seen, encryption = [what_a_reader_sees(plain)], {}

    def look(operation: str, key: str) -> None:
        if operation != "delete_object":
            head = plain.client.head_object(Bucket=plain.bucket, Key=key)
            encryption[key] = head.get("ServerSideEncryption")
        if "/." in key:  # staging or superseded: hidden from readers
            return
        view = what_a_reader_sees(plain)
        if seen[-1] != view:
            seen.append(view)

    outcome = publish_into(s3_lake(s3_bucket, WatchedClient(boto3.client("s3"), look)), AREA, NAME, NEW, LOG)

    assert seen == ["old", "nothing", "new"]
    written = sorted(encryption)
    assert any("/.staging/" in key for key in written) and any("/.superseded/" in key for key in written)
    assert set(full_keys(plain, FOLDER, NEW)) | {f"{plain.prefix}/{AREA}/latest.json"} <= set(written)
    assert {key: sse for key, sse in encryption.items() if sse != "AES256"} == {}
    superseded = outcome.superseded.removeprefix(f"s3://{plain.bucket}/{plain.prefix}/")
    assert superseded.startswith(f"{AREA}/.superseded/{NAME}/")
    # Live: exactly the new files (notes.txt, which they lack, is gone); the old ones kept whole; no staging.
    assert every_object(plain) == sorted(
        full_keys(plain, FOLDER, NEW)
        + full_keys(plain, superseded, OLD)
        + [f"{plain.prefix}/{AREA}/latest.json"]
    )
    assert {name: plain.read_bytes(f"{superseded}/{name}") for name in OLD} == OLD
    for key in every_object(plain):
        assert plain.client.head_object(Bucket=plain.bucket, Key=key)["ServerSideEncryption"] == "AES256", key


# The copies are the old folder's files copied aside, then the new files copied into place, manifest last.
FAILING_COPY = {
    "copying aside": 1,
    "copying into place": len(OLD) + 1,
    "copying the manifest": len(OLD) + len(NEW),
}


@pytest.mark.parametrize("nth", FAILING_COPY.values(), ids=FAILING_COPY.keys())
def test_a_copy_failing_midway_puts_the_old_folder_back(s3_bucket, nth):
    plain = s3_lake(s3_bucket)
    publish_into(plain, AREA, NAME, OLD, LOG)
    before = every_object(plain)
    failing = s3_lake(s3_bucket, FailingCopies(boto3.client("s3"), nth, once=True))
    with pytest.raises(ClientError, match="NoSuchKey"):
        publish_into(failing, AREA, NAME, NEW, LOG)
    assert what_a_reader_sees(plain) == "old"
    assert every_object(plain) == before  # nothing staged, nothing superseded, nothing new left
    assert {name: plain.read_bytes(f"{FOLDER}/{name}") for name in OLD} == OLD


def test_copies_failing_for_good_leave_no_edition_and_the_old_one_kept_aside(s3_bucket):
    plain = s3_lake(s3_bucket)
    publish_into(plain, AREA, NAME, OLD, LOG)
    failing = s3_lake(s3_bucket, FailingCopies(boto3.client("s3"), len(OLD) + 1, once=False))
    with pytest.raises(ClientError, match="NoSuchKey") as raised:
        publish_into(failing, AREA, NAME, NEW, LOG)
    assert what_a_reader_sees(plain) == "nothing"  # no manifest: no edition, never half of one
    kept = f"{AREA}/.superseded/{NAME}"
    (stamp,) = plain.list_folders(kept)
    assert {name: plain.read_bytes(f"{kept}/{stamp}/{name}") for name in OLD} == OLD
    (note,) = raised.value.__notes__
    assert note.startswith(f"Putting {plain.uri(FOLDER)} back failed too (NoSuchKey(")
    assert note.endswith(
        f"it has no manifest, so readers see no edition there; "
        f"the replaced files are kept at {plain.uri(f'{kept}/{stamp}')}"
    )
    assert not any("/.staging/" in key for key in every_object(plain))


def test_a_first_publication_failing_midway_leaves_nothing(s3_bucket):
    plain = s3_lake(s3_bucket)
    with pytest.raises(ClientError, match="NoSuchKey"):
        publish_into(
            s3_lake(s3_bucket, FailingCopies(boto3.client("s3"), 2, once=True)), AREA, NAME, NEW, LOG
        )
    assert what_a_reader_sees(plain) == "nothing"
    assert every_object(plain) == []
