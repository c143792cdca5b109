"""The record-level staffing extract: one row per service and job role, identifying no service.

Each service with a current accepted return is described on the finest rung of the coarsening ladder
and climbs, alone, only as far as it must (local recoding):
1. k-anonymity: its combination of released attributes (rung, service group, employer type, area, size
   band) must hold at least k released services, or it moves up a rung;
2. linkage: at least k services of the public Datastore must match it on every attribute the two share,
   staff figures included (its size band, the total its rounded WTE figures allow, the most its headcount
   allows); if fewer do, its WTE figures are withheld, and if that is not enough it moves up a rung.
A service still too rare on the top rung is left out of the extract (it still counts in the tables).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pycanon import anonymity

from carestats.dictionary import DataDictionary
from tasks.shared.cell_suppression import round_to_base
from tasks.sssc.attributes import RELEASED, Ladder, describe
from tasks.sssc.pseudonym import pseudonyms

STAFF_TOLERANCE = 0.005  # the Datastore prints NumberStaff to 2 decimal places
STAFF_SPAN = 100_000.0  # far above any service's WTE (the dictionary caps NumberStaff at 10,000)
BAND_EDGE = 1e-6  # below the Datastore's 0.01 precision, above the offsets' float precision
MATCHED = ["Service_Group", "Employer_Type", "Area"]  # what the Datastore shows of a service, besides staff
NOT_RELEASED = -1


@dataclass(frozen=True)
class Released:
    """The extract and what disclosure control did to make it."""

    extract: pd.DataFrame  # typed, in the dictionary's column order
    services: int  # with a current accepted return
    released: int
    left_out: int  # too rare even on the top rung
    wte_withheld: int
    by_level: dict[int, int]  # released services per rung
    k_reached: int  # pyCANON's k over the released attributes (services, not rows)
    l_vacancies: int  # pyCANON's l-diversity of "has vacancies" within those combinations
    linkage: dict[str, int]  # what the linkage check found on the released services


def release(
    services: pd.DataFrame,
    described: pd.DataFrame,
    public: pd.DataFrame,
    key: bytes,
    dictionary: DataDictionary,
    *,
    k: int,
    max_wte_per_person: float,
) -> Released:
    """The extract of the current returns, disclosure-controlled against the public view.

    services: the current accepted returns beside their register entries (annual_returns.store.with_register);
    described: those services described at every fineness (attributes.describe, total WTE as the
    Datastore prints it);
    public: what the public Datastore names (the register's columns and NumberStaff as it prints them).
    """
    ladder = Ladder.from_dictionary(dictionary)
    roles = list(dictionary.job_roles)
    rounding = dictionary.sssc_share["disclosure"]["extract_rounding"]
    public_described = describe(public, public["NumberStaff"].astype("Float64").round(2), dictionary)
    wte = {role: round_to_base(services[f"{role}_WTE"].astype("Float64"), rounding["WTE"]) for role in roles}
    wte_low = sum((wte[r] - rounding["WTE"] / 2).clip(lower=0).fillna(0).to_numpy(dtype=float) for r in roles)
    wte_high = sum((wte[r] + rounding["WTE"] / 2).fillna(0).to_numpy(dtype=float) for r in roles)
    heads = sum(services[f"{r}_Headcount"].astype("Float64").fillna(0).to_numpy(dtype=float) for r in roles)

    floor = np.zeros(len(services), dtype=int)
    public_shown: dict[int, pd.DataFrame] = {}
    wte_shown = np.ones(len(services), dtype=bool)
    while True:
        level = _place(described, floor, k, ladder)
        limits = (wte_low, wte_high, heads * max_wte_per_person)
        matches = _matches(described, level, wte_shown, limits, public_described, ladder, public_shown)
        risky = (level != NOT_RELEASED) & (matches < k)
        if not risky.any():
            break
        # Coarser attributes first, so that the SSSC keeps every service's WTE by role where it can;
        # on the top rung the WTE goes, and then the service.
        withhold = risky & wte_shown & (level == ladder.top)
        wte_shown[withhold] = False
        lift = risky & ~withhold
        floor[lift] = level[lift] + 1

    kept = level != NOT_RELEASED
    shown = pd.concat(
        [ladder.shown(described.loc[kept & (level == lv)], lv) for lv in sorted(set(level[kept]))] or [],
    ).reindex(described.index[kept])
    per_service = pd.DataFrame(
        {
            "Pseudonym": pseudonyms(services.loc[kept, "CSNumber"], key),
            "Return_Year": services.loc[kept, "Return_Year"].astype("Int64"),
            "Coarsening_Level": pd.Series(level[kept], index=shown.index, dtype="Int64"),
            **{column: shown[column].astype("string") for column in RELEASED[1:]},
            "WTE_Shown": pd.Series(np.where(wte_shown[kept], "Yes", "No"), index=shown.index, dtype="string"),
        }
    )
    extract = _rows_per_role(per_service, services.loc[kept], wte, wte_shown[kept], roles, rounding)
    extract = extract[[c.name for c in dictionary.sssc_extract_columns()]]
    has_vacancies = sum(services.loc[kept, f"{r}_Vacant_WTE"].astype("Float64").fillna(0) for r in roles) > 0
    # pyCANON reads the frame's index as row positions
    measured = (
        per_service[RELEASED]
        .astype(str)
        .assign(Has_Vacancies=has_vacancies.map({True: "Yes", False: "No"}))
        .reset_index(drop=True)
    )
    released_matches = matches[kept]
    return Released(
        extract=extract,
        services=len(services),
        released=int(kept.sum()),
        left_out=int((~kept).sum()),
        wte_withheld=int((~wte_shown[kept]).sum()),
        by_level={int(lv): int((level == lv).sum()) for lv in sorted(set(level[kept]))},
        k_reached=int(anonymity.k_anonymity(measured, RELEASED)) if len(measured) else 0,
        l_vacancies=int(anonymity.l_diversity(measured, RELEASED, ["Has_Vacancies"])) if len(measured) else 0,
        linkage={
            "public_services": len(public),
            "matched_to_one_named_service": int((released_matches == 1).sum()),
            "matched_to_fewer_than_k": int((released_matches < k).sum()),
            "fewest_named_services_matched": int(released_matches.min()) if len(released_matches) else 0,
        },
    )


def _place(described: pd.DataFrame, floor: np.ndarray, k: int, ladder: Ladder) -> np.ndarray:
    """Each service's rung: the lowest, not below its floor, where its combination holds k services."""
    level = np.full(len(described), NOT_RELEASED)
    for rung in range(ladder.top + 1):
        waiting = (level == NOT_RELEASED) & (floor <= rung)
        if not waiting.any():
            continue
        shown = ladder.shown(described.loc[waiting], rung)
        sizes = shown.groupby(list(shown.columns), dropna=False)["Area"].transform("size").to_numpy()
        placed = np.flatnonzero(waiting)[sizes >= k]
        level[placed] = rung
    return level


def _matches(
    described: pd.DataFrame,
    level: np.ndarray,
    wte_shown: np.ndarray,
    limits: tuple[np.ndarray, np.ndarray, np.ndarray],
    public: pd.DataFrame,
    ladder: Ladder,
    public_shown: dict[int, pd.DataFrame],
) -> np.ndarray:
    """For each placed service, how many public services match it on its rung: the same service group,
    employer type and area, and a NumberStaff its size band, its rounded WTE (when shown) and its
    headcount allow. A public service with no NumberStaff matches any figures: nobody can rule it out.

    Counted for every service at once: each public service's NumberStaff is offset by its combination's
    number times STAFF_SPAN, so that one sorted array answers every service's range with a search.
    public_shown: the public services as each rung shows them, filled in as rungs are first met.
    """
    wte_low, wte_high, head_cap = limits
    counts = np.zeros(len(described), dtype=int)
    public_staff = public["staff"].to_numpy(dtype=float)
    known = ~np.isnan(public_staff)
    for rung in sorted(set(level[level != NOT_RELEASED])):
        mine = np.flatnonzero(level == rung)
        if rung not in public_shown:
            public_shown[rung] = ladder.shown(public, rung)[MATCHED]
        both = pd.concat([public_shown[rung], ladder.shown(described.iloc[mine], rung)[MATCHED]])
        codes = both.groupby(MATCHED, sort=False, dropna=False).ngroup().to_numpy()
        theirs, ours = codes[: len(public)], codes[len(public) :]
        unknown = np.bincount(theirs[~known], minlength=codes.max() + 1)
        offset = np.sort(theirs[known] * STAFF_SPAN + public_staff[known])
        low, high = ladder.band_bounds_of(
            described["staff"].to_numpy(dtype=float)[mine], ladder.rungs[rung]["size"]
        )
        high = high - BAND_EDGE  # a band holds its lower bound, not its upper
        shown = wte_shown[mine]
        low = np.where(shown, np.maximum(low, wte_low[mine] - STAFF_TOLERANCE), low)
        high = np.where(shown, np.minimum(high, wte_high[mine] + STAFF_TOLERANCE), high)
        high = np.minimum(np.minimum(high, head_cap[mine] + STAFF_TOLERANCE), STAFF_SPAN / 2)
        inside = np.searchsorted(offset, ours * STAFF_SPAN + high, side="right") - np.searchsorted(
            offset, ours * STAFF_SPAN + low, side="left"
        )
        counts[mine] = np.maximum(inside, 0) + unknown[ours]
    return counts


def _rows_per_role(
    per_service: pd.DataFrame,
    services: pd.DataFrame,
    wte: dict[str, pd.Series],
    wte_shown: np.ndarray,
    roles: list[str],
    rounding: dict[str, float],
) -> pd.DataFrame:
    """One row per released service and job role, its figures rounded as the dictionary says."""
    hidden = pd.Series(~wte_shown, index=per_service.index)
    parts = []
    for order, role in enumerate(roles):
        part = per_service.copy()
        part["Role"] = pd.Series(role, index=part.index, dtype="string")
        part["Role_Order"] = order
        part["Headcount"] = services[f"{role}_Headcount"].astype("Int64")
        part["WTE"] = wte[role].loc[part.index].mask(hidden)
        vacant = round_to_base(services[f"{role}_Vacant_WTE"].astype("Float64"), rounding["Vacant_WTE"])
        part["Vacant_WTE"] = vacant.mask(hidden)
        for measure in ("Hard_To_Fill", "Leavers", "Starters"):
            part[measure] = services[f"{role}_{measure}"].astype("Int64")
        for measure in ("Agency_Hours", "Absence_Days"):
            part[measure] = round_to_base(services[f"{role}_{measure}"].astype("Float64"), rounding[measure])
        part["SSSC_Registered_Staff"] = services["SSSC_Registered_Staff"].astype("Int64")
        parts.append(part)
    rows = pd.concat(parts, ignore_index=True)
    return rows.sort_values(["Pseudonym", "Role_Order"], kind="stable").reset_index(drop=True)
