"""The failures carestats expects, by kind: what a person can act on, never retried, each with its exit code.

Every flow and step raises one of these for a failure it foresees (bad or missing input, a quality gate
that blocks), so that retries, the CLI's one-line messages and its exit codes are decided by kind, in
one place, rather than by catching each module's own exception.
"""

from __future__ import annotations


class BadInputError(ValueError):
    """Input that is wrong: reading it again will not help, so it is never retried (CLI exit code 2)."""


class MissingInputError(BadInputError, FileNotFoundError):
    """Input that is not there (an extract not yet landed, a file not found): never retried (exit code 2)."""


class QualityGateBlocked(RuntimeError):
    """A quality gate found a critical failure: nothing was published (CLI exit code 1)."""


class PartlyDone(RuntimeError):
    """A batch in which some items failed and the rest completed (a backfill's editions): the message says
    which failed and why (CLI exit code 4).
    """
