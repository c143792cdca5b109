"""Demo tool only (`make demo-blocked`): watch the quality gate stop an edition built from a corrupted
extract.

It copies the latest register extract into the folder the next edition will read, breaks it the way real
extracts break, runs the monthly flow (which must be blocked), and removes the corrupted extract again,
whatever happens, so the lake is left as it was. No flow calls it.

    python -m simulation.blocked_demo --as-at 2025-09-30
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import pandas as pd

from carestats.command_line import quiet_third_party_noise
from carestats.dictionary import load_dictionary
from carestats.errors import QualityGateBlocked
from carestats.settings import get_settings
from tasks.datastore.datastore_file import read_datastore_csv
from tasks.register.extract import MISSING_MARKERS
from tasks.shared.lake import Lake, dated_folders, open_lake
from tasks.shared.lake_map import DatastoreEdition, RegisterExtract

DROPPED_SHARE = 10  # every 10th service is left out: a truncated extract, 10% fewer services


def _open(services: pd.DataFrame) -> pd.Series:
    return services["Date_Cancelled"].isin(MISSING_MARKERS)


def corrupted_extract_place(as_at: dt.date) -> RegisterExtract:
    """The extract folder edition `as_at` reads: the day after it, before any real extract for it lands."""
    return RegisterExtract(as_at + dt.timedelta(days=1))


def write_corrupted_extract(lake: Lake, as_at: dt.date) -> dict:
    """Write the extract for edition `as_at` from the latest one, with the defects listed in the result."""
    available = dated_folders(lake.list_folders(RegisterExtract.AREA))
    if not available or available[-1] > as_at:
        raise ValueError(
            "--as-at must be on or after the latest register extract "
            f"({available[-1] if available else 'none'})"
        )
    source = RegisterExtract(available[-1])
    tables = {
        name: read_datastore_csv(lake.read_bytes(source.table(name)), f"{name}.csv")[0]
        for name in load_dictionary().extract_tables
    }
    services, gradings = tables["services"], tables["gradings"]
    kept = services.index % DROPPED_SHARE != 0

    care_homes = services.index[(services["CareService"] == "Care Home Service") & _open(services) & kept][:3]
    services.loc[care_homes, "Registered_Places"] = ""
    agencies = set(services.loc[(services["CareService"] == "Housing Support Service") & kept, "CSNumber"])
    graded_agencies = gradings.index[gradings["CSNumber"].isin(agencies)][:3]
    gradings.loc[graded_agencies, "KQ_Setting"] = "4"
    childminder = services.index[(services["CareService"] == "Child Minding") & _open(services) & kept][:1]
    services.loc[childminder, "NumberStaff"] = "2500"
    tables["services"] = services.loc[kept]

    target = corrupted_extract_place(as_at)
    for name, frame in tables.items():
        lake.write_bytes(target.table(name), frame.to_csv(index=False).encode("utf-8"))
    return {
        "folder": target.folder,
        "copied_from": source.folder,
        "defects": [
            f"{len(services) - len(tables['services']):,} of {len(services):,} services left out "
            f"(every {DROPPED_SHARE}th row)",
            f"Registered_Places blanked for care homes {', '.join(services.loc[care_homes, 'CSNumber'])}",
            f"KQ_Setting graded for housing support (an agency) in {len(graded_agencies)} gradings rows",
            f"NumberStaff 2500 for childminder {', '.join(services.loc[childminder, 'CSNumber'])}"
            " (a warning)",
        ],
    }


def run_blocked_demo(lake_location: str, as_at: dt.date) -> dict:
    """Corrupt, try to publish, expect the gate to block; the corrupted extract is removed in every case."""
    from flows.publish_datastore import publish_monthly_datastore

    quiet_third_party_noise()  # the block is the point: its one-line reason, not Prefect's traceback
    lake = open_lake(lake_location)
    target = corrupted_extract_place(as_at)
    if lake.list_keys(target.folder):
        raise ValueError(f"{lake.uri(target.folder)} already holds an extract: the demo never overwrites one")
    try:
        written = write_corrupted_extract(lake, as_at)
        try:
            publish_monthly_datastore(as_at=as_at, lake=lake_location)
        except QualityGateBlocked as blocked:
            return {**written, "blocked": True, "message": str(blocked).splitlines()[0]}
        return {
            **written,
            "blocked": False,
            "message": f"{DatastoreEdition(as_at).folder} was published: the gate let it through",
        }
    finally:
        lake.delete_folder(target.folder)


def main(argv: list[str] | None = None) -> int:
    """Command line: exit 0 when the gate blocked the corrupted edition, 1 when it did not."""
    parser = argparse.ArgumentParser(
        prog="python -m simulation.blocked_demo", description=" ".join(__doc__.split("\n\n")[0].split())
    )
    parser.add_argument(
        "--as-at", required=True, type=dt.date.fromisoformat, help="edition date, after the latest extract"
    )
    parser.add_argument(
        "--lake", default=None, help="lake folder or s3://bucket/prefix (default: $CARESTATS_LAKE)"
    )
    arguments = parser.parse_args(argv)
    outcome = run_blocked_demo(arguments.lake or get_settings().lake, arguments.as_at)
    print(json.dumps(outcome, indent=2))
    return 0 if outcome["blocked"] else 1


if __name__ == "__main__":
    sys.exit(main())
