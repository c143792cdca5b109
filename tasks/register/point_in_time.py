"""Which services were registered on a given day: the population of an edition."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def registered_on(services: pd.DataFrame, as_at: dt.date) -> pd.DataFrame:
    """Services registered on or before `as_at` and not cancelled on or before it.

    A service cancelled on the edition date has left the register by the end of that day, so it is
    not in the edition; one registered that day is. A re-registration carries a new CS number, so the
    old and new services are told apart by their own dates.
    """
    day = pd.Timestamp(as_at)
    registered = services["Date_Registered"] <= day
    cancelled = services["Date_Cancelled"].notna() & (services["Date_Cancelled"] <= day)
    return services.loc[registered & ~cancelled].sort_values("CSNumber", kind="stable").reset_index(drop=True)
