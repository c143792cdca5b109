"""datapackage.json for a Datastore edition: a Frictionless Data Package (v1) descriptor of its CSV files.

Anyone can load an edition with its types (frictionless, pandas via the schema, R, Open Refine...) from
the descriptor alone: every CSV is a tabular resource with its size, sha256, encoding, dialect and a
Table Schema generated from the data dictionary, so the schema, the CSV header and the definitions file
cannot drift apart.

Beside the standard properties the descriptor holds two of its own:
- edition_date: the edition date, yyyy-mm-dd (the package's version is the same date, as YYYY.M.D);
- financial_years: for each financial year the edition reports, by its YYZZ label (2526), its period
  ({"label": "2025-26", "starts": "2025-04-01", "ends": "2026-03-31"}) and the columns that report it,
  since those columns' names change every April.

The descriptor is a pure function of the edition date, the files' bytes and whether the data is
simulated: the same inputs give the same bytes, and nothing in it says when it was written.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from typing import Any

from carestats.dictionary import (
    FINANCIAL_YEAR_PLACEHOLDER,
    Column,
    financial_year_long,
    financial_years,
    load_dictionary,
)
from tasks.datastore.changes import CHANGE_COLUMNS, CHANGE_ORDER
from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake import sha256_hex
from tasks.shared.lake_map import DatastoreEdition
from tasks.shared.published_text import definitions_frame

LICENCE_ID = "OGL-UK-3.0"  # the Open Definition (and SPDX) identifier of the Open Government Licence v3.0
DATE_FORMAT = "%d/%m/%Y"  # how published files write dates
MISSING_VALUES = [""]  # published files write a blank cell, never a literal NA

DEFINITIONS_FIELDS = {
    "Column": "The column's name, as the Datastore CSV's header gives it.",
    "Type": "The column's type in the data dictionary: text, integer, decimal, date (dd/mm/yyyy), "
    "year_month (YYYY_M, the month not zero-padded) or flag (Yes/No).",
    "Definition": "What the column holds.",
    "Allowed values": 'The values the column may take, separated by "; "; blank when any value may be given.',
    "Format": "The regular expression every value of the column matches; blank when there is none.",
    "Disclosure": "When the column is blank by a disclosure rule (always, or for some services); "
    "blank when it never is.",
}
CHANGES_FIELDS = {
    "Change": "The kind of change: " + ", ".join(CHANGE_ORDER) + ".",
    "CSNumber": "The service's registration number.",
    "ServiceName": "The service's name (as the previous edition gave it, for a cancelled service).",
    "Field": "The Datastore column that changed; blank for a service registered or cancelled.",
    "Before": "The column's value in the previous edition, as published; blank when it was blank.",
    "After": "The column's value in this edition, as published; blank when it is blank.",
    "Previous_edition": "The date (yyyy-mm-dd) of the edition every row is compared with.",
}


def datapackage_descriptor(as_at: dt.date, files: dict[str, bytes], *, simulated: bool) -> bytes:
    """datapackage.json for the edition of `as_at`, describing its CSV, definitions and changes files.

    `files` holds the edition's files by name (other files, such as the workbook, are not described:
    a tabular data package lists tables only). Published beside them, the descriptor lets anyone
    load each file with its types, and check it has not been altered, with any Frictionless tool.
    """
    dictionary = load_dictionary()
    publisher = dictionary.publisher
    columns = dictionary.datastore_columns(as_at)
    place = DatastoreEdition(as_at)
    edition_title = f"{dictionary.datastore_title} {as_at:%d/%m/%Y}"
    description = (
        f"Every care service registered with the {publisher.name} on {as_at:%d/%m/%Y}, one row each, "
        "with what every column means and what changed since the previous edition. "
        "edition_date is the edition date; financial_years names, for each financial year the edition "
        "reports (YYZZ), its period and its columns. "
        f"Contact: {publisher.contact}"
    )
    if simulated:
        description = (
            "SIMULATED DATA, NOT REAL: this edition was made from a simulated register for testing; "
            "it describes no real care service. " + description
        )
    descriptor = {
        "profile": "tabular-data-package",
        "name": _slug(dictionary.datastore_title) + f"-{as_at.isoformat()}",
        "title": edition_title + (" (simulated data)" if simulated else ""),
        "description": description,
        "version": f"{as_at.year}.{as_at.month}.{as_at.day}",
        "edition_date": as_at.isoformat(),
        "homepage": publisher.website,
        "licenses": [{"name": LICENCE_ID, "path": publisher.licence_url, "title": dictionary.licence}],
        "sources": [{"title": publisher.source, "path": publisher.website, "email": publisher.email}],
        "contributors": [
            {
                "title": f"{publisher.name} {publisher.team}",
                "role": "publisher",
                "organization": publisher.name,
                "email": publisher.email,
                "path": publisher.website,
            }
        ],
        "financial_years": _financial_years(as_at, columns),
        "resources": [
            _resource(
                "datastore",
                place.csv,
                files[place.csv],
                edition_title,
                "Every care service registered on the edition date, one row each.",
                {
                    "fields": [_datastore_field(c) for c in columns],
                    "primaryKey": [c.name for c in columns if c.unique and c.required],
                },
            ),
            _resource(
                "definitions",
                place.definitions,
                files[place.definitions],
                "Definitions",
                "What every column of the Datastore CSV means, from the data dictionary.",
                _definitions_schema(columns),
            ),
            _resource(
                "changes",
                place.changes,
                files[place.changes],
                "Changes since the previous edition",
                "Services registered, cancelled and changed since the previous edition; "
                "only the header when there is no previous edition.",
                _changes_schema(columns),
            ),
        ],
    }
    return canonical_json(descriptor)


def _slug(text: str) -> str:
    """A Data Package name: lowercase letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _financial_years(as_at: dt.date, columns: list[Column]) -> dict[str, dict[str, Any]]:
    """Each financial year the edition reports, by its YYZZ label: its period and its columns."""
    years = {}
    for label in financial_years(as_at):
        start = int(financial_year_long(label)[:4])
        years[label] = {
            "label": financial_year_long(label),
            "starts": dt.date(start, 4, 1).isoformat(),
            "ends": dt.date(start + 1, 3, 31).isoformat(),
            "columns": [
                c.name
                for c in columns
                if c.template and c.name == c.template.replace(FINANCIAL_YEAR_PLACEHOLDER, label)
            ],
        }
    return years


def _resource(
    name: str, path: str, data: bytes, title: str, description: str, schema: dict[str, Any]
) -> dict[str, Any]:
    """A tabular resource for one published CSV, its size, sha256, encoding and dialect read off its bytes.

    The encoding says whether the file starts with a BOM (utf-8-sig, as frictionless itself describes
    such a file), so a reader does not take the BOM for part of the first column's name.
    """
    first_line = data[: data.find(b"\n")]  # the header only: an edition can be hundreds of megabytes
    return {
        "profile": "tabular-data-resource",
        "name": name,
        "path": path,
        "title": title,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8",
        "bytes": len(data),
        "hash": f"sha256:{sha256_hex(data)}",
        "dialect": {
            "delimiter": ",",
            "lineTerminator": "\r\n" if first_line.endswith(b"\r") else "\n",
            "quoteChar": '"',
            "doubleQuote": True,
            "header": True,
        },
        "schema": {"missingValues": MISSING_VALUES, **schema},
    }


def _table_schema_pattern(pattern: str) -> str:
    """A dictionary pattern as Table Schema writes one (XML Schema style): implicitly anchored, so
    without ^ and $, and plain groups for Python's (?:...).
    """
    return pattern.removeprefix("^").removesuffix("$").replace("(?:", "(")


def _datastore_field(column: Column) -> dict[str, Any]:
    """A Table Schema field for one Datastore column: its type and format as published, its definition
    and disclosure note, and the dictionary's rules as constraints (blank cells pass every constraint
    but required).
    """
    description = " ".join(part for part in (column.definition, column.disclosure_note) if part)
    field: dict[str, Any] = {"name": column.name, "description": description}
    constraints: dict[str, Any] = {}
    if column.type == "integer":
        field["type"] = "integer"
    elif column.type == "decimal":
        field["type"] = "number"
    elif column.type == "date":
        field.update(type="date", format=DATE_FORMAT)
    elif column.type == "flag":
        field.update(type="boolean", trueValues=["Yes"], falseValues=["No"])
    else:  # text, and year_month (YYYY_M), which its pattern describes
        field["type"] = "string"
    if column.required:
        constraints["required"] = True
    if column.unique:
        constraints["unique"] = True
    if column.pattern:
        constraints["pattern"] = _table_schema_pattern(column.pattern)
    if column.allowed is not None and column.type != "flag":  # a flag's Yes/No is its boolean type
        constraints["enum"] = [int(v) if column.type == "integer" else str(v) for v in column.allowed]
    if column.minimum is not None:
        constraints["minimum"] = column.minimum
    if column.maximum is not None:
        constraints["maximum"] = column.maximum
    if column.withheld:
        constraints["maxLength"] = 0  # always blank: any value at all is a disclosure failure
    if constraints:
        field["constraints"] = constraints
    return field


def _definitions_schema(columns: list[Column]) -> dict[str, Any]:
    """The definitions file's schema: its columns as definitions_frame writes them, one row per column."""
    enums = {"Column": [c.name for c in columns], "Type": sorted({c.type for c in columns})}
    fields = []
    for name in definitions_frame([]).columns:
        constraints: dict[str, Any] = {}
        if name in enums:
            constraints.update(required=True, enum=enums[name])
        if name == "Definition":
            constraints["required"] = True
        fields.append(
            {"name": name, "type": "string", "description": DEFINITIONS_FIELDS[name]}
            | ({"constraints": constraints} if constraints else {})
        )
    return {"fields": fields, "primaryKey": ["Column"]}


def _changes_schema(columns: list[Column]) -> dict[str, Any]:
    """The changes file's schema: its columns as changes_between writes them, one row per change."""
    cs_number = _datastore_field(next(c for c in columns if c.name == "CSNumber"))["constraints"]
    constraints: dict[str, dict[str, Any]] = {
        "Change": {"required": True, "enum": list(CHANGE_ORDER)},
        "CSNumber": {k: v for k, v in cs_number.items() if k != "unique"},  # a service may change twice
        "ServiceName": {"required": True},
        "Field": {"enum": [c.name for c in columns if c.name != "CSNumber"]},
    }
    fields = []
    for name in CHANGE_COLUMNS:
        field: dict[str, Any] = {"name": name, "type": "string", "description": CHANGES_FIELDS[name]}
        if name == "Previous_edition":
            field["type"] = "date"  # ISO, Table Schema's default date format
        if name in constraints:
            field["constraints"] = constraints[name]
        fields.append(field)
    return {"fields": fields}
