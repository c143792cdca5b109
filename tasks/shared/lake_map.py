"""The map of the lake: every folder and file carestats reads or writes, named in this one module.

The lake (a folder locally, an S3 prefix in production) has six areas:

- landing/     what other systems drop for us, kept as received (register extracts, annual-return exports);
- quarantine/  a copy of every input that could not be used, with problems.json saying why;
- quality/     the quality report of anything a gate blocked (a passing report travels with its subject);
- curated/     checked, typed data that later flows build on (accepted annual returns);
- publish/     what the public reads: one folder per edition, a manifest in each, latest.json beside them;
- deliveries/  what we send to a partner (the SSSC's staffing extract).

Keys are '/'-separated paths relative to the lake root. A flow asks this module where a thing lives and
never spells a path itself, so a folder can be renamed in one place and every reader follows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

LANDING = "landing"
QUARANTINE = "quarantine"
QUALITY = "quality"
CURATED = "curated"
PUBLISH = "publish"
DELIVERIES = "deliveries"

MANIFEST = "manifest.json"  # in every published folder: what it holds, with the sha256 of every file
LATEST = "latest.json"  # beside a publication's folders: which one is current
PROBLEMS = "problems.json"  # in every quarantine folder: what was wrong, by file, line and field


@dataclass(frozen=True)
class ReportPlace:
    """Where a quality gate keeps its report: a folder, a file name stem (.json and .html), and when.

    A report kept `always` stays in quality/ whatever the verdict (an input's record); one kept only
    `when blocked` normally travels inside the publication it judged and lands in quality/ only when
    the gate stopped that publication.
    """

    folder: str
    stem: str
    always: bool


@dataclass(frozen=True)
class RegisterExtract:
    """Where one register extract lands, and where it goes when it cannot be used."""

    extract_date: dt.date

    AREA = f"{LANDING}/register"  # one folder per extract date under here

    @property
    def folder(self) -> str:
        """landing/register/<extract date>: the tables as the operational system lands them."""
        return f"{self.AREA}/{self.extract_date.isoformat()}"

    def table(self, name: str) -> str:
        """The key of one extract table (services, gradings, ...)."""
        return f"{self.folder}/{name}.csv"

    @property
    def quarantine(self) -> str:
        """quarantine/register/<extract date>: a copy of an extract that could not be read."""
        return f"{QUARANTINE}/register/{self.extract_date.isoformat()}"


@dataclass(frozen=True)
class DatastoreEdition:
    """Where one monthly Datastore edition is published, and the name of each of its files."""

    as_at: dt.date

    AREA = f"{PUBLISH}/datastore"  # one folder per edition date under here, and latest.json

    @property
    def stamp(self) -> str:
        """The edition date as it appears in folder and file names (2025-08-31)."""
        return self.as_at.isoformat()

    @property
    def folder(self) -> str:
        """publish/datastore/<as_at>: the edition's files, swapped in whole."""
        return f"{self.AREA}/{self.stamp}"

    @property
    def csv(self) -> str:
        """The edition itself: every registered service."""
        return f"datastore_{self.stamp}.csv"

    @property
    def workbook(self) -> str:
        """The edition as an Excel workbook with pivot tables."""
        return f"datastore_{self.stamp}.xlsx"

    @property
    def definitions(self) -> str:
        """What every column means, from the data dictionary."""
        return f"definitions_{self.stamp}.csv"

    @property
    def changes(self) -> str:
        """Services registered, cancelled and changed since the previous edition."""
        return f"changes_{self.stamp}.csv"

    @property
    def quality_report(self) -> ReportPlace:
        """quality_<as_at>.json and .html: published with the edition, or kept in quality/datastore/<as_at>/
        when the gate blocked it."""
        return ReportPlace(f"{QUALITY}/datastore/{self.stamp}", f"quality_{self.stamp}", always=False)
