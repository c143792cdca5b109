"""boto3 S3 clients for S3Lake(client=...) that watch or break a publication, over real HTTP to moto.

Each wraps a real client and passes every call through to it; nothing in boto3 is patched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CHANGING_CALLS = ("put_object", "copy_object", "delete_object")


class PassThroughClient:
    """A real boto3 S3 client, every attribute passed through: the base of the clients below."""

    def __init__(self, client: Any):
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


class WatchedClient(PassThroughClient):
    """After every call that changes the bucket, `after_change(operation, key)` runs: a test looks at the
    bucket as a reader would at that moment, or checks what was just written.
    """

    def __init__(self, client: Any, after_change: Callable[[str, str], None]):
        super().__init__(client)
        self.after_change = after_change

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.client, name)
        if name not in CHANGING_CALLS:
            return call

        def watched(**kwargs: Any) -> Any:
            result = call(**kwargs)
            self.after_change(name, kwargs["Key"])
            return result

        return watched


class FailingCopies(PassThroughClient):
    """Server-side copies fail from the nth on (only the nth when `once`): the copy is sent to the server
    from a source that is not there, so the error is the server's own (NoSuchKey), as a lost or denied
    source would be.
    """

    def __init__(self, client: Any, nth: int, once: bool):
        super().__init__(client)
        self.nth, self.once, self.copies = nth, once, 0

    def copy_object(self, **kwargs: Any) -> Any:
        """Copy as asked, unless this is a copy that must fail."""
        self.copies += 1
        failing = self.copies == self.nth or (self.copies > self.nth and not self.once)
        if failing:
            kwargs["CopySource"] = {**kwargs["CopySource"], "Key": "no/such/source"}
        return self.client.copy_object(**kwargs)
