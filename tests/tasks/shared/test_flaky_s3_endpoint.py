"""The flaky S3 endpoint of tests/support: a proxy to moto that fails requests over HTTP when told to."""

import http.client
import io
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tests.support.flaky_s3 import FlakyS3Endpoint

pytestmark = pytest.mark.s3

# One attempt, no retry. In botocore's `retries`, `max_attempts` counts the retries after the first attempt
# ({"max_attempts": 1} is two attempts); `total_max_attempts` counts every attempt.
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def bucket(s3_bucket):
    return s3_bucket.removeprefix("s3://").split("/", 1)[0]


@pytest.fixture
def proxy(s3_endpoint):
    with FlakyS3Endpoint(s3_endpoint) as endpoint:
        yield endpoint


def client(url, config=NO_RETRIES):
    return boto3.client("s3", endpoint_url=url, config=config)


def error_of(raised):
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_every_call_goes_through_to_the_server(proxy, s3_endpoint, bucket):
    s3, direct = client(proxy.url), client(s3_endpoint)
    s3.put_object(Bucket=bucket, Key="a/one.csv", Body=b"a,b\r\n1,2\r\n")
    s3.put_object(Bucket=bucket, Key="a/two words.csv", Body=io.BytesIO(b"file-like: Expect 100-continue"))
    assert s3.get_object(Bucket=bucket, Key="a/one.csv")["Body"].read() == b"a,b\r\n1,2\r\n"
    assert s3.head_object(Bucket=bucket, Key="a/one.csv")["ContentLength"] == 10
    assert s3.get_object(Bucket=bucket, Key="a/one.csv", Range="bytes=2-2")["Body"].read() == b"b"
    s3.copy_object(Bucket=bucket, Key="b/copy.csv", CopySource={"Bucket": bucket, "Key": "a/one.csv"})
    s3.delete_object(Bucket=bucket, Key="a/one.csv")
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == ["a/two words.csv", "b/copy.csv"]

    assert direct.get_object(Bucket=bucket, Key="b/copy.csv")["Body"].read() == b"a,b\r\n1,2\r\n"
    assert direct.get_object(Bucket=bucket, Key="a/two words.csv")["Body"].read().startswith(b"file-like")
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="a/one.csv")
    assert error_of(missing) == ("NoSuchKey", 404)  # the server's own errors come back as they are

    assert [method for method, _, _ in proxy.requests] == [
        "PUT", "PUT", "GET", "HEAD", "GET", "PUT", "DELETE", "GET", "GET"
    ]  # fmt: skip
    assert proxy.requests[1] == ("PUT", f"/{bucket}/a/two words.csv", 200)
    assert proxy.requests[-1][2] == 404 and proxy.failed == 0


def test_puts_fail_after_some_pass_then_pass_again(proxy, bucket):
    s3 = client(proxy.url)
    proxy.fail(method="PUT", after=1, times=2)
    s3.put_object(Bucket=bucket, Key="k1", Body=b"1")
    assert s3.get_object(Bucket=bucket, Key="k1")["Body"].read() == b"1"  # other methods do not count
    for key in ("k2", "k3"):
        with pytest.raises(ClientError) as raised:
            s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        assert error_of(raised) == ("SlowDown", 503)
        assert raised.value.response["Error"]["Message"] == "Please reduce your request rate."
    s3.put_object(Bucket=bucket, Key="k4", Body=b"4")

    assert proxy.requests == [
        ("PUT", f"/{bucket}/k1", 200),
        ("GET", f"/{bucket}/k1", 200),
        ("PUT", f"/{bucket}/k2", 503),
        ("PUT", f"/{bucket}/k3", 503),
        ("PUT", f"/{bucket}/k4", 200),
    ]
    assert proxy.failed == 2
    assert sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["k1", "k4"]


def test_any_method_and_other_errors_can_fail(proxy, bucket):
    s3 = client(proxy.url)
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    proxy.fail(method=None, times=2, status=500, code="InternalError", message="We encountered an error.")
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="k")
    assert error_of(raised) == ("InternalError", 500)
    with pytest.raises(ClientError) as raised:
        s3.head_object(Bucket=bucket, Key="k")
    assert error_of(raised) == ("500", 500)  # a HEAD answer has no body, so botocore has only the status
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"1"
    assert [status for _, _, status in proxy.requests] == [200, 500, 500, 200]


def test_botocore_absorbs_one_failure_with_its_own_retries(proxy, bucket):
    for config in (None, Config(retries={"mode": "legacy"}), Config(retries={"mode": "standard"})):
        s3 = client(proxy.url, config)
        before = len(proxy.requests)
        proxy.fail(method="PUT", times=1)
        s3.put_object(Bucket=bucket, Key="k", Body=b"retried")
        assert [status for _, _, status in proxy.requests[before:]] == [503, 200]
    assert proxy.failed == 3
    assert client(proxy.url).get_object(Bucket=bucket, Key="k")["Body"].read() == b"retried"


def test_a_failure_for_good_lasts_until_a_new_plan(proxy, bucket):
    s3 = client(proxy.url)
    proxy.fail(times=None)
    for _ in range(3):
        with pytest.raises(ClientError) as raised:
            s3.put_object(Bucket=bucket, Key="k", Body=b"x")
        assert error_of(raised) == ("SlowDown", 503)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0  # reads still pass
    proxy.fail(times=0)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    proxy.fail(times=None)
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="k", Body=b"y")
    proxy.fail(after=1, times=1)  # a new plan replaces the outage
    s3.put_object(Bucket=bucket, Key="k", Body=b"z")
    assert proxy.failed == 4
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"z"


def test_closing_ends_the_endpoint_and_its_open_connections(s3_endpoint, bucket):
    with FlakyS3Endpoint(s3_endpoint) as endpoint:
        s3 = client(endpoint.url)
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")  # the client keeps this connection open
    with pytest.raises(BotoCoreError):  # refused: nothing listens there any more
        s3.get_object(Bucket=bucket, Key="k")
    assert endpoint.requests == [("PUT", f"/{bucket}/k", 200)]


def test_a_chunked_request_body_reaches_the_server_whole(proxy, bucket):
    connection = http.client.HTTPConnection(urlsplit(proxy.url).netloc, timeout=10)
    connection.request("PUT", f"/{bucket}/chunked", body=iter([b"ab", b"cd", b"ef"]), encode_chunked=True)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    assert client(proxy.url).get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"abcdef"
