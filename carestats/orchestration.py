"""Prefect policies shared by every stage: explicit cache keys and retries for transient I/O only."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from carestats.provenance import code_version


class PermanentInputError(Exception):
    """Input that is wrong or absent: reading it again will not help, so it is never retried."""


def cache_key_from(*parameter_names: str) -> Callable[[Any, dict[str, Any]], str]:
    """A Prefect cache_key_fn over the named parameters (their str()) and the code version.

    Only small, meaningful parameters are named (an edition date, an extract's checksums): DataFrames
    are never hashed.
    """

    def key(context: Any, parameters: dict[str, Any]) -> str:
        parts = [context.task.name, code_version(), *(f"{n}={parameters[n]}" for n in parameter_names)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    return key


def retry_transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a failed task unless it failed on bad or missing input."""
    try:
        state.result()
    except (PermanentInputError, FileNotFoundError, ValueError):
        return False
    except Exception:
        return True
    return True
