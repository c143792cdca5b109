"""Landing simulated register extracts in a lake, as the operational system does after each month end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from simulation.history import extract_tables, month_end_extract_dates, render_extract, simulate_history
from tasks.shared.lake import open_lake, sha256_hex
from tasks.shared.lake_map import RegisterExtract


@dataclass(frozen=True)
class LandedExtracts:
    """What was written: the lake, the landing folder, and each extract's files with their sha256."""

    lake: str
    folder: str
    extracts: dict[str, dict[str, str]]


def write_register_extracts(
    lake_location: str,
    until: dt.date,
    months: int,
    *,
    seed: int = 2025,
    scale: float = 1.0,
    messy: bool = True,
) -> LandedExtracts:
    """An extract a few days after each of the `months` month ends up to `until`, from one simulated history.

    The same seed and scale write the same bytes; messy files carry the real exports' BOMs, encodings,
    line endings and spellings.
    """
    if not 0 < scale <= 100:
        raise ValueError("scale must be above 0 and at most 100")
    lake = open_lake(lake_location)
    history = simulate_history(seed=seed, scale=scale, until=until + dt.timedelta(days=31))
    written: dict[str, dict[str, str]] = {}
    for _, extract_date in month_end_extract_dates(until, months):
        place = RegisterExtract(extract_date)
        files = render_extract(extract_tables(history, extract_date), extract_date, seed=seed, messy=messy)
        for name, data in files.items():
            lake.write_bytes(f"{place.folder}/{name}", data)
        written[extract_date.isoformat()] = {name: sha256_hex(data) for name, data in sorted(files.items())}
    return LandedExtracts(lake.uri(), lake.uri(RegisterExtract.AREA), written)
