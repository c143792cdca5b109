"""A run records the parameters it resolved and holds its subject alone, against a real Prefect API."""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
import time

from prefect import flow
from prefect.client.orchestration import get_client

from tasks.shared.orchestration import SubjectBusy, held_exclusively, lock_name, record_parameters


@flow(flow_run_name="resolving-{as_at}")
def resolving(as_at: dt.date | None = None, note: str = "given") -> str:
    as_at = as_at or dt.date(2025, 8, 31)
    record_parameters(as_at=as_at)
    from prefect.runtime import flow_run

    return str(flow_run.id)


def test_a_bare_run_shows_the_parameters_it_resolved(prefect_harness):
    run_id = resolving(note="kept")
    with get_client(sync_client=True) as client:
        recorded = client.read_flow_run(run_id).parameters
    assert recorded == {"as_at": "2025-08-31", "note": "kept"}


def test_a_given_parameter_is_recorded_as_given(prefect_harness):
    run_id = resolving(as_at=dt.date(2024, 3, 31))
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).parameters["as_at"] == "2024-03-31"


@flow
def holding(subject: str, place: str, hold_for: float, wait_seconds: float) -> tuple[float, float]:
    with held_exclusively(subject, place, wait_seconds):
        started = time.monotonic()
        time.sleep(hold_for)
        return started, time.monotonic()


# Met by two runs at once only if neither waits for the other's hold to end.
BOTH_HOLDING = threading.Barrier(2)


@flow
def holding_until_both_hold(
    subject: str, place: str, hold_for: float, wait_seconds: float
) -> tuple[float, float]:
    with held_exclusively(subject, place, wait_seconds):
        started = time.monotonic()
        BOTH_HOLDING.wait(timeout=hold_for)  # broken, and the run failed, when the other cannot hold too
        return started, time.monotonic()


def run_together(subject: str, places: tuple[str, str], hold_for: float, wait_seconds: float, run=holding):
    """Two runs of `run` started at once, each holding `subject` in its place; their spans and errors."""
    spans, errors = [], []

    def one(place):
        try:
            spans.append(run(subject, place, hold_for, wait_seconds))
        except Exception as error:  # noqa: BLE001 - the test looks at what each run raised
            errors.append(error)

    # Each thread in a copy of this one's context: the session's Prefect settings (its API) live there.
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(one, place)) for place in places]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(spans), errors


def test_two_runs_of_one_subject_never_overlap(prefect_harness, tmp_path):
    # the wait is long: under load, a slot's release can take a while to reach the waiting run
    spans, errors = run_together("datastore-2031-01-31", (str(tmp_path),) * 2, hold_for=1.5, wait_seconds=180)
    assert errors == []
    (_, first_end), (second_start, _) = spans
    assert second_start >= first_end


def test_the_same_edition_in_two_lakes_is_two_subjects(prefect_harness, tmp_path):
    assert lock_name("datastore-2031-02-28", "a") != lock_name("datastore-2031-02-28", "b")
    places = (str(tmp_path / "a"), str(tmp_path / "b"))
    spans, errors = run_together(
        "datastore-2031-02-28", places, hold_for=90, wait_seconds=30, run=holding_until_both_hold
    )
    assert errors == []  # each held its subject and met the other holding its own: neither waited
    (_, first_end), (second_start, _) = spans
    assert second_start < first_end


def test_a_run_that_waits_too_long_is_refused_and_says_why(prefect_harness, tmp_path):
    spans, errors = run_together("datastore-2031-03-31", (str(tmp_path),) * 2, hold_for=4, wait_seconds=1)
    assert len(spans) == 1 and len(errors) == 1
    assert isinstance(errors[0], SubjectBusy)
    assert "datastore-2031-03-31 is being worked on by another run" in str(errors[0])
