"""The data dictionary (expectations/data_dictionary.yaml), loaded once and expanded for an edition.

Everything that names, orders, types or describes a published field reads it through this module, so
the CSV header, the definitions file, the workbook and the quality suites cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DICTIONARY_PATH = Path(__file__).resolve().parent.parent / "expectations" / "data_dictionary.yaml"
FINANCIAL_YEAR_PLACEHOLDER = "{fy}"
ROLE_PLACEHOLDER = "{role}"
INDICATOR_PLACEHOLDER = "{indicator}"


@dataclass(frozen=True)
class Column:
    """One published column, with any {fy} placeholder already filled in."""

    name: str
    type: str
    definition: str
    allowed: tuple[Any, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    unique: bool = False
    withheld: bool = False
    blank_for: tuple[str, ...] = ()
    template: str | None = (
        None  # the dictionary's name for an expanded column, e.g. Complaints_upheld_{fy} or {role}_WTE
    )
    vacancy_question: bool = False  # an annual-return question childminders are not asked
    staffing: str | None = None  # the staffing measure of an annual-return grid column (headcount, wte, ...)
    role: str | None = None  # the job role of an annual-return grid column
    allowed_items: tuple[str, ...] | None = None  # a list answer: each "; "-separated item from these

    @property
    def disclosure_note(self) -> str:
        """What the definitions say about disclosure: always withheld, blank for some services, or nothing."""
        if self.withheld:
            return "Withheld: always blank in published files."
        if self.blank_for:
            return "Blank for " + " and ".join(g.replace("_", " ") for g in self.blank_for) + "."
        return ""


@dataclass(frozen=True)
class Publisher:
    """Who publishes the Datastore and how to reach them, as every published file names them."""

    name: str
    team: str
    email: str
    phone: str
    website: str
    source: str
    licence_url: str

    @property
    def contact(self) -> str:
        """One line a reader can act on: the team, its e-mail address and its phone number."""
        return f"{self.name} {self.team}: {self.email}, {self.phone}."


@dataclass(frozen=True)
class ExtractTable:
    """One register extract table as the dictionary describes it: what it holds, its key and its columns."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: dict[str, dict[str, Any]]

    @property
    def required_columns(self) -> list[str]:
        """The columns that must have a value in every row."""
        return [c for c, spec in self.columns.items() if spec.get("required")]

    def columns_of_type(self, kind: str) -> list[str]:
        """The table's columns of one type (text, integer, decimal, date or flag)."""
        return [c for c, spec in self.columns.items() if spec.get("type") == kind]


@dataclass(frozen=True)
class DataDictionary:
    """The dictionary as loaded: reference lists, extract tables, published columns and lookups on them."""

    raw: dict[str, Any] = field(repr=False)

    @property
    def reference(self) -> dict[str, Any]:
        """The official lists (council areas, health boards, care services, grades) values must come from."""
        return self.raw["reference"]

    @property
    def council_areas(self) -> list[str]:
        """The 32 official council area names, which every spelling in an extract is mapped to."""
        return list(self.reference["council_areas"])

    @property
    def health_boards(self) -> list[str]:
        """The official health board names."""
        return list(self.reference["health_boards"])

    @property
    def care_services(self) -> dict[str, dict[str, Any]]:
        """Each care service with its kind, client group and subtypes, and what a subtype changes."""
        return self.reference["care_services"]

    @property
    def key_questions(self) -> list[str]:
        """Every key question a service can be graded on, in publication order."""
        return list(self.reference["key_questions"])

    @property
    def subtypes(self) -> list[str]:
        """Every subtype of every care service: the values a Subtype may take."""
        return [s for spec in self.care_services.values() for s in spec.get("subtypes", [])]

    @property
    def grades(self) -> list[int]:
        """The grades a key question can be given, lowest first (1 Unsatisfactory to 6 Excellent)."""
        return sorted(self.reference["grades"])

    def graded_key_questions(self, care_service: str, subtype: str | None = None) -> list[str]:
        """The key questions a service of this type (and subtype) is graded on."""
        spec = self.care_services[care_service]
        by_subtype = spec.get("subtype_graded_key_questions", {})
        if subtype in by_subtype:
            return list(by_subtype[subtype])
        return list(self.reference["graded_key_questions"][spec["kind"]])

    def occasionally_graded_key_questions(self, care_service: str, subtype: str | None = None) -> list[str]:
        """The key questions a few services of this type are graded on although most are not
        (services with a building base on setting): allowed, but not expected.
        """
        spec = self.care_services[care_service]
        by_subtype = spec.get("subtype_occasionally_graded_key_questions", {})
        if subtype in by_subtype:
            return list(by_subtype[subtype])
        return list(self.reference.get("occasionally_graded_key_questions", {}).get(spec["kind"], []))

    def client_group(self, care_service: str, subtype: str | None = None) -> str:
        """Whether a service of this type (and subtype) is for adults or for children."""
        spec = self.care_services[care_service]
        return spec.get("subtype_client_group", {}).get(subtype, spec["client_group"])

    def extract_table(self, name: str) -> ExtractTable:
        """One register extract table by name (services, gradings, ...)."""
        spec = self.raw["register_extract"][name]
        return ExtractTable(name, spec["description"], tuple(spec["key"]), spec["columns"])

    @property
    def extract_tables(self) -> list[str]:
        """The names of the tables every register extract must hold."""
        return list(self.raw["register_extract"])

    @property
    def disclosure_groups(self) -> dict[str, dict[str, list[str]]]:
        """The groups of services disclosure rules refer to (childminders, children's care homes), by name."""
        return self.raw["datastore"]["disclosure_groups"]

    @property
    def datastore_title(self) -> str:
        """The Datastore's published title, as the workbook's cover and properties give it."""
        return self.raw["datastore"]["title"]

    @property
    def publisher(self) -> Publisher:
        """Who publishes the Datastore, its contact details, the data's source and the licence's address."""
        return Publisher(**self.raw["publisher"])

    @property
    def licence(self) -> str:
        """The licence the Datastore is published under, as the workbook's cover names it."""
        return self.raw["datastore"]["licence"]

    def allowed_values(self, allowed: Any) -> tuple[Any, ...] | None:
        """Resolve an `allowed` entry: a literal list, or the name of a reference list."""
        if allowed is None:
            return None
        if isinstance(allowed, list):
            return tuple(allowed)
        named = {
            "care_services": list(self.care_services),
            "subtypes": self.subtypes,
            "grades": self.grades,
        }
        values = named.get(allowed, self.reference.get(allowed))
        if values is None:
            raise KeyError(f"data dictionary: no reference list called {allowed!r}")
        return tuple(values)

    def datastore_columns(self, as_at: dt.date | None = None) -> list[Column]:
        """Published columns in order; financial-year groups expand for the edition date.

        Without an edition date the groups stay as templates (e.g. Complaints_upheld_{fy}), which is
        how a file of unknown date is described.
        """
        columns: list[Column] = []
        for spec in self.raw["datastore"]["columns"]:
            if FINANCIAL_YEAR_PLACEHOLDER in spec["name"] and as_at is not None:
                for fy in financial_years(as_at):
                    columns.append(self._column(spec, fy))
            else:
                columns.append(self._column(spec, None))
        return columns

    def datastore_column_names(self, as_at: dt.date | None = None) -> list[str]:
        """The published column names in order: the header of an edition's CSV."""
        return [c.name for c in self.datastore_columns(as_at)]

    def _column(self, spec: dict[str, Any], fy: str | None) -> Column:
        disclosure = spec.get("disclosure")
        name, definition = spec["name"], spec["definition"]
        template = None
        if fy is not None:
            template = name
            name = name.replace(FINANCIAL_YEAR_PLACEHOLDER, fy)
            definition = definition.replace("{fy_long}", financial_year_long(fy))
        else:
            definition = definition.replace("{fy_long}", "YYYY-YY")
        return Column(
            name=name,
            type=spec["type"],
            definition=definition,
            allowed=self.allowed_values(spec.get("allowed")),
            pattern=spec.get("pattern"),
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
            required=bool(spec.get("required", False)),
            unique=bool(spec.get("unique", False)),
            withheld=disclosure == "withheld",
            blank_for=tuple(disclosure.get("blank_for", ())) if isinstance(disclosure, dict) else (),
            template=template,
        )

    @property
    def job_roles(self) -> dict[str, str]:
        """The annual return's job roles in grid order, each with what it covers."""
        return dict(self.raw["annual_return"]["job_roles"])

    @property
    def annual_return_title(self) -> str:
        """The annual return's name, as reports and reminders give it."""
        return self.raw["annual_return"]["title"]

    def annual_return_columns(self) -> list[Column]:
        """An annual-return export's columns in order, the staffing grid expanded per job role."""
        columns: list[Column] = []
        for spec in self.raw["annual_return"]["columns"]:
            if ROLE_PLACEHOLDER in spec["name"]:
                columns += [self._return_column(spec, role) for role in self.job_roles]
            else:
                columns.append(self._return_column(spec, None))
        return columns

    def curated_return_columns(self) -> list[Column]:
        """What the curated store adds to every accepted return (its total WTE, late, current, source)."""
        return [self._return_column(spec, None) for spec in self.raw["annual_return"]["curated_columns"]]

    def not_asked_vacancy_questions(self) -> dict[str, list[str]]:
        """The services (by column and values) that are not asked the vacancy questions: childminders."""
        return dict(self.raw["annual_return"]["not_asked_vacancy_questions"])

    def _return_column(self, spec: dict[str, Any], role: str | None) -> Column:
        name, definition, template = spec["name"], spec["definition"], None
        if role is not None:
            template = name
            name = name.replace(ROLE_PLACEHOLDER, role)
            definition = definition.replace("{role_definition}", self.job_roles[role].rstrip("."))
        items = spec.get("allowed_items")
        return dataclasses.replace(
            self._column({**spec, "name": name, "definition": definition}, None),
            template=template,
            vacancy_question=bool(spec.get("vacancy_question", False)),
            staffing=spec.get("staffing"),
            role=role,
            allowed_items=tuple(self.raw["annual_return"][items]) if items else None,
        )

    @property
    def sssc_share(self) -> dict[str, Any]:
        """The SSSC share's section: disclosure settings, sub-sectors, coarsening ladder, columns."""
        return self.raw["sssc_share"]

    def sssc_extract_columns(self) -> list[Column]:
        """The record-level staffing extract's columns in order: one row per service and job role."""
        return [self._column(spec, None) for spec in self.sssc_share["extract_columns"]]

    def sssc_table_columns(self) -> list[Column]:
        """The figures of every cell of the aggregate tables, in order."""
        return [self._column(spec, None) for spec in self.sssc_share["table_columns"]]

    def sub_sector(self, care_service: str, subtype: str | None) -> str:
        """The SSSC sub-sector of a service: by its care service, or by its subtype where that decides."""
        entry = self.sssc_share["sub_sectors"][care_service]
        if isinstance(entry, dict):
            return entry.get(subtype or "", entry.get("default", next(iter(entry.values()))))
        return entry

    @property
    def inspection_benchmarks(self) -> dict[str, Any]:
        """The inspection benchmarks' section: peer group, flag percentile, indicators and their columns."""
        return self.raw["inspection_benchmarks"]

    def benchmark_columns(self) -> list[Column]:
        """The inspector table's columns in order: the service, each indicator's columns, then its flags."""
        section = self.inspection_benchmarks
        columns = [self._column(spec, None) for spec in section["columns"]]
        for indicator in section["indicators"]:
            for spec in section["indicator_columns"]:
                name = spec["name"].replace(INDICATOR_PLACEHOLDER, indicator["name"])
                definition = spec["definition"].replace("{indicator_definition}", indicator["definition"])
                columns.append(
                    dataclasses.replace(
                        self._column({**spec, "name": name, "definition": definition}, None),
                        template=spec["name"],
                    )
                )
        return columns + [self._column(spec, None) for spec in section["summary_columns"]]

    @property
    def return_statistics(self) -> dict[str, Any]:
        """The published statistics' section: disclosure settings, figures and tables."""
        return self.raw["return_statistics"]

    def statistics_table_columns(self) -> list[Column]:
        """Every figure a published statistics table may show, in order."""
        return [self._column(spec, None) for spec in self.return_statistics["table_columns"]]

    def column_for_name(self, name: str) -> Column | None:
        """The dictionary's column for a published name, matching YYZZ financial-year names too."""
        for spec in self.raw["datastore"]["columns"]:
            template = spec["name"]
            if template == name:
                return self._column(spec, None)
            if FINANCIAL_YEAR_PLACEHOLDER in template:
                regex = (
                    "^" + re.escape(template).replace(re.escape(FINANCIAL_YEAR_PLACEHOLDER), r"(\d{4})") + "$"
                )
                match = re.match(regex, name)
                if match and _is_financial_year_label(match.group(1)):
                    return self._column(spec, match.group(1))
        return None


def _is_financial_year_label(label: str) -> bool:
    return (int(label[:2]) + 1) % 100 == int(label[2:])


def financial_year_start(day: dt.date) -> int:
    """Calendar year in which the financial year (April to March) containing `day` starts."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(start_year: int) -> str:
    """A financial year as published column names write it (YYZZ): the year starting in 2025 is 2526."""
    return f"{start_year % 100:02d}{(start_year + 1) % 100:02d}"


def financial_year_long(label: str) -> str:
    """A YYZZ label as people write a financial year, for column definitions: 2526 is 2025-26."""
    start = int(label[:2])
    century = 2000 if start < 90 else 1900
    return f"{century + start}-{label[2:]}"


def financial_years(as_at: dt.date) -> list[str]:
    """The three rolling financial years an edition reports, oldest first (Aug 2025: 2324, 2425, 2526)."""
    current = financial_year_start(as_at)
    return [financial_year_label(year) for year in (current - 2, current - 1, current)]


@cache
def load_dictionary(path: Path = DICTIONARY_PATH) -> DataDictionary:
    """The data dictionary from its YAML file, read once per process."""
    with open(path, encoding="utf-8") as handle:
        return DataDictionary(yaml.safe_load(handle))
