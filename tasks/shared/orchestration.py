"""What a run tells the Prefect server about itself: the parameters it resolved, and the subject it holds.

A deployment's bare run (`as_at` left empty) resolves its defaults when it starts; recording them on the
flow run makes the UI, the run's alerts and a later "run again with the same parameters" show what really
ran. A subject two runs must never work on at once (an edition of the Datastore) is held through a Prefect
global concurrency limit of one slot named for it: the second run waits, then is refused with a message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

from prefect.concurrency.sync import concurrency
from prefect.logging import get_run_logger

from carestats.errors import BadInputError


class SubjectBusy(BadInputError):
    """Another run held the subject for longer than this run would wait: nothing was done."""


def record_parameters(**resolved: Any) -> None:
    """Write the values a run resolved for its empty parameters onto its flow run, beside those it was given.

    Outside a flow run (a plain call in a test) there is nothing to record.
    """
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    if not flow_run.id:
        return
    given = dict(flow_run.parameters or {})
    parameters = {**given, **{name: _as_json(value) for name, value in resolved.items()}}
    if parameters == given:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run.id, parameters=parameters)


def _as_json(value: Any) -> Any:
    """A parameter as the API stores it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def lock_name(subject: str, place: str) -> str:
    """The concurrency limit's name: the subject, readable in the UI, and a short digest of where it lives
    (the lake), so the same edition in two lakes is two subjects."""
    return f"{subject}.in-{hashlib.sha256(place.encode()).hexdigest()[:8]}"


@contextlib.contextmanager
def held_exclusively(subject: str, place: str, wait_seconds: float) -> Iterator[None]:
    """Hold `subject` (in `place`) alone for the block: a second run waits up to `wait_seconds`, then stops
    with SubjectBusy. The lease is the server's: a crashed holder frees it when the lease lapses."""
    name = lock_name(subject, place)
    _ensure_limit(name)
    slot = concurrency(name, occupy=1, timeout_seconds=wait_seconds, strict=True)
    try:
        slot.__enter__()
    except TimeoutError:
        raise SubjectBusy(
            f"{subject} is being worked on by another run (concurrency limit {name} held for over "
            f"{wait_seconds:g} s): nothing was done; run again once that run has finished"
        ) from None
    get_run_logger().info("Holding %s: another run of %s waits until this one is done", name, subject)
    with contextlib.ExitStack() as release:
        release.push(slot)
        yield


def _ensure_limit(name: str) -> None:
    """The one-slot limit named `name`, made when missing (two runs making it at once both find it made)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
        except Exception:  # made by the other run in the meantime, or a real failure the read below raises
            client.read_global_concurrency_limit_by_name(name)
