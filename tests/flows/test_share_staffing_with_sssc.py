"""The SSSC share flow: delivered to moto's S3 server over HTTP, encrypted, manifest last, idempotent,
retried through a real outage, and the pseudonym key nowhere in what a run leaves behind."""

from __future__ import annotations

import asyncio
import hashlib
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)

from flows.share_staffing_with_sssc import share_staffing_with_sssc
from tests.support.cli import run_carestats
from tests.support.flaky_s3 import FlakyS3Endpoint

pytestmark = pytest.mark.usefixtures("prefect_harness")

YEAR = 2026
AS_AT = "2026-03-31"
KEY = "flow-test-key-" + "5" * 40


@pytest.fixture(scope="module")
def returns_lake(tmp_path_factory, prefect_harness):
    """A simulated register and year of returns, ingested once, and the Datastore edition of AS_AT
    published from them; the tests deliver from it.
    """
    capsys = _NoCapture()
    lake = str(tmp_path_factory.mktemp("sssc") / "lake")
    for arguments in (
        [
            "simulate",
            "--until",
            AS_AT,
            "--months",
            "1",
            "--scale",
            "0.05",
            "--return-year",
            str(YEAR),
            "--lake",
            lake,
        ],
        ["ingest-returns", "--year", str(YEAR), "--as-at", AS_AT, "--lake", lake],
        ["publish-datastore", "--as-at", AS_AT, "--no-workbook", "--lake", lake],
    ):
        result = run_carestats(capsys, [*arguments, "--json"])
        if result.exit_code:
            pytest.fail(result.output)
    return lake


class _NoCapture:
    """run_carestats needs a capsys; a module fixture has none, and the output is not looked at."""

    def readouterr(self):
        return "", ""


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("CARESTATS_SSSC_PSEUDONYM_KEY", KEY)


def objects(bucket: str, prefix: str = "") -> dict[str, dict]:
    client = boto3.client("s3")
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"]: client.head_object(Bucket=bucket, Key=item["Key"]) for item in listed}


def body(bucket: str, key: str) -> bytes:
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def share(lake: str, **parameters):
    return share_staffing_with_sssc(return_year=YEAR, lake=lake, as_at=AS_AT, return_state=True, **parameters)


def test_a_delivery_lands_encrypted_and_whole_and_the_same_returns_are_never_sent_twice(
    returns_lake, s3_bucket, keyed, monkeypatch
):
    monkeypatch.setenv("CARESTATS_SSSC_TARGET", s3_bucket)
    state = share(returns_lake)
    summary = state.result()
    bucket, _, prefix = s3_bucket.removeprefix("s3://").partition("/")
    delivered = objects(bucket, prefix)
    folder = f"{prefix}/{YEAR}/delivery-001"
    assert summary["delivery"]["outcome"] == "delivered"
    assert summary["delivery"]["target"] == f"{s3_bucket}/{YEAR}/delivery-001"
    assert all(head["ServerSideEncryption"] == "AES256" for head in delivered.values())
    manifest = json.loads(body(bucket, f"{folder}/manifest.json"))
    assert manifest["delivery"] == 1 and manifest["return_year"] == YEAR
    for name, entry in manifest["files"].items():
        data = body(bucket, f"{folder}/{name}")
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    assert set(delivered) == {f"{folder}/{n}" for n in [*manifest["files"], "manifest.json"]} | {
        f"{prefix}/{YEAR}/latest.json"
    }
    report = json.loads(body(bucket, f"{folder}/disclosure_report_{YEAR}.json"))
    assert manifest["disclosure"]["k_reached"] == report["k_reached"] >= 5
    assert manifest["rows"][f"sssc_staffing_{YEAR}.csv"] == 7 * report["services"]["released"]
    log = (lake_file(returns_lake, "deliveries/sssc-delivery-log.jsonl")).decode().splitlines()
    assert json.loads(log[-1])["target"] == f"{s3_bucket}/{YEAR}/delivery-001"
    assert (
        json.loads(log[-1])["manifest_sha256"]
        == hashlib.sha256(body(bucket, f"{folder}/manifest.json")).hexdigest()
    )

    # The key is in no log line, no artifact and no parameter of the run.
    flow_run_id = state.state_details.flow_run_id
    traces = asyncio.run(run_traces(flow_run_id))
    assert "delivery-001" in traces  # the traces are really this run's
    assert KEY not in traces and KEY.encode().hex() not in traces

    # A re-delivery of the same returns writes nothing; new content is the next delivery.
    before = {key: head["ETag"] + str(head["LastModified"]) for key, head in objects(bucket, prefix).items()}
    again = share(returns_lake).result()
    assert again["delivery"] == {**summary["delivery"], "outcome": "already delivered"}
    after = {key: head["ETag"] + str(head["LastModified"]) for key, head in objects(bucket, prefix).items()}
    assert after == before
    stricter = share(returns_lake, k=8).result()
    assert stricter["delivery"]["delivery"] == 2
    assert json.loads(body(bucket, f"{prefix}/{YEAR}/latest.json"))["edition"] == "delivery-002"
    assert json.loads(body(bucket, f"{folder}/manifest.json")) == manifest  # the first delivery stays
    outcomes = [
        json.loads(line)["outcome"]
        for line in lake_file(returns_lake, "deliveries/sssc-delivery-log.jsonl").decode().splitlines()
    ]
    assert outcomes[-3:] == ["delivered", "already delivered", "delivered"]


def lake_file(lake: str, key: str) -> bytes:
    from pathlib import Path

    return (Path(lake) / key).read_bytes()


async def run_traces(flow_run_id) -> str:
    """Everything the Prefect server keeps of a run: its parameters, logs and artifacts, as text."""
    async with get_client() as client:
        run = await client.read_flow_run(flow_run_id)
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        )
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
        tasks = await client.read_task_runs()
    parts = [json.dumps(run.parameters, default=str)]
    parts += [log.message for log in logs]
    parts += [json.dumps(a.data, default=str) + str(a.description) for a in artifacts]
    parts += [json.dumps(t.task_inputs, default=str) for t in tasks if t.flow_run_id == flow_run_id]
    return "\n".join(parts)


def test_an_outage_midway_is_retried_and_the_delivery_completes(
    returns_lake, s3_bucket, s3_endpoint, keyed, monkeypatch
):
    monkeypatch.setenv("CARESTATS_SSSC_TARGET", s3_bucket)
    bucket, _, prefix = s3_bucket.removeprefix("s3://").partition("/")
    with FlakyS3Endpoint(s3_endpoint) as flaky:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", flaky.url)
        # More failures in a row than boto3's own retries absorb: the task fails once and Prefect retries it.
        flaky.fail(method="PUT", after=2, times=8)
        summary = share(returns_lake).result()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    assert flaky.failed == 8
    assert summary["delivery"]["outcome"] == "delivered"
    folder = f"{prefix}/{YEAR}/delivery-001"
    manifest = json.loads(body(bucket, f"{folder}/manifest.json"))
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(body(bucket, f"{folder}/{name}")).hexdigest() == entry["sha256"]
    visible = {k for k in objects(bucket, prefix) if "/." not in k}
    assert visible == {f"{folder}/{n}" for n in [*manifest["files"], "manifest.json"]} | {
        f"{prefix}/{YEAR}/latest.json"
    }


def test_a_lasting_denial_is_not_retried_and_leaves_the_last_delivery_as_it_was(
    returns_lake, s3_bucket, s3_endpoint, keyed, monkeypatch
):
    monkeypatch.setenv("CARESTATS_SSSC_TARGET", s3_bucket)
    bucket, _, prefix = s3_bucket.removeprefix("s3://").partition("/")
    share(returns_lake).result()
    before = {key: body(bucket, key) for key in objects(bucket, prefix)}
    with FlakyS3Endpoint(s3_endpoint) as flaky:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", flaky.url)
        flaky.fail(
            method="PUT", after=0, times=None, status=403, code="AccessDenied", message="Access Denied"
        )
        state = share(returns_lake, k=8)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    assert state.is_failed()
    with pytest.raises(ClientError, match="AccessDenied"):
        state.result()
    assert flaky.failed == 1  # an access denial is not transient: tried once, never again
    visible = {key: body(bucket, key) for key in objects(bucket, prefix) if "/." not in key}
    assert visible == {key: data for key, data in before.items() if "/." not in key}


def test_without_a_key_nothing_is_built_or_sent(returns_lake, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CARESTATS_SSSC_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("CARESTATS_SSSC_KEY_BLOCK", "no-sssc-key-here")
    monkeypatch.setenv("CARESTATS_SSSC_TARGET", str(tmp_path / "target"))
    result = run_carestats(
        capsys, ["share-sssc", "--year", str(YEAR), "--as-at", AS_AT, "--lake", returns_lake]
    )
    assert result.exit_code == 2
    assert "no SSSC pseudonym key" in result.stderr and "no-sssc-key-here" in result.stderr
    assert not (tmp_path / "target").exists()


def test_the_delivery_cannot_be_linked_to_the_published_datastore_and_names_no_one(
    returns_lake, tmp_path, keyed, monkeypatch, capsys
):
    from pathlib import Path

    from carestats.dictionary import load_dictionary
    from tasks.shared.csv_text import read_csv_text
    from tasks.shared.published_text import read_published_csv
    from tests.support.sssc import linkage_matches

    target = tmp_path / "sssc"
    monkeypatch.setenv("CARESTATS_SSSC_TARGET", str(target))
    result = run_carestats(
        capsys, ["share-sssc", "--year", str(YEAR), "--as-at", AS_AT, "--lake", returns_lake, "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    folder = target / str(YEAR) / "delivery-001"
    extract = read_published_csv((folder / f"sssc_staffing_{YEAR}.csv").read_bytes())
    datastore = read_published_csv(
        lake_file(returns_lake, f"publish/datastore/{AS_AT}/datastore_{AS_AT}.csv")
    )
    matches = linkage_matches(extract, datastore, load_dictionary())
    assert len(matches) == summary["disclosure"]["services"]["released"] > 300
    assert (matches == 1).sum() == 0 and matches.min() >= 5

    # No identifier of the source data in any delivered byte.
    landed = next((Path(returns_lake) / "landing" / "register").glob("*/services.csv"))
    services = read_csv_text(landed.read_bytes(), landed.name).to_pandas()
    delivered = b"".join(path.read_bytes() for path in sorted(folder.iterdir())).decode("utf-8-sig")
    for column in (
        "CSNumber",
        "SP_number",
        "ServiceName",
        "ServiceProvider",
        "Service_Postcode",
        "Eforms_email_address",
    ):
        leaked = [v for v in services[column].dropna() if len(v) >= 6 and v in delivered]
        assert not leaked, (column, leaked[:3])
