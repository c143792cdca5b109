"""Synthetic Datastore editions: every dictionary column, blanks, formula-like and non-ASCII names."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carestats.dictionary import load_dictionary
from tasks.shared.published_text import published_text

AS_AT = dt.date(2025, 8, 31)
AWKWARD_NAMES = ["=1+2", "+44 131 555", "-minus", "@home", "\tTabbed", "Café Ùna’s", "Plain Nursery"]


def synthetic_edition(n_rows: int, seed: int, as_at: dt.date = AS_AT) -> pd.DataFrame:
    """A published-text edition with every dictionary column, blanks, formula-like and non-ASCII names."""
    return published_text(
        synthetic_typed_edition(n_rows, seed, as_at), load_dictionary().datastore_columns(as_at)
    )


def synthetic_typed_edition(n_rows: int, seed: int, as_at: dt.date = AS_AT) -> pd.DataFrame:
    """The edition as the flow holds it before rendering: typed columns in dictionary order."""
    rng = np.random.default_rng(seed)
    dictionary = load_dictionary()
    columns = dictionary.datastore_columns(as_at)
    care = rng.choice(list(dictionary.care_services), n_rows)
    subtypes = [
        rng.choice(dictionary.care_services[c]["subtypes"])
        if dictionary.care_services[c].get("subtypes")
        else None
        for c in care
    ]
    frame = {}
    for column in columns:
        name = column.name
        if name == "CSNumber":
            values = [f"CS{2000000000 + i:010d}" for i in range(n_rows)]
        elif name == "CareService":
            values = list(care)
        elif name == "Subtype":
            values = subtypes
        elif name == "Client_group":
            values = [dictionary.client_group(c, s) for c, s in zip(care, subtypes, strict=True)]
        elif name == "ServiceName":
            values = [
                rng.choice(AWKWARD_NAMES) + f" {i}" if i % 9 == 0 else f"Service {i}" for i in range(n_rows)
            ]
            values[: len(AWKWARD_NAMES)] = AWKWARD_NAMES
        elif name == "SP_number":
            values = [f"SP{2000000000 + int(i):010d}" for i in rng.integers(0, n_rows // 3 + 1, n_rows)]
        elif name == "Date_Reg":
            values = [
                f"{y}_{m}"
                for y, m in zip(rng.integers(2002, 2025, n_rows), rng.integers(1, 13, n_rows), strict=True)
            ]
        elif column.type == "integer":
            low = int(column.minimum or 1) if column.allowed is None else min(column.allowed)
            high = int(min(column.maximum or 400, 400)) if column.allowed is None else max(column.allowed)
            values = pd.array(rng.integers(low, high + 1, n_rows), dtype="Int64")
        elif column.type == "decimal":
            values = pd.array(np.round(rng.random(n_rows) * 80, 2), dtype="Float64")
        elif column.type == "date":
            values = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3800, n_rows), unit="D")
        elif column.allowed:
            values = list(rng.choice([str(v) for v in column.allowed], n_rows))
        else:
            values = [f"{name} {i % 37}" for i in range(n_rows)]
        series = pd.Series(values)
        if name not in (
            "CSNumber",
            "CareService",
            "ServiceName",
            "SP_number",
            "ServiceType",
            "Council_Area_Name",
        ):
            series = series.mask(rng.random(n_rows) < 0.15)
        frame[name] = series
    typed = pd.DataFrame(frame)
    for column in columns:
        if column.type in ("text", "flag", "year_month"):
            typed[column.name] = typed[column.name].astype("string")
    typed["NumberStaff"] = typed["NumberStaff"].mask(pd.Series(range(n_rows)) == 3, -1.5)
    return typed
