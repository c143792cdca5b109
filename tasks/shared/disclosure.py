"""Disclosure rules for published files, read from the data dictionary.

Withheld columns are always blank; `blank_for` columns are blank for the groups of services the
dictionary names (childminders' homes, children's care homes). Returns the count of cells blanked per
column so that a run can say what it withheld.
"""

from __future__ import annotations

import pandas as pd

from carestats.dictionary import Column, DataDictionary


def group_mask(frame: pd.DataFrame, conditions: dict[str, list[str]]) -> pd.Series:
    """Rows matching every condition of a disclosure group (e.g. CareService in [Child Minding])."""
    mask = pd.Series(True, index=frame.index)
    for column, values in conditions.items():
        mask &= frame[column].isin(values).fillna(False).astype(bool)
    return mask


def apply_disclosure(
    frame: pd.DataFrame, columns: list[Column], dictionary: DataDictionary
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The frame with the dictionary's disclosure rules applied, and the count of cells blanked per column."""
    published = frame.copy()
    blanked: dict[str, int] = {}
    groups = {name: group_mask(frame, rule) for name, rule in dictionary.disclosure_groups.items()}
    for column in columns:
        if column.name not in published.columns:
            continue
        if column.withheld:
            hide = pd.Series(True, index=frame.index)
        elif column.blank_for:
            hide = pd.concat([groups[g] for g in column.blank_for], axis=1).any(axis=1)
        else:
            continue
        blanked[column.name] = int((hide & published[column.name].notna()).sum())
        published[column.name] = published[column.name].mask(hide)
    return published, blanked
