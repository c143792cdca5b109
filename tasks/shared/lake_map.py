"""The map of the lake: every folder and file carestats reads or writes, named in this one module.

The lake (a folder locally, an S3 prefix in production) has eight areas:

- landing/     what other systems drop for us (register extracts, annual-return exports);
- received/    an immutable copy of every file version taken from landing, named by its sha256;
- quarantine/  a copy of every input that could not be used, with problems.json saying why;
- quality/     the quality report of anything a gate blocked (a passing report travels with its subject);
- curated/     checked, typed data that later flows build on (accepted annual returns);
- publish/     what the public reads: one folder per edition (Datastore) or return year (statistics), a
               manifest in each, latest.json beside them;
- deliveries/  what we send to a partner (the SSSC's staffing extract, when no target is set) and its log;
- reports/     internal reports for the regulator's staff, never published (compliance, reminders, the
               inspection benchmarks and service profiles).

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
RECEIVED = "received"
REPORTS = "reports"

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

    SIMULATED = "simulated.json"  # written beside the tables by the simulator, never by the real system

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

    DATAPACKAGE = "datapackage.json"  # in every edition: a Frictionless Data Package descriptor of its files

    REVISIONS = f"{AREA}/revisions"  # <as_at>/revision-NNN under here: each replaced year-end revision

    def revision(self, number: int) -> str:
        """publish/datastore/revisions/<as_at>/revision-NNN: a year-end snapshot's revision once a later one
        replaced it in the edition's folder; kept whole, manifest included, and never rewritten.
        """
        return f"{self.REVISIONS}/{self.stamp}/revision-{number:03d}"

    @property
    def revisions(self) -> str:
        """publish/datastore/revisions/<as_at>: the replaced revisions of this year-end snapshot."""
        return f"{self.REVISIONS}/{self.stamp}"


@dataclass(frozen=True)
class Catalogue:
    """The public catalogue of editions: a static page and its JSON, at the root of the publish area.

    Both are rebuilt from the editions' manifests after every publication; links in them are relative to
    the publish area, so the page works from a plain folder and from an S3 static website alike.
    """

    AREA = PUBLISH
    PAGE = "index.html"
    JSON = "catalogue.json"

    @classmethod
    def key(cls, name: str) -> str:
        """publish/<name>: where the page or its JSON lives in the lake."""
        return f"{cls.AREA}/{name}"


@dataclass(frozen=True)
class AnnualReturns:
    """Where one return year's annual returns land, are kept, curated, quarantined and reported on."""

    return_year: int

    AREA = "annual-returns"
    CURATED_AREA = f"{CURATED}/{AREA}"  # one folder per return year under here

    @property
    def landing(self) -> str:
        """landing/annual-returns/<year>: the forms system's export files (CSV or XLSX), as it drops them."""
        return f"{LANDING}/{self.AREA}/{self.return_year}"

    def received(self, sha256: str, file_name: str) -> str:
        """received/annual-returns/<year>/<sha256>/<file name>: a file version's raw copy, never rewritten."""
        return f"{RECEIVED}/{self.AREA}/{self.return_year}/{sha256}/{file_name}"

    @property
    def ingested(self) -> str:
        """curated/annual-returns/<year>/ingested: per file version, its accepted rows and its record."""
        return f"{self.CURATED_AREA}/{self.return_year}/ingested"

    def ingested_rows(self, sha256: str) -> str:
        """The accepted returns of one file version (Parquet), written before its record."""
        return f"{self.ingested}/{sha256}.parquet"

    def ingested_record(self, sha256: str) -> str:
        """What became of every row of one file version; written last, its presence means "ingested"."""
        return f"{self.ingested}/{sha256}.json"

    @property
    def store_area(self) -> str:
        """curated/annual-returns/<year>: the parent of the published store folder."""
        return f"{self.CURATED_AREA}/{self.return_year}"

    STORE = "store"  # the folder swapped in whole on every run: returns, staffing, accounting, manifest
    RETURNS = "returns.parquet"  # every accepted submission, Current marking the one that counts
    STAFFING = "staffing.parquet"  # one row per accepted submission and job role
    ACCOUNTING = "accounting.json"  # where every row received went: current, superseded, quarantined

    @property
    def store(self) -> str:
        """curated/annual-returns/<year>/store: the curated returns later flows read."""
        return f"{self.store_area}/{self.STORE}"

    def quarantine(self, sha256: str, file_name: str) -> str:
        """quarantine/annual-returns/<year>/<file name>-<sha256 prefix>: a file's copy and its problems."""
        return f"{QUARANTINE}/{self.AREA}/{self.return_year}/{file_name}-{sha256[:12]}"

    @property
    def reports(self) -> str:
        """reports/annual-returns/<year>: compliance reports and reminder lists (internal)."""
        return f"{REPORTS}/{self.AREA}/{self.return_year}"

    def compliance(self, as_at: dt.date) -> str:
        """The compliance report as at a day: every service that must submit and has not."""
        return f"{self.reports}/compliance_{as_at.isoformat()}.csv"

    def compliance_by(self, group: str, as_at: dt.date) -> str:
        """The compliance table by provider or council area as at a day."""
        return f"{self.reports}/compliance_by_{group}_{as_at.isoformat()}.csv"

    def reminders(self, as_at: dt.date) -> str:
        """The reminder list as at a day: per provider, the services outstanding and their contact e-mail."""
        return f"{self.reports}/reminders_{as_at.isoformat()}.csv"


@dataclass(frozen=True)
class SsscDelivery:
    """Where the SSSC staffing extract of one return year is delivered, its files' names, and the log.

    Keys of the delivery are relative to the target (CARESTATS_SSSC_TARGET: the SSSC's bucket, or a
    folder); without one the target is deliveries/sssc in the lake. Each delivery of new content is a
    folder of its own, <year>/delivery-NNN, swapped in whole with its manifest last; <year>/latest.json
    names the newest.
    """

    return_year: int

    DEFAULT_TARGET = f"{DELIVERIES}/sssc"  # in the lake, when no target is set
    LOG = f"{DELIVERIES}/sssc-delivery-log.jsonl"  # in the lake: every delivery, what went where and when

    @property
    def area(self) -> str:
        """<year> under the target: one folder per delivery, and latest.json."""
        return str(self.return_year)

    @staticmethod
    def delivery(number: int) -> str:
        """A delivery's folder name (delivery-001): numbered so that names sort in delivery order."""
        return f"delivery-{number:03d}"

    @property
    def extract(self) -> str:
        """The record-level staffing extract: one row per service and job role."""
        return f"sssc_staffing_{self.return_year}.csv"

    def table(self, name: str) -> str:
        """One aggregate table (by_sub_sector_and_employer_type, ...)."""
        return f"sssc_table_{name}_{self.return_year}.csv"

    @property
    def disclosure_report(self) -> str:
        """What disclosure control did and found: k, coarsening, suppression, the linkage check."""
        return f"disclosure_report_{self.return_year}.json"

    @property
    def notes(self) -> str:
        """Every column's definition, the rounding and the symbols, in words."""
        return f"notes_{self.return_year}.txt"

    @property
    def quality_report(self) -> ReportPlace:
        """The gate's report on the delivery, kept in quality/sssc/<year> whatever the verdict."""
        return ReportPlace(
            f"{QUALITY}/sssc/{self.return_year}", f"quality_sssc_{self.return_year}", always=True
        )


@dataclass(frozen=True)
class InspectionBenchmarks:
    """Where one return year's staffing benchmarks for inspectors are kept: internal reports, never published.

    The table (CSV and workbook) is a folder swapped in whole with its manifest, <year>/ under AREA, with
    latest.json beside it. Profiles are pages rendered from that table, one per service, under PROFILES:
    the flow renders those that stand out most, `carestats service-profile` any other when asked; both
    carry the sha256 of the table's manifest they were drawn from, and a changed table clears them.
    """

    return_year: int

    AREA = f"{REPORTS}/inspection-benchmarks"  # one folder per return year under here, and latest.json
    PROFILES = f"{REPORTS}/inspection-benchmarks/profiles"  # <year>/<CS number>.html and <year>/index.html

    @property
    def name(self) -> str:
        """The table's folder name: the return year."""
        return str(self.return_year)

    @property
    def folder(self) -> str:
        """reports/inspection-benchmarks/<year>: the inspector table, swapped in whole."""
        return f"{self.AREA}/{self.name}"

    @property
    def table(self) -> str:
        """Every service with a current return, its indicators beside its peers' and the nation's."""
        return f"benchmarks_{self.return_year}.csv"

    @property
    def workbook(self) -> str:
        """The same table as an Excel workbook, with a definitions sheet."""
        return f"benchmarks_{self.return_year}.xlsx"

    @property
    def profiles(self) -> str:
        """reports/inspection-benchmarks/profiles/<year>: one page per service, and index.html."""
        return f"{self.PROFILES}/{self.return_year}"

    def profile(self, cs_number: str) -> str:
        """The one-page profile of a service, named by its CS number."""
        return f"{self.profiles}/{cs_number}.html"

    @property
    def index(self) -> str:
        """The page that finds any service by CS number and links to its profile."""
        return f"{self.profiles}/index.html"


@dataclass(frozen=True)
class ReturnStatistics:
    """Where the statistics published from one return year's annual returns live: tables, workbook, bulletin.

    One folder per return year under AREA, swapped in whole with its manifest, and latest.json beside them.
    """

    return_year: int

    AREA = f"{PUBLISH}/statistics"

    @property
    def name(self) -> str:
        """The publication's folder name: the return year."""
        return str(self.return_year)

    @property
    def folder(self) -> str:
        """publish/statistics/<year>: every file of the year's publication."""
        return f"{self.AREA}/{self.name}"

    def table(self, name: str) -> str:
        """One published table as CSV (vacancies_by_service_type_and_sector, ...)."""
        return f"staff_vacancies_{self.return_year}_{name}.csv"

    @property
    def workbook(self) -> str:
        """Every table in one accessible spreadsheet: cover sheet, contents, notes, one table per sheet."""
        return f"staff_vacancies_{self.return_year}.xlsx"

    @property
    def bulletin(self) -> str:
        """The short HTML bulletin with charts; every number in it comes from the tables."""
        return f"staff_vacancies_{self.return_year}.html"

    @property
    def quality_report(self) -> ReportPlace:
        """The gate's report on the publication, kept in quality/statistics/<year> whatever the verdict."""
        return ReportPlace(
            f"{QUALITY}/statistics/{self.return_year}", f"quality_statistics_{self.return_year}", always=True
        )
