"""Hand-written register extracts for tests: a few services whose every derived value is worked by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from carestats.dictionary import load_dictionary
from tasks.storage.lake import open_lake

DEFAULT_SERVICE = {
    "CareService": "Care Home Service",
    "Subtype": "Older People",
    "ServiceType": "Private",
    "ServiceName": "Ashgrove House",
    "Address_line_1": "1 High Street",
    "Service_town": "Perth",
    "Service_Postcode": "PH1 1AA",
    "Service_Phone_Number": "01738 000000",
    "Eforms_email_address": "ashgrove@example.org",
    "Manager_Name": "Morag Smith",
    "SP_number": "SP2003000001",
    "ServiceProvider": "Ashgrove Care Ltd",
    "Provided_by_Local_Authority": "No",
    "ServiceStatus": "Active",
    "Date_Registered": "2002-04-01",
    "Council_Area_Name": "Perth & Kinross",
    "Health_Board_Name": "Tayside",
    "Registered_Places": "40",
    "NumberStaff": "35.5",
    "Client_group": "Adults",
    "Contact_Name": "Morag Smith",
}


def service(cs: str, **fields: str) -> dict[str, str]:
    return {"CSNumber": cs, **DEFAULT_SERVICE, **fields}


def table_bytes(table: str, rows: list[dict[str, str]], encoding: str = "utf-8", line_end: str = "\n") -> bytes:
    columns = list(load_dictionary().extract_table(table).columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator=line_end, extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return buffer.getvalue().encode(encoding)


def write_extract(lake: str | Path, extract_date: dt.date | str, **tables: list[dict[str, str]]) -> str:
    """Write every extract table (missing ones empty) under <lake>/landing/register/<date>/."""
    store = open_lake(str(lake))
    folder = f"landing/register/{extract_date}"
    for name in load_dictionary().extract_tables:
        store.write_bytes(f"{folder}/{name}.csv", table_bytes(name, tables.get(name, [])))
    return folder
