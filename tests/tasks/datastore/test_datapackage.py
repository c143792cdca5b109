"""datapackage.json: validated by frictionless on editions the project's own code writes, and on the real
extract; tampered files must fail it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Resource, describe, validate
from prefect.logging import disable_run_logger

from carestats.dictionary import load_dictionary
from tasks.datastore.changes import changes_between
from tasks.datastore.datapackage import CHANGES_FIELDS, DEFINITIONS_FIELDS, datapackage_descriptor
from tasks.datastore.datastore_file import MISSING_MARKER, as_at_from_file_name
from tasks.datastore.steps import EditionFiles, PreviousEdition, build_edition, render_edition_files
from tasks.register.steps import find_register_extract, load_register_extract
from tasks.shared.lake_map import DatastoreEdition
from tasks.shared.published_text import csv_bytes, definitions_frame, read_published_csv
from tests.support.datapackage import assert_valid_datapackage, datapackage_errors
from tests.support.extracts import AUGUST, JULY, land_two_extracts


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[dt.date, EditionFiles]:
    """July and August 2025 rendered by the flow's own tasks from the hand-worked extracts (August has
    changes since July; July, the first edition, has none)."""
    lake = str(tmp_path_factory.mktemp("datapackage") / "lake")
    land_two_extracts(lake)
    rendered, previous = {}, None
    with disable_run_logger():
        for as_at in (JULY, AUGUST):
            tables = load_register_extract.fn(lake, find_register_extract.fn(lake, as_at))
            rendered[as_at] = render_edition_files.fn(build_edition.fn(tables, as_at), previous)
            previous = PreviousEdition(as_at, rendered[as_at].text, rendered[as_at].csv_sha256)
    return rendered


def publish(folder: Path, as_at: dt.date, files: dict[str, bytes], descriptor: bytes | None = None) -> Path:
    """The edition's files and datapackage.json (made from `files` unless given) in a folder of their own."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    descriptor = descriptor or datapackage_descriptor(as_at, files, simulated=False)
    (folder / DatastoreEdition.DATAPACKAGE).write_bytes(descriptor)
    return folder


def with_cell(data: bytes, row: int, column: str, value: str) -> bytes:
    """A published CSV with one cell changed, written again by the project's writer."""
    text = read_published_csv(data)
    text.loc[row, column] = value
    return csv_bytes(text)


@pytest.mark.parametrize("as_at", [JULY, AUGUST])
def test_editions_written_by_the_flow_tasks_validate_with_frictionless(editions, tmp_path, as_at):
    rendered = editions[as_at]
    folder = publish(tmp_path / as_at.isoformat(), as_at, rendered.files)
    assert_valid_datapackage(folder)
    report = validate(str(folder / DatastoreEdition.DATAPACKAGE))
    # frictionless gives a header-only file no "rows" stat
    rows = {task.name: task.stats.get("rows", 0) for task in report.tasks}
    assert rows == {
        "datastore": len(rendered.text),
        "definitions": len(rendered.text.columns),
        "changes": len(rendered.changes),
    }
    assert rows["changes"] == (9 if as_at == AUGUST else 0)


def test_the_descriptor_says_what_the_edition_is(editions):
    descriptor = json.loads(datapackage_descriptor(AUGUST, editions[AUGUST].files, simulated=False))
    assert descriptor["name"] == "care-inspectorate-datastore-2025-08-31"
    assert (descriptor["version"], descriptor["edition_date"]) == ("2025.8.31", "2025-08-31")
    assert descriptor["licenses"] == [
        {
            "name": "OGL-UK-3.0",
            "path": load_dictionary().publisher.licence_url,
            "title": "Open Government Licence v3.0",
        }
    ]
    assert descriptor["financial_years"]["2526"] == {
        "label": "2025-26",
        "starts": "2025-04-01",
        "ends": "2026-03-31",
        "columns": ["Complaints_upheld_2526", "Enforcements_issued_2526", "any_requirements_2526"],
    }
    fy_columns = [c for year in descriptor["financial_years"].values() for c in year["columns"]]
    assert sorted(descriptor["financial_years"]) == ["2324", "2425", "2526"]
    assert sorted(fy_columns) == sorted(c for c in editions[AUGUST].text.columns if c[-4:].isdigit())
    assert "simulated" not in json.dumps(descriptor).lower()
    fields = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    assert fields["Publication_of_Latest_Grading"]["format"] == "%d/%m/%Y"
    assert fields["PublicList"] | {"description": ""} == {
        "name": "PublicList",
        "description": "",
        "type": "boolean",
        "trueValues": ["Yes"],
        "falseValues": ["No"],
    }
    assert fields["Date_Reg"]["constraints"]["pattern"] == "(19|20)\\d{2}_([1-9]|1[0-2])"
    assert fields["Manager_Name"]["constraints"] == {"maxLength": 0}


def test_a_simulated_edition_says_so_in_its_title_and_description(editions):
    descriptor = json.loads(datapackage_descriptor(AUGUST, editions[AUGUST].files, simulated=True))
    assert descriptor["title"].endswith("(simulated data)")
    assert descriptor["description"].startswith("SIMULATED DATA, NOT REAL")


def test_each_encoding_is_what_frictionless_reads_off_the_bytes(editions, tmp_path):
    folder = publish(tmp_path, AUGUST, editions[AUGUST].files)
    for resource in json.loads((folder / DatastoreEdition.DATAPACKAGE).read_bytes())["resources"]:
        assert resource["encoding"] == describe(str(folder / resource["path"])).encoding == "utf-8-sig"


def test_the_same_edition_gives_the_same_bytes_whatever_else_is_in_the_folder(editions):
    files = editions[AUGUST].files
    first = datapackage_descriptor(AUGUST, files, simulated=False)
    shuffled = dict(reversed(list(files.items()))) | {
        "datastore_2025-08-31.xlsx": b"PK",
        "manifest.json": b"{}",
    }
    assert datapackage_descriptor(AUGUST, shuffled, simulated=False) == first
    assert datapackage_descriptor(AUGUST, files, simulated=True) != first


def test_a_changed_byte_fails_on_the_hash(editions, tmp_path):
    files = editions[AUGUST].files
    csv_name = DatastoreEdition(AUGUST).csv
    descriptor = datapackage_descriptor(AUGUST, files, simulated=False)
    tampered = files | {csv_name: files[csv_name].replace(b"Ashgrove House", b"Ashgrove Housf")}
    assert len(tampered[csv_name]) == len(files[csv_name])
    with pytest.raises(AssertionError, match=rf"{csv_name}: \[hash-count\]"):
        assert_valid_datapackage(publish(tmp_path, AUGUST, tampered, descriptor))


@pytest.mark.parametrize(
    "row, column, value, error",
    [
        (0, "Registered_Places", "forty", "type-error"),
        (0, "Publication_of_Latest_Grading", "2025-08-25", "type-error"),  # ISO, not dd/mm/yyyy
        (0, "Provided_by_Local_Authority", "Y", "type-error"),
        (0, "KQ_Setting", "7", "constraint-error"),
        (0, "Date_Reg", "2025_09", "constraint-error"),  # the month is not zero-padded
        (0, "Manager_Name", "Morag Smith", "constraint-error"),  # withheld: always blank
        (0, "ServiceName", "", "constraint-error"),  # required
        (3, "CSNumber", "CS2002000001", "unique-error"),  # the first row's
    ],
)
def test_a_value_the_schema_forbids_fails_naming_its_file_row_and_field(
    editions, tmp_path, row, column, value, error
):
    files = editions[AUGUST].files
    csv_name = DatastoreEdition(AUGUST).csv
    tampered = files | {csv_name: with_cell(files[csv_name], row, column, value)}
    with pytest.raises(AssertionError) as failure:
        assert_valid_datapackage(publish(tmp_path, AUGUST, tampered))  # sizes and hashes of these bytes
    assert f"{csv_name}, row {row + 2}, field {column}: [{error}]" in str(failure.value)


def test_a_csv_the_descriptor_does_not_list_fails(editions, tmp_path):
    folder = publish(tmp_path, AUGUST, editions[AUGUST].files)
    (folder / "extra.csv").write_bytes(b"a\r\n1\r\n")
    with pytest.raises(AssertionError, match="extra.csv: in the folder but not a resource"):
        assert_valid_datapackage(folder)


def test_every_column_of_the_definitions_and_changes_files_is_described(editions):
    assert list(DEFINITIONS_FIELDS) == list(definitions_frame([]).columns)
    assert list(CHANGES_FIELDS) == list(changes_between(None, editions[AUGUST].text).columns)


def test_the_real_extract_meets_the_schema_made_for_its_edition_date(reference_extract):
    """Every genuine row of the regulator's own export meets the types and constraints generated for its
    date. The export differs from ours in form only: its own column order and subset (no CSNumber, so
    no primary key), no BOM, and a literal NA for blank; the test adapts the form, never a rule."""
    as_at = as_at_from_file_name(reference_extract.name)
    data = reference_extract.read_bytes()
    place = DatastoreEdition(as_at)
    columns = load_dictionary().datastore_columns(as_at)
    files = {
        place.csv: data,
        place.definitions: csv_bytes(definitions_frame(columns)),
        place.changes: csv_bytes(changes_between(None, pd.DataFrame())),
    }
    resource = json.loads(datapackage_descriptor(as_at, files, simulated=False))["resources"][0]
    assert (resource["encoding"], resource["dialect"]["lineTerminator"]) == ("utf-8", "\r\n")
    header = next(csv.reader(io.StringIO(data[:4096].decode("utf-8"))))
    by_name = {field["name"]: field for field in resource["schema"]["fields"]}
    assert set(header) <= set(by_name) and len(header) == 36
    schema = {"fields": [by_name[name] for name in header], "missingValues": ["", MISSING_MARKER]}
    resource = resource | {"path": reference_extract.name, "schema": schema}
    report = validate(Resource(resource, basepath=str(reference_extract.parent)))
    assert datapackage_errors(report) == []
    assert report.tasks[0].stats["rows"] == 10670
