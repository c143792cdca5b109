"""Policies shared by every stage: explicit cache keys, retries for transient I/O only, freed memory handed back."""

from __future__ import annotations

import ctypes
import ctypes.util
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


def return_freed_memory() -> None:
    """Hand the memory of frames a run has dropped back to the system.

    Arrow's allocator and glibc's keep freed pages for reuse. After the register is dropped that is
    gigabytes which the next stage, allocating through the other one, cannot use: measured at 100x,
    2 GB held for nothing, enough to double the run's peak.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if hasattr(libc, "malloc_trim"):  # glibc only
        libc.malloc_trim(0)
