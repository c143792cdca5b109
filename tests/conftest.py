"""Fixtures for the whole suite: one Prefect test harness, one moto S3 server over real HTTP, LibreOffice.

Builders and helpers live in tests/support/; conftests hold fixtures only.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pytest  # noqa: E402

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
REFERENCE_EXTRACT = SHARED_REFERENCE / "ci_datastore_subset_2025-08-31.csv"


from tests.support.harness import SHARED_PREFECT_API, prefect_api  # noqa: E402

pytest_plugins = ["tests.support.browser"]  # the headless Chromium fixture, for every test that opens a page


def pytest_configure(config):
    """With tests spread over worker processes (`pytest -n 2`), start the one Prefect test harness here, in
    the process that runs the workers, and hand its API to every worker: one server for the whole session."""
    if getattr(config.option, "numprocesses", None) and not os.environ.get("PYTEST_XDIST_WORKER"):
        from prefect.settings import PREFECT_API_URL
        from prefect.testing.utilities import prefect_test_harness

        config.shared_prefect_harness = prefect_test_harness(server_startup_timeout=120)
        config.shared_prefect_harness.__enter__()
        os.environ[SHARED_PREFECT_API] = PREFECT_API_URL.value()


def pytest_unconfigure(config):
    """Stop the shared harness, if this process started one."""
    harness = getattr(config, "shared_prefect_harness", None)
    if harness is not None:
        os.environ.pop(SHARED_PREFECT_API, None)
        harness.__exit__(None, None, None)


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """The Prefect API for flow tests: one server for the session, heartbeats off (they cost 1 s a flow), and
    task results (the cached workbooks) in a folder of this session, so no test finds another run's cache."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_LOCAL_STORAGE_PATH,
        temporary_settings,
    )

    results = tmp_path_factory.mktemp("prefect_results")
    with prefect_api():
        with temporary_settings(
            updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_LOCAL_STORAGE_PATH: results}
        ):
            yield


@pytest.fixture(scope="session")
def two_editions(prefect_harness, tmp_path_factory):
    """July and August 2025 published once for the session from the hand-worked extracts; tests read the lake
    and may republish the same inputs (which changes nothing), but never change what it holds."""
    from flows.publish_datastore import publish_monthly_datastore
    from tests.support.extracts import AUGUST, JULY, PublishedEditions, land_two_extracts

    lake = str(tmp_path_factory.mktemp("two_editions") / "lake")
    land_two_extracts(lake)
    return PublishedEditions(
        lake, publish_monthly_datastore(JULY, lake), publish_monthly_datastore(AUGUST, lake)
    )


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on a random loopback port, reached by boto3 over HTTP like any S3 endpoint."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ENDPOINT_URL_S3=endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="eu-west-2",
    )
    yield endpoint
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh bucket for one test; yields its s3:// lake URL."""
    import boto3

    name = f"lake-{uuid.uuid4().hex[:16]}"
    boto3.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    return f"s3://{name}/carestats"


@pytest.fixture
def reference_extract() -> Path:
    """The real Datastore extract from ../shared (never copied into the repository)."""
    if not REFERENCE_EXTRACT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{REFERENCE_EXTRACT} is missing in CI")
        pytest.skip("the shared reference extract is not beside this checkout")
    return REFERENCE_EXTRACT


@pytest.fixture(scope="session")
def soffice() -> str:
    """The LibreOffice binary: a failure in CI when it is missing, a skip only on a developer's machine."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    return found


@pytest.fixture(scope="session")
def open_in_libreoffice(soffice, tmp_path_factory):
    """A function: workbook bytes -> {sheet name: rows of cell text as LibreOffice shows them once opened}."""
    from tests.support.libreoffice import export_sheets

    profile = tmp_path_factory.mktemp("lo_profile")
    return lambda data, stem: export_sheets(
        soffice, profile, tmp_path_factory.mktemp(f"lo_{stem}"), data, stem
    )


@pytest.fixture(scope="session")
def two_return_years(prefect_harness, tmp_path_factory) -> str:
    """A simulated register (scale 0.05, extract of 31 March 2026) with the 2025 and 2026 annual returns
    ingested once for the session: the lake the benchmarks and the statistics are built from. Tests read it
    and may write their own outputs into it, but never change its returns.
    """
    from cli.main import main

    lake = str(tmp_path_factory.mktemp("two_return_years") / "lake")
    simulate = ["simulate", "--until", "2026-03-31", "--months", "1", "--scale", "0.05"]
    for arguments in (
        [*simulate, "--return-year", "2025", "--return-year", "2026"],
        ["ingest-returns", "--year", "2025", "--as-at", "2025-03-31"],
        ["ingest-returns", "--year", "2026", "--as-at", "2026-03-31"],
    ):
        if main([*arguments, "--lake", lake, "--json"]):
            pytest.fail(f"carestats {' '.join(arguments)} failed on the session's returns lake")
    return lake
