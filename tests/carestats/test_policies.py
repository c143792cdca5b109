"""Retries are an allow-list of transient errors: everything else fails at once.

The S3 errors come from real HTTP: a small local endpoint answers with the status and error code an S3
service sends (throttling, a 503, an access denial), and boto3 raises exactly what it would in production.
"""

from __future__ import annotations

import asyncio
import http.server
import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from carestats.errors import BadInputError, MissingInputError, QualityGateBlocked
from carestats.policies import is_transient, retry_transient_only
from tasks.register.extract import ExtractError
from tasks.shared.csv_text import UnreadableCsv
from tasks.shared.quarantine import Problem

S3_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>said so</Message></Error>'
)


class AnswersWithAnError(http.server.BaseHTTPRequestHandler):
    """Every request gets the status and S3 error code named in the request's key: /<status>/<code>."""

    def do_GET(self):
        status, code = self.path.strip("/").split("/")[1:3]
        body = S3_ERROR.format(code=code).encode()
        self.send_response(int(status))
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def s3_that_errs():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AnswersWithAnError)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def s3_error(endpoint: str, status: int, code: str) -> ClientError:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="eu-west-2",
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )
    with pytest.raises(ClientError) as raised:
        client.get_object(Bucket="lake", Key=f"{status}/{code}")
    return raised.value


@pytest.mark.parametrize(
    "status, code, transient",
    [
        (503, "SlowDown", True),
        (500, "InternalError", True),
        (400, "RequestTimeout", True),
        (403, "AccessDenied", False),
        (404, "NoSuchKey", False),
    ],
)
def test_s3_errors_are_transient_only_when_waiting_can_help(s3_that_errs, status, code, transient):
    error = s3_error(s3_that_errs, status, code)
    assert error.response["Error"]["Code"] == code
    assert is_transient(error) is transient


def test_a_lost_connection_is_transient_and_bad_input_or_a_bug_is_not():
    closed = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="eu-west-2",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(EndpointConnectionError) as raised:
        closed.list_buckets()
    assert (
        is_transient(raised.value) and is_transient(TimeoutError()) and is_transient(ConnectionResetError())
    )
    for permanent in (
        BadInputError("bad"),
        MissingInputError("gone"),
        KeyError("bug"),
        ValueError("bug"),
        OSError(28, "disk full"),
    ):
        assert not is_transient(permanent), permanent


NEVER_RETRIED = [
    BadInputError("bad row"),
    UnreadableCsv("cannot read services.csv: neither UTF-8 nor Windows-1252"),
    MissingInputError("no register extract taken after 2025-08-31"),
    ExtractError([Problem("services.csv", 2, "CSNumber", "CS1", "does not match ^CS\\d{10}$")]),
    QualityGateBlocked("Quality gate 'datastore' blocked Datastore edition 2025-08-31"),
]


def failed_state(error: Exception):
    """The failed state Prefect's engine makes of a task that raised `error`."""
    from prefect.states import exception_to_failed_state

    try:
        raise error
    except Exception as raised:
        return asyncio.run(exception_to_failed_state(raised))


@pytest.mark.parametrize("error", NEVER_RETRIED, ids=lambda error: type(error).__name__)
def test_the_retry_condition_refuses_bad_input_and_a_blocked_gate(error):
    assert retry_transient_only(None, None, failed_state(error)) is False
    assert not is_transient(error)


def test_the_retry_condition_accepts_a_lost_connection():
    assert retry_transient_only(None, None, failed_state(ConnectionResetError("reset by peer"))) is True


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(
    "error, attempts",
    [(ConnectionResetError("reset by peer"), 3), (KeyError("a bug"), 1)]
    + [(error, 1) for error in NEVER_RETRIED],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_prefect_retries_transient_failures_only(error, attempts):
    from prefect import flow, task

    calls = []

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=retry_transient_only)
    def flaky() -> None:
        calls.append(1)
        raise error

    @flow
    def run() -> None:
        flaky()

    with pytest.raises(type(error)):
        run()
    assert len(calls) == attempts
