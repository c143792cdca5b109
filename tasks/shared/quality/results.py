"""What a quality gate found: the failures, the checks it skipped and why, and the verdict.

A QualityReport is plain data (no GX objects), so it can be written as JSON and HTML beside what it
judged, shown as a Prefect artifact, and compared byte for byte between reruns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Failure:
    """One expectation that failed: where, how many rows, and why it matters."""

    expectation: (
        str  # the suite entry's meta.id, e.g. "rule: gradespread_matches_grades" or "CSNumber: format"
    )
    type: str  # the GX expectation type
    column: str | None
    severity: str  # critical or warning
    failing_count: int
    lines: list[int]  # lines in the file, the header being line 1; empty for table-level expectations
    reason: str = ""
    detail: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)
    # The failing rows by what names them (CS number and service name) as well as by line, e.g.
    # "line 5253: CS2003001234 Ashgrove House"; at most NAMED_ROWS of them.
    rows: list[str] = field(default_factory=list)
    # "rows": these rows (services) break it; "file": every value of the column does, so it is the file's
    # format (a third party's copy: ISO dates, TRUE for counts), not a defect of the services.
    scope: str = "rows"


@dataclass(frozen=True)
class Skipped:
    """An expectation not evaluated on this input, and why (a column the file lacks, no edition date)."""

    expectation: str
    column: str | None
    reason: str


@dataclass
class QualityReport:
    """The verdict of one suite on one subject: critical failures block, warnings are reported."""

    suite: str
    subject: str
    as_at: str | None
    rows: int
    evaluated: int
    failures: list[Failure]
    skipped: list[Skipped] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    unexpected_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def critical(self) -> list[Failure]:
        """The failures that stop a publication."""
        return [f for f in self.failures if f.severity == "critical"]

    @property
    def warnings(self) -> list[Failure]:
        """The failures that are reported and let the run go on."""
        return [f for f in self.failures if f.severity != "critical"]

    @property
    def passed(self) -> bool:
        """True when no critical expectation failed."""
        return not self.critical

    @property
    def status(self) -> str:
        """passed, passed with warnings, or failed."""
        if self.critical:
            return "failed"
        return "passed with warnings" if self.warnings else "passed"

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, its status first."""
        return {"status": self.status, **asdict(self)}
