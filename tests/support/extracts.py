"""Hand-written register extracts for tests: a few services whose every derived value is worked by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from carestats.dictionary import load_dictionary
from tasks.shared.lake import open_lake
from tasks.shared.lake_map import DatastoreEdition, RegisterExtract

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
    """A services row: a care home in Perth unless `fields` say otherwise."""
    return {"CSNumber": cs, **DEFAULT_SERVICE, **fields}


def table_bytes(
    table: str, rows: list[dict[str, str]], encoding: str = "utf-8", line_end: str = "\n"
) -> bytes:
    """One extract table as CSV bytes, with the dictionary's columns (blank where a row says nothing)."""
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
    folder = RegisterExtract(dt.date.fromisoformat(str(extract_date))).folder
    for name in load_dictionary().extract_tables:
        store.write_bytes(f"{folder}/{name}.csv", table_bytes(name, tables.get(name, [])))
    return folder


JULY, AUGUST = dt.date(2025, 7, 31), dt.date(2025, 8, 31)
GRADED = {
    "KQ_Support_Wellbeing": "4",
    "KQ_Care_and_Support_Planning": "4",
    "KQ_Setting": "5",
    "KQ_Staff_Team": "4",
    "KQ_Leadership": "4",
}


def land_two_extracts(lake: str) -> None:
    """July and August extracts: one registration, one cancellation, one regrading, one renamed service."""
    base = [
        service("CS2002000001", ServiceName="Ashgrove House"),
        service("CS2005000002", ServiceName="Birch Lodge", Council_Area_Name="Edinburgh, City of"),
        service(
            "CS2011000003",
            CareService="Child Minding",
            Subtype="",
            ServiceName="Jane Doe Childminding",
            Client_group="Children",
            Address_line_1="4 Home Road",
            Service_Postcode="KY1 1AA",
            Council_Area_Name="Fife",
        ),
        service("CS2019000004", ServiceName="Cedar Court", Date_Registered="2019-06-01"),
    ]
    gradings = [
        {
            "CSNumber": "CS2002000001",
            "Inspection_Date": "2024-01-10",
            "Publication_Date": "2024-02-01",
            **GRADED,
        }
    ]
    write_extract(lake, "2025-08-05", services=base, gradings=gradings)
    august = [
        base[0],
        service("CS2005000002", ServiceName="Birch Lodge Care Home", Council_Area_Name="City of Edinburgh"),
        base[2],
        service(
            "CS2019000004",
            ServiceName="Cedar Court",
            Date_Registered="2019-06-01",
            Date_Cancelled="2025-08-20",
        ),
        service(
            "CS2025000005",
            ServiceName="Daisy Nursery",
            CareService="Day Care of Children",
            Subtype="Day Care of Children (over 3s)",
            Client_group="Children",
            Date_Registered="2025-08-31",
        ),
    ]
    regraded = gradings + [
        {
            "CSNumber": "CS2002000001",
            "Inspection_Date": "2025-08-01",
            "Publication_Date": "2025-08-25",
            "KQ_Setting": "3",
        }
    ]
    write_extract(
        lake,
        "2025-09-04",
        services=august,
        gradings=regraded,
        complaints=[{"Complaint_ID": "C1", "CSNumber": "CS2002000001", "Upheld_Date": "2025-05-05"}],
    )


def edition_files(lake: str, as_at: dt.date) -> dict[str, bytes]:
    """Every file of a published edition, by name."""
    store = open_lake(lake)
    return {
        key.rsplit("/", 1)[1]: store.read_bytes(key)
        for key in store.list_keys(DatastoreEdition(as_at).folder)
    }


@dataclass(frozen=True)
class PublishedEditions:
    """A lake where July and August 2025 were published from land_two_extracts, with each run's summary."""

    lake: str
    july: dict
    august: dict


def land_monthly_extracts(
    lake: str, months: list[dt.date], renamed: dict[dt.date, str] | None = None
) -> None:
    """An extract four days after each month end, from a register that grows: one care home more each month
    (registered in that month), and Ashgrove House renamed as `renamed` says from its month on.
    """
    renamed = renamed or {}
    for number, month in enumerate(sorted(months), start=1):
        name = next((renamed[m] for m in sorted(renamed, reverse=True) if m <= month), "Ashgrove House")
        services = [service("CS2002000001", ServiceName=name)] + [
            service(
                f"CS2024{n:06d}",
                ServiceName=f"Home number {n}",
                Date_Registered=sorted(months)[n - 1].replace(day=1).isoformat(),
            )
            for n in range(1, number + 1)
        ]
        write_extract(lake, month + dt.timedelta(days=4), services=services)
