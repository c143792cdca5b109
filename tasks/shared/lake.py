"""The lake: one small interface over a local folder or an S3 bucket (boto3).

Keys are '/'-separated paths relative to the lake root, e.g. 'publish/datastore/2025-08-31/manifest.json'.
Publication of a folder is atomic for readers and idempotent: publishing the same bytes again changes
nothing, and a failure midway leaves what readers saw before in place.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import errno
import hashlib
import mimetypes
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from carestats.settings import get_settings
from tasks.shared.lake_map import MANIFEST

STREAM_CHUNK = 1 << 24
STAGING = ".staging"  # beside a publication's folder: files being uploaded, hidden from readers
SUPERSEDED = ".superseded"  # beside a publication's folder: <name>/<stamp>/ holds each replaced version


def sha256_hex(data: bytes) -> str:
    """The sha256 of some bytes as hex: what a manifest names each file's exact content by."""
    return hashlib.sha256(data).hexdigest()


def stream_sha256_hex(stream: BinaryIO) -> str:
    """A file's sha256 read in chunks: an extract table can be a gigabyte."""
    digest = hashlib.sha256()
    with stream:
        while chunk := stream.read(STREAM_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class PublishOutcome:
    """What publishing a folder did: where it is, whether anything changed, and where replaced files went."""

    uri: str
    changed: bool  # False when an identical folder was already published
    superseded: str | None = None  # where the replaced files went, when a different folder was replaced


class Lake(Protocol):
    """What flows and tasks need of storage, so that the same code runs on a local folder or an S3 bucket."""

    def uri(self, key: str = "") -> str:
        """The full address of a key (of the lake when none is given), as logs and messages show it."""

    def read_bytes(self, key: str) -> bytes:
        """A file's bytes, read whole; a missing file raises FileNotFoundError."""

    def open_read(self, key: str) -> BinaryIO:
        """A file as a stream, so that a gigabyte extract can be read in chunks rather than held whole."""

    def write_bytes(self, key: str, data: bytes) -> None:
        """Write one file, replacing any under that key; a reader sees the old file or the new, never half."""

    def exists(self, key: str) -> bool:
        """Whether a file is there, e.g. an extract table or a previous edition's CSV."""

    def list_keys(self, prefix: str) -> list[str]:
        """Every file's key under the prefix, sorted; hidden ones (a part starting with '.') left out."""

    def list_folders(self, prefix: str) -> list[str]:
        """The folders directly under the prefix (extract dates, editions) by name; hidden ones left out."""

    def publish_folder(self, prefix: str, files: dict[str, bytes]) -> PublishOutcome:
        """Make the folder hold exactly these files, swapped in at once for readers; publishing the same
        bytes again changes nothing.
        """

    def delete_folder(self, prefix: str) -> None:
        """Remove a folder and everything in it; a reader sees the whole folder or, from its manifest's
        removal on, no publication there (never half of one)."""


DATED_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def dated_folders(names: list[str]) -> list[dt.date]:
    """The folders named yyyy-mm-dd (extract dates, edition dates) as dates, oldest first; others ignored."""
    dates = []
    for name in names:
        if DATED_FOLDER.match(name):
            try:
                dates.append(dt.date.fromisoformat(name))
            except ValueError:  # 2025-02-30 and the like
                continue
    return sorted(dates)


def open_lake(location: str, server_side_encryption: str | None = None) -> Lake:
    """A lake from CARESTATS_LAKE: a folder path, or s3://bucket/prefix, encrypted as the settings say
    unless `server_side_encryption` is given (a partner's bucket that must always be encrypted).
    """
    if location.startswith("s3://"):
        bucket, _, prefix = location[len("s3://") :].partition("/")
        encryption = server_side_encryption or get_settings().s3_server_side_encryption
        return S3Lake(bucket, prefix.strip("/"), encryption)
    return LocalLake(Path(location))


def content_type(key: str) -> str:
    """The media type of a file by its name, UTF-8 for text (every text file carestats writes is UTF-8)."""
    guessed = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _superseded_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _manifest_last(names: list[str]) -> list[str]:
    """File names in order, the manifest moved to the end: readers take its presence as "complete"."""
    return sorted(names, key=lambda name: (name == MANIFEST, name))


class LocalLake:
    """A folder on disk. Publication stages a sibling folder and swaps it in with one rename."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def uri(self, key: str = "") -> str:
        """The key's absolute path on disk (the root's when no key is given)."""
        return str(self.root / key) if key else str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if path != self.root and self.root not in path.parents:
            raise ValueError(f"key {key!r} escapes the lake root {self.root}")
        return path

    def read_bytes(self, key: str) -> bytes:
        """The file read whole from disk."""
        return self._path(key).read_bytes()

    def open_read(self, key: str) -> BinaryIO:
        """The file opened for reading as bytes: the caller reads it in chunks and closes it."""
        return open(self._path(key), "rb")

    def write_bytes(self, key: str, data: bytes) -> None:
        """Written to a temporary file and renamed, so a reader never sees half a file."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def exists(self, key: str) -> bool:
        """Whether the path is there on disk."""
        return self._path(key).exists()

    def list_keys(self, prefix: str) -> list[str]:
        """Every file below the prefix's folder, as keys from the root; hidden files and folders skipped."""
        base = self._path(prefix)
        if not base.is_dir():
            return []
        return sorted(
            str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file() and not _hidden(p, base)
        )

    def list_folders(self, prefix: str) -> list[str]:
        """The subfolders of the prefix's folder, hidden ones (staging, superseded) skipped."""
        base = self._path(prefix)
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))

    def publish_folder(self, prefix: str, files: dict[str, bytes]) -> PublishOutcome:
        """Written and synced to a hidden staging folder, then swapped in with one rename; the replaced
        folder is kept under .superseded.
        """
        target = self._path(prefix)
        if _same_local_folder(target, files):
            return PublishOutcome(self.uri(prefix), changed=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f"{STAGING}-{target.name}-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            for name, data in sorted(files.items()):
                path = staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
            if not target.exists():
                os.rename(staging, target)
                return PublishOutcome(self.uri(prefix), changed=True)
            _exchange(staging, target)  # staging now holds what readers saw before
            superseded = target.parent / SUPERSEDED / target.name / _superseded_stamp()
            superseded.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, superseded)
            return PublishOutcome(self.uri(prefix), changed=True, superseded=str(superseded))
        finally:
            if staging.exists():
                shutil.rmtree(staging)

    def delete_folder(self, prefix: str) -> None:
        """Renamed aside to a hidden name in one step, then removed (nothing happens if it is not there)."""
        path = self._path(prefix)
        if path == self.root or not path.exists():
            return
        aside = path.with_name(f".deleting-{path.name}-{uuid.uuid4().hex}")
        os.rename(path, aside)
        shutil.rmtree(aside, ignore_errors=True)


def _hidden(path: Path, base: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(base).parts)


def _same_local_folder(target: Path, files: dict[str, bytes]) -> bool:
    if not target.is_dir():
        return False
    present = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    if present != set(files):
        return False
    return all((target / name).read_bytes() == data for name, data in files.items())


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders in one step (Linux renameat2), so readers see the old or the new, never neither."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if result == 0:
            return
        if ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(ctypes.get_errno(), f"renameat2 exchange failed: {a} <-> {b}")
    # Filesystems without exchange: two renames, leaving a moment with no folder (never a half one).
    aside = b.with_name(f".aside-{b.name}-{uuid.uuid4().hex}")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


class S3Lake:
    """An S3 bucket and prefix. The endpoint comes from AWS_ENDPOINT_URL_S3 for a non-AWS store.

    S3 has no rename, so publication uploads everything to a staging prefix first (the slow part,
    where failures happen), then copies it into place server-side with the manifest last: readers
    take an edition through its manifest, whose sha256 values name the exact bytes of each file.
    """

    def __init__(self, bucket: str, prefix: str, server_side_encryption: str | None, client=None):
        import boto3

        self.bucket = bucket
        self.prefix = prefix
        self.client = client or boto3.client("s3")
        self.put_extra = {"ServerSideEncryption": server_side_encryption} if server_side_encryption else {}

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def uri(self, key: str = "") -> str:
        """The key as an s3://bucket/prefix/key URL."""
        return f"s3://{self.bucket}/{self._key(key)}".rstrip("/")

    def read_bytes(self, key: str) -> bytes:
        """The object's body, read whole."""
        with self.open_read(key) as body:
            return body.read()

    def open_read(self, key: str) -> BinaryIO:
        """The object's body as it streams from S3; a missing key raises FileNotFoundError, as on disk."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except self.client.exceptions.NoSuchKey as missing:
            raise FileNotFoundError(self.uri(key)) from missing

    def write_bytes(self, key: str, data: bytes) -> None:
        """One PUT, which S3 makes visible whole or not at all, encrypted as the settings say, with the
        content type of its name (a bucket served as a static website hands the catalogue page to browsers
        as a page, and a CSV as text; copies keep it).
        """
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type(key), **self.put_extra
        )

    def exists(self, key: str) -> bool:
        """A HEAD request on the object: not found is False, and any other error is raised."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def _list(self, prefix: str, delimiter: str | None = None) -> tuple[list[str], list[str]]:
        full = self._key(prefix).rstrip("/") + "/"
        keys, folders = [], []
        paginator = self.client.get_paginator("list_objects_v2")
        options = {"Bucket": self.bucket, "Prefix": full}
        if delimiter:
            options["Delimiter"] = delimiter
        for page in paginator.paginate(**options):
            keys += [item["Key"] for item in page.get("Contents", [])]
            folders += [item["Prefix"] for item in page.get("CommonPrefixes", [])]
        strip = len(self.prefix) + 1 if self.prefix else 0
        return [k[strip:] for k in keys], [f[len(full) :].rstrip("/") for f in folders]

    def list_keys(self, prefix: str) -> list[str]:
        """Every object under the prefix, page by page; keys with a hidden part (staging) left out."""
        base = prefix.rstrip("/") + "/"
        keys, _ = self._list(prefix)
        return sorted(k for k in keys if not any(p.startswith(".") for p in k[len(base) :].split("/")))

    def list_folders(self, prefix: str) -> list[str]:
        """The common prefixes one level below, as folder names; hidden ones left out."""
        _, folders = self._list(prefix, delimiter="/")
        return sorted(f for f in folders if not f.startswith("."))

    def publish_folder(self, prefix: str, files: dict[str, bytes]) -> PublishOutcome:
        """Uploaded to a hidden staging prefix (the slow part, where failures happen), then swapped in
        server-side: the replaced files are copied to .superseded/<name>/<stamp>/, the live manifest is
        removed (readers now see no edition rather than half of one), files the new publication lacks are
        deleted, and the new files are copied into place with the manifest last. A failure during the swap
        puts the replaced files back.
        """
        prefix = prefix.rstrip("/")
        if self._same_published(prefix, files):
            return PublishOutcome(self.uri(prefix), changed=False)
        parent, _, name = prefix.rpartition("/")
        beside = f"{parent}/" if parent else ""
        staging = f"{beside}{STAGING}/{name}-{uuid.uuid4().hex}"
        replaced = [key[len(prefix) + 1 :] for key in self.list_keys(prefix)]
        superseded = f"{beside}{SUPERSEDED}/{name}/{_superseded_stamp()}" if replaced else None
        try:
            for file_name, data in sorted(files.items()):
                self.write_bytes(f"{staging}/{file_name}", data)
            if superseded:
                self._keep_superseded(prefix, superseded, replaced)
            self._swap_in(prefix, staging, list(files), replaced, superseded)
        finally:
            self.delete_folder(staging)
        kept = self.uri(superseded) if superseded else None
        return PublishOutcome(self.uri(prefix), changed=True, superseded=kept)

    def _copy(self, source: str, target: str) -> None:
        """A server-side copy, encrypted as the settings say (a copy does not inherit its source's SSE)."""
        self.client.copy_object(
            Bucket=self.bucket,
            Key=self._key(target),
            CopySource={"Bucket": self.bucket, "Key": self._key(source)},
            **self.put_extra,
        )

    def _delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def _keep_superseded(self, prefix: str, superseded: str, replaced: list[str]) -> None:
        """Copy the folder about to be replaced aside whole, or leave no partial copy behind."""
        try:
            for file_name in replaced:
                self._copy(f"{prefix}/{file_name}", f"{superseded}/{file_name}")
        except Exception:
            self.delete_folder(superseded)
            raise

    def _swap_in(
        self, prefix: str, staging: str, names: list[str], replaced: list[str], superseded: str | None
    ) -> None:
        """Readers see the old folder, then no manifest (no edition), then the new folder whole."""
        try:
            self._delete(f"{prefix}/{MANIFEST}")
            for stale in sorted(set(replaced) - set(names)):
                self._delete(f"{prefix}/{stale}")
            for file_name in _manifest_last(names):
                self._copy(f"{staging}/{file_name}", f"{prefix}/{file_name}")
        except Exception as failure:
            try:
                self._put_back(prefix, superseded, replaced)
            except Exception as put_back_failure:
                kept = f"; the replaced files are kept at {self.uri(superseded)}" if superseded else ""
                failure.add_note(
                    f"Putting {self.uri(prefix)} back failed too ({put_back_failure!r}): it has no "
                    f"manifest, so readers see no edition there{kept}"
                )
            raise

    def _put_back(self, prefix: str, superseded: str | None, replaced: list[str]) -> None:
        """After a failed swap, the folder as readers saw it before (nothing, if it is new), manifest last;
        the superseded copy is then no longer needed.
        """
        self._delete(f"{prefix}/{MANIFEST}")
        for key in self.list_keys(prefix):
            self._delete(key)
        if superseded:
            for file_name in _manifest_last(replaced):
                self._copy(f"{superseded}/{file_name}", f"{prefix}/{file_name}")
            self.delete_folder(superseded)

    def delete_folder(self, prefix: str) -> None:
        """Delete every object under the prefix, hidden ones included, the manifest first: readers take a
        folder without one as no publication."""
        for key in sorted(self._list(prefix)[0], key=lambda key: not key.endswith(f"/{MANIFEST}")):
            self._delete(key)

    def _same_published(self, prefix: str, files: dict[str, bytes]) -> bool:
        """The manifest names every file's sha256, so equal manifests and key sets mean equal editions."""
        if MANIFEST not in files or not self.exists(f"{prefix}/{MANIFEST}"):
            return False
        present = set(self.list_keys(prefix))
        if present != {f"{prefix}/{name}" for name in files}:
            return False
        return self.read_bytes(f"{prefix}/{MANIFEST}") == files[MANIFEST]
