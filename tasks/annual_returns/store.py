"""The curated store of one return year: every accepted return, the one that counts, and the accounting.

The store is rebuilt on every run from the accepted rows of every file version ingested (never edited in
place), so it is the same bytes whichever run builds it from the same files. The latest accepted
submission of each service (by Submitted_At, then file and line) is Current; earlier ones stay as
history. The accounting proves that every row received is in exactly one place.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from carestats.dictionary import DataDictionary, load_dictionary
from carestats.errors import BadInputError

ORDER = ["CSNumber", "Submitted_At", "Source_File", "Source_Line"]
STAFFING_KEYS = ["Return_ID", "Return_Year", "CSNumber", "Current", "Late"]


# What the register says of a service that the tables and extracts built on the returns are cut by.
REGISTER_ATTRIBUTES = ["CSNumber", "CareService", "Subtype", "ServiceType", "Council_Area_Name"]


def with_register(returns: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Each current return beside its service's register entry (every return was checked against it):
    its type, subtype, sector and council area, as the SSSC share and the statistics cut them.
    """
    return returns.merge(
        register[REGISTER_ATTRIBUTES], on="CSNumber", how="inner", validate="one_to_one"
    ).reset_index(drop=True)


class AccountingError(RuntimeError):
    """Rows received do not add up to rows current, superseded and quarantined: something was lost."""


def with_current(accepted: pd.DataFrame) -> pd.DataFrame:
    """Every accepted return in a fixed order, Current "Yes" on the latest submission of each service."""
    ordered = accepted.sort_values(ORDER, kind="stable").reset_index(drop=True)
    latest = ~ordered["CSNumber"].duplicated(keep="last")
    ordered["Current"] = pd.Series(latest.map({True: "Yes", False: "No"}), dtype="string")
    return ordered


def staffing_rows(returns: pd.DataFrame, dictionary: DataDictionary | None = None) -> pd.DataFrame:
    """The staffing grid as rows: one per accepted return and job role, each measure a column
    (Headcount, WTE, Vacant_WTE, ...), as the SSSC share and the statistics read it.
    """
    dictionary = dictionary or load_dictionary()
    grid = [c for c in dictionary.annual_return_columns() if c.role is not None]
    measures = list(dict.fromkeys(c.template.replace("{role}_", "") for c in grid))
    parts = []
    for role in dictionary.job_roles:
        part = returns[STAFFING_KEYS].copy()
        part.insert(3, "Role", pd.Series(role, index=returns.index, dtype="string"))
        for measure in measures:
            part[measure] = returns[f"{role}_{measure}"]
        parts.append(part)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True).sort_values(["CSNumber", "Return_ID", "Role"], kind="stable")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as Parquet, without the pandas index, so the same rows always give the same bytes."""
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink, compression="zstd")
    return sink.getvalue()


def read_parquet(data: bytes) -> pd.DataFrame:
    """Parquet bytes as a frame with pandas' nullable types (what the store was written from)."""
    return pq.read_table(pa.BufferReader(data)).to_pandas(types_mapper=pd.ArrowDtype).pipe(_nullable)


def _nullable(frame: pd.DataFrame) -> pd.DataFrame:
    converted = {}
    for name, values in frame.items():
        kind = str(values.dtype)
        if kind.startswith("int"):
            converted[name] = values.astype("Int64")
        elif kind.startswith("double"):
            converted[name] = values.astype("Float64")
        elif kind.startswith("timestamp"):
            converted[name] = values.astype("datetime64[s]")
        else:
            converted[name] = values.astype("string")
    return pd.DataFrame(converted, index=frame.index)


@dataclass(frozen=True)
class Accounting:
    """Where every row received went, over every file version ingested for the year."""

    files: int
    files_unreadable: int
    received: int
    accepted: int
    quarantined: int
    current: int
    superseded: int

    def check(self, year: int) -> None:
        """Fail loudly unless received = current + superseded + quarantined (and accepted = both first)."""
        if self.accepted != self.current + self.superseded or self.received != (
            self.current + self.superseded + self.quarantined
        ):
            raise AccountingError(
                f"annual returns {year}: {self.received} rows received but {self.current} current + "
                f"{self.superseded} superseded + {self.quarantined} quarantined "
                f"({self.accepted} accepted by the file records): rows have been lost or counted twice"
            )

    def as_dict(self) -> dict[str, int]:
        """The counts by name, as the artifact, the store's accounting.json and the CLI give them."""
        return dict(self.__dict__)


def account(records: list[dict], returns: pd.DataFrame) -> Accounting:
    """The year's accounting from the ingested file records and the rebuilt store."""
    current = returns["Current"] == "Yes" if len(returns) else pd.Series([], dtype=bool)
    return Accounting(
        files=len(records),
        files_unreadable=sum(1 for r in records if r["unreadable"]),
        received=sum(r["rows_received"] for r in records),
        accepted=sum(r["rows_accepted"] for r in records),
        quarantined=sum(r["rows_quarantined"] for r in records),
        current=int(current.sum()),
        superseded=int((~current).sum()),
    )


def require_store(present: bool, year: int, where: str) -> None:
    """No store for a year is a clear error naming where it was looked for."""
    if not present:
        raise BadInputError(
            f"no annual returns have been ingested for {year} (nothing at {where}): run ingest-annual-returns"
        )
