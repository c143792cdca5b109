"""The aggregate tables shared with the SSSC: staffing by sub-sector, employer type and council area.

Every figure is summed over every service with a current accepted return (those left out of the
record-level extract included), then protected by the shared cell suppression (small cells, secondary
suppression audited by linear programming) and rounded as the dictionary says; rates come from the
unrounded figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carestats.dictionary import DataDictionary
from tasks.shared.cell_suppression import ProtectedTable, TableSpec, protect, table_with_margins
from tasks.shared.statistical_tables import audits, percent, published_table, rounded

ADDITIVE = ["Headcount", "WTE", "Vacant_WTE", "Leavers", "Starters", "Stayers"]
DIMENSIONS = {"Sub_Sector": "sub_sector", "Employer_Type": "employer_type", "Council_Area": "council_area"}


@dataclass(frozen=True)
class Tables:
    """The protected tables, the audit of every suppressed cell, and each table as published text."""

    protected: list[ProtectedTable]
    audits: dict[str, pd.DataFrame]
    text: dict[str, pd.DataFrame]


def staffing_units(returns: pd.DataFrame, described: pd.DataFrame, roles: list[str]) -> pd.DataFrame:
    """One row per service with a current return: its sub-sector, employer type and council area, and
    its staffing summed over job roles (Stayers: the headcount less the year's starters).
    """
    total = {m: sum(returns[f"{r}_{m}"].astype("Float64").fillna(0) for r in roles) for m in ADDITIVE[:-1]}
    units = pd.DataFrame({name: described[source].to_numpy() for name, source in DIMENSIONS.items()})
    for measure, values in total.items():
        units[measure] = values.to_numpy(dtype=float)
    units["Stayers"] = np.clip(units["Headcount"] - units["Starters"], 0, None)
    return units


def build_tables(units: pd.DataFrame, dictionary: DataDictionary) -> Tables:
    """Every table the dictionary lists, protected together (they share their employer-type margins)."""
    disclosure = dictionary.sssc_share["disclosure"]
    specs = [
        TableSpec(
            name=name, row=layout["rows"], column=layout["columns"], count="Services", measures=ADDITIVE
        )
        for name, layout in dictionary.sssc_share["tables"].items()
    ]
    cells = [(spec, table_with_margins(units.assign(Services=1), spec)) for spec in specs]
    protected = protect(cells, disclosure["min_cell_services"], disclosure["protection"])
    text = {table.spec.name: published_text(table, dictionary) for table in protected}
    return Tables(protected, audits(protected, disclosure["protection"]), text)


def published_text(table: ProtectedTable, dictionary: DataDictionary) -> pd.DataFrame:
    """A protected table as the text of its CSV: figures rounded, rates to one decimal place, [c] where
    a cell is suppressed, blank where a rate has nothing to be worked out of.
    """
    cells = table.cells
    figures = {
        "Services": cells["Services"].astype("Float64"),
        **rounded(cells, dictionary.sssc_share["disclosure"]["table_rounding"]),
        "Vacancy_Rate": percent(cells["Vacant_WTE"], cells["WTE"] + cells["Vacant_WTE"]),
        "Stability_Index": percent(cells["Stayers"], cells["Stayers"] + cells["Leavers"]),
    }
    return published_table(table, dictionary.sssc_table_columns(), figures, not_applicable="")
