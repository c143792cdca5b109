"""What a service looks like at each rung of the coarsening ladder, for the extract and the public alike.

The same function describes a released service (from its register entry and its return's total WTE) and
a service of the public Datastore (from the columns it prints, NumberStaff as its total WTE), so the
linkage check compares like with like: what the SSSC sees of a record, and what anyone sees of a
named service, at the record's rung.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carestats.dictionary import DataDictionary

ALL_AREAS = "Scotland"
ANY_SIZE = "Any size"
RELEASED = ["Coarsening_Level", "Service_Group", "Employer_Type", "Area", "Size_Band"]
SHOWN = RELEASED[1:]  # the attributes a rung coarsens (the level says which rung)


def describe(services: pd.DataFrame, staff: pd.Series, dictionary: DataDictionary) -> pd.DataFrame:
    """Every attribute a rung may show, at every fineness, from CareService, Subtype, ServiceType,
    Council_Area_Name and a total WTE (blank where unknown).
    """
    share = dictionary.sssc_share
    sub_sector = pd.Series(
        [
            dictionary.sub_sector(care, sub if isinstance(sub, str) else None)
            for care, sub in zip(services["CareService"], services["Subtype"].astype(object), strict=True)
        ],
        index=services.index,
    )
    council = services["Council_Area_Name"].astype(object)
    board = council.map(dictionary.reference["council_main_health_board"]).fillna(council)
    return pd.DataFrame(
        {
            "sub_sector": sub_sector,
            "service_group": sub_sector.map(share["service_groups"]),
            "employer_type": services["ServiceType"].astype(object),
            "employer_group": services["ServiceType"].astype(object).map(share["employer_groups"]),
            "council_area": council,
            "health_board": board,
            "region": board.map(share["regions"]).fillna(board),
            "scotland": ALL_AREAS,
            "staff": staff.astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        },
        index=services.index,
    )


@dataclass(frozen=True)
class Ladder:
    """The coarsening ladder from the dictionary: rung by rung, which fineness each attribute shows."""

    rungs: list[dict[str, str]]
    bands: dict[str, list[float]]

    @classmethod
    def from_dictionary(cls, dictionary: DataDictionary) -> Ladder:
        """The ladder and the size bands as the sssc_share section sets them."""
        share = dictionary.sssc_share
        return cls(list(share["coarsening"]), {k: list(v) for k, v in share["size_bands"].items()})

    @property
    def top(self) -> int:
        """The coarsest rung: a service still too rare there is left out of the extract."""
        return len(self.rungs) - 1

    def shown(self, described: pd.DataFrame, level: int) -> pd.DataFrame:
        """The attributes as the rung shows them (Service_Group, Employer_Type, Area, Size_Band)."""
        rung = self.rungs[level]
        return pd.DataFrame(
            {
                "Service_Group": described[rung["service"]],
                "Employer_Type": described[rung["employer"]],
                "Area": described[rung["area"]],
                "Size_Band": self.band_labels(described["staff"], rung["size"]),
            },
            index=described.index,
        )

    def band_labels(self, staff: pd.Series, size: str) -> pd.Series:
        """Each total WTE's band label on the rung's bands ("10 to under 25", "100 or more")."""
        if size == "any":
            return pd.Series(ANY_SIZE, index=staff.index)
        edges = self.bands[size]
        labels = [_label(lo, hi) for lo, hi in zip(edges, [*edges[1:], math.inf], strict=True)]
        values = staff.to_numpy(dtype=float)
        positions = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 1)
        named = np.array(labels, dtype=object)[positions]
        return pd.Series(np.where(np.isnan(values), "Unknown", named), index=staff.index)

    def band_bounds_of(self, staff: np.ndarray, size: str) -> tuple[np.ndarray, np.ndarray]:
        """The bounds of each total WTE's band on the rung's bands: from the lower, up to not including
        the upper (0 and infinity for "any size").
        """
        if size == "any":
            return np.zeros(len(staff)), np.full(len(staff), math.inf)
        edges = np.array([*self.bands[size], math.inf], dtype=float)
        positions = np.clip(np.searchsorted(edges, staff, side="right") - 1, 0, len(edges) - 2)
        return edges[positions], edges[positions + 1]


def _label(lo: float, hi: float) -> str:
    return f"{lo:g} or more" if math.isinf(hi) else f"{lo:g} to under {hi:g}"
