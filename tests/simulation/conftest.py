"""Fixtures for the simulator's tests: the default simulated history, built once per test process."""

import pytest

from simulation.history import RegisterHistory, simulate_history


@pytest.fixture(scope="session")
def history() -> RegisterHistory:
    """The default simulation (seed 2025, scale 1.0), as `carestats simulate` and the demo use it."""
    return simulate_history(seed=2025, scale=1.0)
