"""Demo tool only (`carestats corrupt-extract`, `make demo-blocked`): a register extract with known defects.

It copies the latest extract into the folder the next edition will read and breaks it the way real
extracts break, so the quality gate can be seen stopping a publication. No flow calls it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from carestats.dictionary import load_dictionary
from tasks.datastore.datastore_file import read_datastore_csv
from tasks.register.extract import REGISTER_LANDING, MISSING_MARKERS
from tasks.storage.lake import dated_folders, open_lake

DROPPED_SHARE = 10  # every 10th service is left out: a truncated extract, 10% fewer services


def _open(services: pd.DataFrame) -> pd.Series:
    return services["Date_Cancelled"].isin(MISSING_MARKERS)


def write_corrupted_extract(lake_location: str, as_at: dt.date) -> dict:
    """Write <lake>/landing/register/<as_at + 1 day>/ from the latest extract, with the defects listed in the result."""
    lake = open_lake(lake_location)
    available = dated_folders(lake.list_folders(REGISTER_LANDING))
    if not available or available[-1] > as_at:
        raise ValueError(f"--as-at must be on or after the latest register extract ({available[-1] if available else 'none'})")
    source = f"{REGISTER_LANDING}/{available[-1].isoformat()}"
    tables = {
        name: read_datastore_csv(lake.read_bytes(f"{source}/{name}.csv"), f"{name}.csv")[0]
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

    folder = f"{REGISTER_LANDING}/{(as_at + dt.timedelta(days=1)).isoformat()}"
    for name, frame in tables.items():
        lake.write_bytes(f"{folder}/{name}.csv", frame.to_csv(index=False).encode("utf-8"))
    return {
        "folder": lake.uri(folder),
        "copied_from": lake.uri(source),
        "defects": [
            f"{len(services) - len(tables['services']):,} of {len(services):,} services left out (every {DROPPED_SHARE}th row)",
            f"Registered_Places blanked for care homes {', '.join(services.loc[care_homes, 'CSNumber'])}",
            f"KQ_Setting graded for housing support (an agency) in {len(graded_agencies)} gradings rows",
            f"NumberStaff 2500 for childminder {', '.join(services.loc[childminder, 'CSNumber'])} (a warning)",
        ],
    }
