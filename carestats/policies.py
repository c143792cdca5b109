"""Prefect policies every flow shares: a named cache policy, retries for transient I/O only, freed memory.

Retries are an allow-list: a task is retried only when it failed on something that may work a moment
later (a dropped connection, a timeout, S3 throttling or a 5xx). Everything else (bad input, a code bug,
an access denial) fails at once, so a run says what is wrong instead of repeating it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prefect.cache_policies import CachePolicy

from carestats.provenance import code_version

if TYPE_CHECKING:
    from prefect import Task
    from prefect.client.schemas.objects import State, TaskRun
    from prefect.context import TaskRunContext

# S3 error codes that mean "slow down or try again", whatever their HTTP status.
TRANSIENT_S3_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "InternalError",
        "ServiceUnavailable",
    }
)


@dataclass
class KeyedOnParameters(CachePolicy):
    """A cache key from a task's named small parameters and the code version, never from a DataFrame.

    A task is cached on what names its inputs (an edition date, a CSV's sha256), so a rerun on the same
    inputs and code takes the stored result, and any change of code makes a new key.
    """

    parameters: tuple[str, ...] = ()

    def compute_key(
        self, task_ctx: TaskRunContext, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str:
        """The sha256 of the task's name, the code version and each named parameter's text."""
        parts = [task_ctx.task.name, code_version(), *(f"{name}={inputs[name]}" for name in self.parameters)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


# The workbook is a pure function of the edition's CSV (named by its sha256), its date, its change counts and
# whether the data is simulated, and the costliest file to make: a rerun of an unchanged edition takes it
# from result storage.
WORKBOOK_BY_EDITION_CSV = KeyedOnParameters(parameters=("as_at", "csv_sha256", "changes", "simulated"))


# An edition of a backfill is a function of its lake, date, register extract (named by every file's sha256),
# the previous month's extract, the annual returns' store manifests, its options and the code version: an
# edition whose inputs and code are unchanged is skipped, never rebuilt.
EDITION_BY_INPUTS = KeyedOnParameters(
    parameters=("lake", "as_at", "extract", "previous_extract", "returns", "workbook", "row_count_tolerance")
)


def is_transient(error: BaseException) -> bool:
    """Whether an error may go away on its own: a lost connection, a timeout, S3 throttling or a 5xx."""
    from botocore.exceptions import ClientError, HTTPClientError, IncompleteReadError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(
        error, (BotoConnectionError, HTTPClientError, IncompleteReadError, ConnectionError, TimeoutError)
    ):
        return True
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code in TRANSIENT_S3_CODES or status >= 500
    return False


def retry_transient_only(task: Task, task_run: TaskRun, state: State) -> bool:
    """Prefect's retry condition: retry a failed task only when its error is transient (see is_transient)."""
    try:
        state.result()
    except Exception as error:  # the task's own exception, as Prefect re-raises it
        return is_transient(error)
    return False


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
