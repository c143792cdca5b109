"""Staffing benchmarks for inspectors: each service's indicators beside the nation's and its peers'.

Inspectors plan inspections by comparing a service with similar ones: turnover well above its peers' may
mean a service is struggling. Everything here is a pure function of the current returns of a year (and of
the year before, for the change), the register's description of each service and the data dictionary's
`inspection_benchmarks` section, which defines the indicators, the peer group, the fewest peers a
comparison needs and the flag percentile.

Each indicator is a ratio of a numerator to a denominator summed over the job roles of the staffing grid
(a role left blank counts as 0; a measure blank in every role is not known, and neither is the indicator).
National and peer figures are ratios of totals over the services with a value, never means of their
percentages. Values are kept unrounded for ranking and rounded to one decimal place in the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl import Workbook

from carestats.dictionary import DataDictionary, load_dictionary
from tasks.shared.disclosure import group_mask
from tasks.shared.excel.sheets import (
    TABLE_TOP_ROW,
    add_definitions_sheet,
    document_bytes,
    set_print,
    typed_values,
    write_sheet_title,
    write_table_sheet,
)
from tasks.shared.lake_map import InspectionBenchmarks
from tasks.shared.published_text import csv_bytes, published_text

STANDS_OUT, IN_RANGE, TOO_FEW_PEERS, NO_VALUE = "Stands out", "In range", "Too few peers", "No value"
FLAGGED_SEPARATOR = "; "
SERVICE_COLUMNS = ["CSNumber", "ServiceName", "CareService", "Subtype", "ServiceType", "Council_Area_Name"]
TABLE_DECIMALS = 1  # the table's figures are percentages to one decimal place
# Sums of decimal answers (0.1 + 0.2) carry floating-point noise that would split ties: values are ranked
# and compared at this precision, far finer than any answer is given to.
RANKING_DECIMALS = 9
NUMERATOR, DENOMINATOR = "_numerator", "_denominator"  # suffixes of an indicator's parts in indicator_values
VACANCY_INDICATORS = ("Vacancy_Rate",)  # made from the vacancy questions, which childminders are not asked
INTERNAL = "Internal: not for publication"
TABLE_SHEET, TABLE_NAME = "Benchmarks", "Benchmarks"
DEFINITIONS_SHEET, DEFINITIONS_TABLE = "Definitions", "Definitions"
TABLE_PRINT_PAGES_WIDE = 4  # the table's 45 columns print on this many landscape pages across


@dataclass(frozen=True)
class Indicator:
    """One indicator as the dictionary defines it: its column name, label, which side is worse, meaning."""

    name: str
    label: str
    worse: str  # "higher" or "lower"
    definition: str


@dataclass(frozen=True)
class BenchmarkRules:
    """What the data dictionary's inspection_benchmarks section says a benchmark is made of."""

    indicators: tuple[Indicator, ...]
    peer_group: tuple[str, ...]
    min_peers: int
    flag_percentile: float
    hours_per_wte_year: float
    working_days_per_wte_year: float
    job_roles: tuple[str, ...]
    not_asked_vacancy_questions: dict[str, list[str]]  # by register column, the values not asked

    @classmethod
    def from_dictionary(cls, dictionary: DataDictionary | None = None) -> BenchmarkRules:
        """The rules as the dictionary states them, so a change there changes every figure and page."""
        dictionary = dictionary or load_dictionary()
        section = dictionary.inspection_benchmarks
        return cls(
            indicators=tuple(
                Indicator(i["name"], i["label"], i["worse"], i["definition"]) for i in section["indicators"]
            ),
            peer_group=tuple(section["peer_group"]),
            min_peers=int(section["min_peers"]),
            flag_percentile=float(section["flag_percentile"]),
            hours_per_wte_year=float(section["hours_per_wte_year"]),
            working_days_per_wte_year=float(section["working_days_per_wte_year"]),
            job_roles=tuple(dictionary.job_roles),
            not_asked_vacancy_questions=dictionary.not_asked_vacancy_questions(),
        )

    def indicator(self, name: str) -> Indicator:
        """One indicator by its column name."""
        return next(i for i in self.indicators if i.name == name)


def with_register(returns: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Each current return beside its service's name, type, subtype, sector and council area from the
    register, as text with blanks as "" (a blank subtype is a peer group of its own), by CS number.

    Every return was checked against the register when it was accepted; a service the register no longer
    lists keeps its return, with blank attributes, rather than silently dropping out of the table.
    """
    attributes = register[SERVICE_COLUMNS].astype(object)
    attributes = attributes.where(attributes.notna(), "").astype(str)
    merged = returns.merge(attributes, on="CSNumber", how="left", validate="one_to_one")
    merged[SERVICE_COLUMNS[1:]] = merged[SERVICE_COLUMNS[1:]].fillna("")
    return merged.sort_values("CSNumber", kind="stable").reset_index(drop=True)


def staffing_totals(returns: pd.DataFrame, job_roles: tuple[str, ...]) -> pd.DataFrame:
    """Each return's staffing measures summed over the job roles (a blank role counts as 0; a measure
    blank in every role is NaN, not known), and its staff registered with the SSSC.
    """
    measures = ("Headcount", "WTE", "Vacant_WTE", "Leavers", "Starters", "Agency_Hours", "Absence_Days")
    totals = {
        measure: returns[[f"{role}_{measure}" for role in job_roles]].astype(float).sum(axis=1, min_count=1)
        for measure in measures
    }
    totals["SSSC_Registered_Staff"] = returns["SSSC_Registered_Staff"].astype(float)
    return pd.DataFrame(totals, index=returns.index)


def indicator_parts(totals: pd.DataFrame, rules: BenchmarkRules) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Each indicator's numerator and denominator from a service's totals, as the dictionary defines them."""
    headcount, wte = totals["Headcount"], totals["WTE"]
    agency, vacant, leavers = totals["Agency_Hours"], totals["Vacant_WTE"], totals["Leavers"]
    parts = {
        # the average of the headcount now and a year ago (now, less starters, plus leavers)
        "Turnover": (leavers, (headcount + (headcount - totals["Starters"] + leavers)) / 2),
        "Vacancy_Rate": (vacant, wte + vacant),
        "Agency_Reliance": (agency, agency + wte * rules.hours_per_wte_year),
        "Absence_Rate": (totals["Absence_Days"], wte * rules.working_days_per_wte_year),
        "SSSC_Registered_Share": (totals["SSSC_Registered_Staff"], headcount),
    }
    unknown = [i.name for i in rules.indicators if i.name not in parts]
    if unknown:
        raise KeyError(f"data dictionary: no definition in code for the indicator(s) {', '.join(unknown)}")
    return {i.name: parts[i.name] for i in rules.indicators}


def indicator_values(services: pd.DataFrame, rules: BenchmarkRules) -> pd.DataFrame:
    """Every indicator's value (a percentage, NaN where there is none) and its numerator and denominator
    (NaN wherever the value is), one row per service, in the services' order.

    A value needs its numerator and a denominator above 0; services not asked the vacancy questions
    have no vacancy rate whatever they answered.
    """
    parts = indicator_parts(staffing_totals(services, rules.job_roles), rules)
    not_asked = group_mask(services, rules.not_asked_vacancy_questions)  # childminders
    columns = {}
    for name, (numerator, denominator) in parts.items():
        has_value = numerator.notna() & denominator.notna() & (denominator > 0)
        if name in VACANCY_INDICATORS:
            has_value &= ~not_asked
        numerator, denominator = numerator.where(has_value), denominator.where(has_value)
        columns[name] = (numerator / denominator * 100).round(RANKING_DECIMALS)
        columns[name + NUMERATOR], columns[name + DENOMINATOR] = numerator, denominator
    return pd.DataFrame(columns, index=services.index)


def ratio_of_totals(numerators: pd.Series, denominators: pd.Series) -> float:
    """The figure over many services: their numerators' total as a percentage of their denominators'
    (NaN parts left out; NaN when nothing is left)."""
    total = denominators.sum()
    return float(numerators.sum() / total * 100) if total > 0 else np.nan


def percentile_ranks(values: pd.Series, groups: list[pd.Series]) -> tuple[pd.Series, pd.Series]:
    """Each value's percentile rank within its group, and how many in its group have a value.

    The rank is 100 x (those below + half of those equal, the service itself included) / those with a
    value. A value's average rank r is (those below) + (those equal + 1) / 2, so the rank is
    100 x (r - 0.5) / n.
    """
    grouped = values.groupby(groups, dropna=False, sort=False)
    compared = grouped.transform("count")
    return 100 * (grouped.rank(method="average") - 0.5) / compared, compared


def flags(
    values: pd.Series,
    percentiles: pd.Series,
    compared: pd.Series,
    indicator: Indicator,
    rules: BenchmarkRules,
) -> pd.Series:
    """Each service's flag on one indicator: no value, too few peers to compare, standing out at or beyond
    the flag percentile on the worse side, or in range. A group too small never stands out."""
    if indicator.worse == "higher":
        beyond = percentiles >= rules.flag_percentile
    elif indicator.worse == "lower":
        beyond = percentiles <= 100 - rules.flag_percentile
    else:
        raise ValueError(
            f"data dictionary: {indicator.name} is worse {indicator.worse!r}, not higher or lower"
        )
    flag = np.select(
        [values.isna(), compared < rules.min_peers, beyond],
        [NO_VALUE, TOO_FEW_PEERS, STANDS_OUT],
        IN_RANGE,
    )
    return pd.Series(flag, index=values.index, dtype="string")


def benchmark_table(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    register: pd.DataFrame,
    return_year: int,
    dictionary: DataDictionary | None = None,
) -> pd.DataFrame:
    """The inspector table: one row per service with a current return (by CS number), each indicator beside
    the national and peer figures, its percentile among peers, its flag and its change since the year
    before, then how many indicators stand out and which; typed, in the dictionary's column order.

    `previous` is the current returns of the year before (None when there were none: every change blank).
    """
    dictionary = dictionary or load_dictionary()
    rules = BenchmarkRules.from_dictionary(dictionary)
    services = with_register(current, register)
    values = indicator_values(services, rules)
    groups = [services[column] for column in rules.peer_group]
    last_year = _values_by_service(previous, register, rules)

    table: dict[str, pd.Series] = {
        "Return_Year": pd.Series(return_year, index=services.index, dtype="Int64"),
        **{column: services[column].astype("string") for column in SERVICE_COLUMNS},
        "Peer_Services": services.groupby(groups, dropna=False, sort=False)["CSNumber"]
        .transform("size")
        .astype("Int64"),
    }
    stands_out = pd.DataFrame(index=services.index)
    for indicator in rules.indicators:
        name = indicator.name
        value, numerator, denominator = values[name], values[name + NUMERATOR], values[name + DENOMINATOR]
        percentile, compared = percentile_ranks(value, groups)
        percentile = percentile.where(value.notna() & (compared >= rules.min_peers))
        flag = flags(value, percentile, compared, indicator, rules)
        change = value - services["CSNumber"].map(last_year[name]).astype(float)
        peer_totals = (
            pd.DataFrame({"n": numerator, "d": denominator})
            .groupby(groups, dropna=False, sort=False)
            .transform("sum")
        )
        peers = (100 * peer_totals["n"] / peer_totals["d"]).where(peer_totals["d"] > 0)
        table |= {
            name: _decimal(value),
            f"{name}_National": _decimal(
                pd.Series(ratio_of_totals(numerator, denominator), index=value.index)
            ),
            f"{name}_Peers": _decimal(peers),
            f"{name}_Peers_Compared": compared.astype("Int64"),
            f"{name}_Percentile": _decimal(percentile),
            f"{name}_Flag": flag,
            f"{name}_Change": _decimal(change),
        }
        stands_out[name] = flag == STANDS_OUT
    table["Flags"] = stands_out.sum(axis=1).astype("Int64")
    table["Flagged"] = pd.Series(
        [FLAGGED_SEPARATOR.join(stands_out.columns[row]) for row in stands_out.to_numpy(dtype=bool)],
        index=services.index,
        dtype="string",
    )
    return pd.DataFrame(table)[[c.name for c in dictionary.benchmark_columns()]]


def _values_by_service(
    returns: pd.DataFrame | None, register: pd.DataFrame, rules: BenchmarkRules
) -> pd.DataFrame:
    """Each indicator's unrounded value by CS number (no rows when there are no returns)."""
    if returns is None or not len(returns):
        return pd.DataFrame(columns=[i.name for i in rules.indicators], index=pd.Index([], name="CSNumber"))
    services = with_register(returns, register)
    values = indicator_values(services, rules)[[i.name for i in rules.indicators]]
    return values.set_axis(pd.Index(services["CSNumber"], name="CSNumber"))


def _decimal(values: pd.Series) -> pd.Series:
    return values.astype(float).round(TABLE_DECIMALS).astype("Float64")


def flag_counts(table: pd.DataFrame, rules: BenchmarkRules | None = None) -> dict[str, dict[str, int]]:
    """How many services got each flag on each indicator: what a run reports and inspectors look at first."""
    rules = rules or BenchmarkRules.from_dictionary()
    keys = {
        STANDS_OUT: "stands_out",
        IN_RANGE: "in_range",
        TOO_FEW_PEERS: "too_few_peers",
        NO_VALUE: "no_value",
    }
    counts = {}
    for indicator in rules.indicators:
        flag = table[f"{indicator.name}_Flag"].astype(str)
        counts[indicator.name] = {key: int((flag == value).sum()) for value, key in keys.items()}
    return counts


def most_flagged(table: pd.DataFrame, count: int) -> list[str]:
    """The CS numbers of up to `count` services standing out on at least one indicator, those standing
    out on most first, ties by CS number: whose profiles a run draws."""
    flagged = pd.DataFrame(
        {
            "CSNumber": table["CSNumber"].astype(str).to_numpy(),
            "Flags": pd.to_numeric(table["Flags"]).astype(int).to_numpy(),
        }
    )
    flagged = flagged[flagged["Flags"] > 0].sort_values(["Flags", "CSNumber"], ascending=[False, True])
    return flagged["CSNumber"].head(max(count, 0)).tolist()


def table_files(
    table: pd.DataFrame, return_year: int, dictionary: DataDictionary | None = None
) -> dict[str, bytes]:
    """The inspector table's files, by name: the CSV and the workbook, both from the same published text
    (figures to one decimal place, blanks empty, text a spreadsheet would run neutralised).
    """
    dictionary = dictionary or load_dictionary()
    place = InspectionBenchmarks(return_year)
    text = published_text(table, dictionary.benchmark_columns())
    return {place.table: csv_bytes(text), place.workbook: benchmark_workbook(text, return_year, dictionary)}


def benchmark_workbook(
    text: pd.DataFrame, return_year: int, dictionary: DataDictionary | None = None
) -> bytes:
    """The table as a workbook an inspector can filter, with a sheet saying what every column means; every
    sheet's title says it is internal. Fixed timestamps: the same table gives the same bytes.
    """
    dictionary = dictionary or load_dictionary()
    title = f"{dictionary.inspection_benchmarks['title']}, {return_year} returns ({INTERNAL.lower()})"
    known = {column.name: column for column in dictionary.benchmark_columns()}
    wb = Workbook()
    table_ws = wb.active
    table_ws.title = TABLE_SHEET
    write_sheet_title(
        table_ws,
        title,
        f"One row per service with a current {return_year} return, as the table '{TABLE_NAME}': each "
        "indicator beside the national figure and its peers' (same care service, subtype, sector and "
        "council area), its percentile among them, its flag and its change since the year before.",
    )
    write_table_sheet(
        table_ws, {name: typed_values(text[name], known[name]) for name in text.columns}, known, TABLE_NAME
    )
    set_print(
        table_ws,
        TABLE_TOP_ROW + max(len(text), 1),
        len(text.columns),
        title_rows=f"{TABLE_TOP_ROW}:{TABLE_TOP_ROW}",
        pages_wide=TABLE_PRINT_PAGES_WIDE,
    )
    add_definitions_sheet(
        wb,
        f"What every column of the {TABLE_SHEET} sheet means ({INTERNAL.lower()})",
        TABLE_SHEET,
        list(text.columns),
        known,
        DEFINITIONS_SHEET,
        DEFINITIONS_TABLE,
    )
    return document_bytes(wb, title, dt.datetime(return_year - 1, 12, 31))  # the day the returns describe
