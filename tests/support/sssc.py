"""For the SSSC share's tests: current returns straight from the simulator, and an intruder's linkage attack.

The attack is written here from the published rules (the ladder, the sub-sector and region maps, the
size bands, the rounding), not from the product's code, so that a mistake in the product's own check
is not repeated in the test that judges it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from carestats.dictionary import DataDictionary
from simulation.annual_returns import SimulatedReturns


def current_returns(simulated: SimulatedReturns) -> pd.DataFrame:
    """Each respondent's latest submission, as the curated store's current returns hold it (the planted
    defects left out, as the gate quarantines them), with its Total_WTE.
    """
    keep = simulated.respondent >= 0
    keep[list(simulated.defects)] = False
    frame = pd.DataFrame({name: values[keep] for name, values in simulated.table.items()})
    frame["_seconds"] = simulated.seconds[keep]
    frame = frame.sort_values(["CSNumber", "_seconds"], kind="stable").drop_duplicates(
        "CSNumber", keep="last"
    )
    frame = frame.drop(columns="_seconds").reset_index(drop=True)
    frame["Return_Year"] = simulated.return_year
    for name in frame.columns:
        if frame[name].dtype == float:
            frame[name] = frame[name].astype("Float64")
    wte = [c for c in frame.columns if c.endswith("_WTE") and not c.endswith("Vacant_WTE")]
    frame["Total_WTE"] = sum(frame[c].fillna(0) for c in wte).round(2)
    return frame


def _as_number(text: pd.Series) -> np.ndarray:
    return pd.to_numeric(text.replace("", np.nan), errors="coerce").to_numpy(dtype=float)


def public_attributes(datastore: pd.DataFrame, dictionary: DataDictionary) -> pd.DataFrame:
    """What anyone can say of each named service on every rung: from the Datastore's own columns."""
    share, reference = dictionary.sssc_share, dictionary.reference

    def sub_sector(care: str, subtype: str) -> str:
        entry = share["sub_sectors"][care]
        if not isinstance(entry, dict):
            return entry
        return entry.get(subtype, entry.get("default", next(iter(entry.values()))))

    subs = [
        sub_sector(c, s)
        for c, s in zip(datastore["CareService"], datastore["Subtype"].fillna(""), strict=True)
    ]
    board = (
        datastore["Council_Area_Name"]
        .map(reference["council_main_health_board"])
        .fillna(datastore["Council_Area_Name"])
    )
    return pd.DataFrame(
        {
            "sub_sector": subs,
            "service_group": pd.Series(subs).map(share["service_groups"]).to_numpy(),
            "employer_type": datastore["ServiceType"].to_numpy(),
            "employer_group": datastore["ServiceType"].map(share["employer_groups"]).to_numpy(),
            "council_area": datastore["Council_Area_Name"].to_numpy(),
            "health_board": board.to_numpy(),
            "region": board.map(share["regions"]).fillna(board).to_numpy(),
            "scotland": "Scotland",
            "staff": _as_number(datastore["NumberStaff"].astype(object).fillna("").astype(str)),
        }
    )


def _band(label: str) -> tuple[float, float]:
    if label == "Any size":
        return 0.0, math.inf
    if label.endswith(" or more"):
        return float(label.split(" ")[0]), math.inf
    low, _, high = label.partition(" to under ")
    return float(low), float(high)


def linkage_matches(extract: pd.DataFrame, datastore: pd.DataFrame, dictionary: DataDictionary) -> pd.Series:
    """For each pseudonym of the delivered extract (as text), how many services the public Datastore (as
    text) names that agree with it on every attribute the two share: service group, employer type and
    area at the record's rung, and NumberStaff within its size band, within what its rounded WTE figures
    add up to, and not above its headcount. A blank NumberStaff cannot rule a service out.
    """
    public = public_attributes(datastore, dictionary)
    ladder = dictionary.sssc_share["coarsening"]
    half = dictionary.sssc_share["disclosure"]["extract_rounding"]["WTE"] / 2
    wte = _as_number(extract["WTE"])  # a role left blank has no staff: it adds nothing either way
    services = (
        extract.assign(
            _low=np.clip(wte - half, 0, None), _high=wte + half, _heads=_as_number(extract["Headcount"])
        )
        .groupby("Pseudonym", sort=True)
        .agg(
            level=("Coarsening_Level", "first"),
            group=("Service_Group", "first"),
            employer=("Employer_Type", "first"),
            area=("Area", "first"),
            band=("Size_Band", "first"),
            shown=("WTE_Shown", "first"),
            low=("_low", "sum"),
            high=("_high", "sum"),
            heads=("_heads", "sum"),
        )
    )
    bands = {label: _band(label) for label in services["band"].unique()}
    band_low = services["band"].map(lambda label: bands[label][0]).to_numpy(dtype=float)
    band_high = services["band"].map(lambda label: bands[label][1]).to_numpy(dtype=float)
    shown = (services["shown"] == "Yes").to_numpy()
    low = np.where(shown, np.maximum(band_low, services["low"].to_numpy() - 0.006), band_low)
    cap = np.where(shown, services["high"].to_numpy() + 0.006, np.inf)
    cap = np.minimum(cap, services["heads"].to_numpy() + 0.006)
    counts = np.zeros(len(services), dtype=int)
    records = services.reset_index(drop=True).assign(_position=np.arange(len(services)))
    staff_of = public["staff"].to_numpy()
    for level, at_level in records.groupby("level"):
        rung = ladder[int(level)]
        named = public.groupby([rung["service"], rung["employer"], rung["area"]]).indices
        for key, members in at_level.groupby(["group", "employer", "area"]):
            staff = staff_of[named.get(key, [])][None, :]
            at = members["_position"].to_numpy()
            inside = (staff >= low[at, None]) & (staff < band_high[at, None]) & (staff <= cap[at, None])
            counts[at] = (inside | np.isnan(staff)).sum(axis=1)
    return pd.Series(counts, index=services.index)
