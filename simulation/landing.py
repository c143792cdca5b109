"""Landing simulated register extracts in a lake, as the operational system does after each month end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carestats.errors import BadInputError
from simulation.history import extract_tables, month_end_extract_dates, render_extract, simulate_history
from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake import open_lake, sha256_hex
from tasks.shared.lake_map import RegisterExtract


@dataclass(frozen=True)
class LandedExtracts:
    """What was written: the lake, the landing folder, and each extract's files with their sha256."""

    lake: str
    folder: str
    extracts: dict[str, dict[str, str]]


def extract_dates(until: dt.date, months: int, today: dt.date) -> list[dt.date]:
    """The day each of the `months` extracts up to the month end `until` is taken, oldest first.

    An extract is taken a few days after its month end, but never after today: nobody can land an extract
    from the future. It must still be taken after its month end (the product refuses an extract taken on
    the edition date), so a month that ends today has no extract yet.
    """
    dates = []
    for month_end, planned in month_end_extract_dates(until, months):
        taken = min(planned, today)
        if taken <= month_end:
            raise BadInputError(
                f"no extract can be taken yet for the month ending {month_end}: "
                f"an extract is dated after its month end and not after today ({today})"
            )
        dates.append(taken)
    return dates


def simulated_mark(seed: int, scale: float, messy: bool) -> bytes:
    """The file the simulator leaves beside each extract's tables, so that every edition, workbook and page
    made from it says the data is simulated (the operational system never writes it).
    """
    return canonical_json(
        {
            "simulated": True,
            "note": "Simulated register: fictitious care services, not the regulator's register.",
            "seed": seed,
            "scale": scale,
            "messy": messy,
        }
    )


def write_register_extracts(
    lake_location: str,
    until: dt.date,
    months: int,
    *,
    seed: int = 2025,
    scale: float = 1.0,
    messy: bool = True,
    today: dt.date | None = None,
) -> LandedExtracts:
    """An extract a few days after each of the `months` month ends up to `until`, from one simulated history.

    The same seed and scale write the same bytes, and extracts for any `until` agree on what they share;
    none is dated after `today` (default: the real today). Messy files carry the real exports' BOMs,
    encodings, line endings and spellings.
    """
    if not 0 < scale <= 100:
        raise ValueError("scale must be above 0 and at most 100")
    dates = extract_dates(until, months, today or dt.date.today())
    lake = open_lake(lake_location)
    history = simulate_history(seed=seed, scale=scale)
    written: dict[str, dict[str, str]] = {}
    for extract_date in dates:
        place = RegisterExtract(extract_date)
        files = render_extract(extract_tables(history, extract_date), extract_date, seed=seed, messy=messy)
        files[RegisterExtract.SIMULATED] = simulated_mark(seed, scale, messy)
        for name, data in files.items():
            lake.write_bytes(f"{place.folder}/{name}", data)
        written[extract_date.isoformat()] = {name: sha256_hex(data) for name, data in sorted(files.items())}
    return LandedExtracts(lake.uri(), lake.uri(RegisterExtract.AREA), written)
