"""The Prefect API tests run flows against: one test harness for the whole session, across workers too."""

from __future__ import annotations

import contextlib
import os

SHARED_PREFECT_API = "CARESTATS_TEST_PREFECT_API_URL"  # the one harness's API, for tests run in workers


@contextlib.contextmanager
def prefect_api():
    """The shared harness's API when a worker runs the tests, else a harness of this process's own."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    if os.environ.get(SHARED_PREFECT_API):
        with temporary_settings(updates={PREFECT_API_URL: os.environ[SHARED_PREFECT_API]}):
            yield
    else:
        with prefect_test_harness(server_startup_timeout=120):
            yield
