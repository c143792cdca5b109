"""NumberStaff for the Datastore: each service's total WTE from its latest return accepted by a date.

Point in time: only submissions made on or before the edition date count, whichever return year they
belong to, so rebuilding an old edition after later returns and amendments arrive gives the same figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd

STAFF_COLUMNS = ["CSNumber", "Return_ID", "Return_Year", "Submitted_At", "Total_WTE"]


def staff_wte_as_at(returns: list[pd.DataFrame], as_at: dt.date) -> pd.DataFrame:
    """Per service, the total WTE of its latest accepted submission made on or before `as_at` (by
    Submitted_At, then return year and Return_ID), from every return year's accepted returns.
    """
    frames = [frame[STAFF_COLUMNS] for frame in returns if len(frame)]
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in STAFF_COLUMNS})
    every = pd.concat(frames, ignore_index=True)
    made = every.loc[every["Submitted_At"].dt.date <= as_at]
    latest = made.sort_values(["CSNumber", "Submitted_At", "Return_Year", "Return_ID"], kind="stable")
    return latest.drop_duplicates("CSNumber", keep="last").reset_index(drop=True)


def staff_facts(staff: pd.DataFrame) -> dict:
    """What an edition's manifest says of the returns its NumberStaff came from: how many services, the
    return years, and a checksum of exactly the figures used (unchanged by returns that came later).
    """
    used = "\n".join(
        f"{cs},{rid},{wte}"
        for cs, rid, wte in zip(staff["CSNumber"], staff["Return_ID"], staff["Total_WTE"], strict=True)
    )
    return {
        "services_with_a_return": len(staff),
        "return_years": sorted({int(y) for y in staff["Return_Year"]}),
        "figures_sha256": hashlib.sha256(used.encode()).hexdigest(),
    }


def with_staff_from_returns(services: pd.DataFrame, staff: pd.DataFrame | None) -> pd.DataFrame:
    """The services with NumberStaff from their annual return where they have one accepted."""
    if staff is None or not len(staff):
        return services
    from_returns = services["CSNumber"].map(staff.set_index("CSNumber")["Total_WTE"].astype("Float64"))
    services = services.copy()
    services["NumberStaff"] = from_returns.where(from_returns.notna(), services["NumberStaff"]).astype(
        "Float64"
    )
    return services
