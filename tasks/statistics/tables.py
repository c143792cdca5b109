"""The tables of "Staff vacancies in care services": their units, their protection and their published text.

Units are the services with a current accepted return, each beside its register entry (type of care service,
sector, council area). Childminders are not asked the vacancy questions, so they are left out of every
table: counting them without vacancies would lower every rate.

- vacancy tables (by type of care service, by council area, by return year; each by sector): one unit per
  service, figures Services, Services_With_Vacancies (vacant WTE above 0 over its job roles), WTE and
  Vacant_WTE;
- reasons: one unit per service and reason it gave, among services with vacancies hard to fill;
- roles: one unit per service and job role it has staff or vacancies in.

Tables are protected by the shared cell suppression: the two vacancy tables of the year together (they share
their sector margins and grand total), each other table on its own. The trend's total over return years is
not published (it adds up different years); leaving cells out only narrows what a reader knows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carestats.dictionary import Column, DataDictionary
from tasks.annual_returns.store import with_register
from tasks.shared.cell_suppression import (
    SUPPRESSION,
    TOTAL,
    ProtectedTable,
    TableSpec,
    protect,
    table_with_margins,
)
from tasks.shared.disclosure import group_mask
from tasks.shared.statistical_tables import audits, percent, published_table, rounded, units_behind

SERVICE = "CSNumber"  # what names a unit's service: the threshold counts these
COUNT = "Services"
BY_SERVICE_TYPE = "vacancies_by_service_type_and_sector"
BY_COUNCIL_AREA = "vacancies_by_council_area_and_sector"
REASONS = "hard_to_fill_reasons_by_sector"
ROLES = "staffing_by_role_and_sector"
TREND = "vacancies_by_return_year_and_sector"
VACANCY_MEASURES = ["Services_With_Vacancies", "WTE", "Vacant_WTE"]
MEASURES = {
    BY_SERVICE_TYPE: VACANCY_MEASURES,
    BY_COUNCIL_AREA: VACANCY_MEASURES,
    REASONS: [],
    ROLES: ["Headcount", "WTE", "Vacant_WTE"],
    TREND: VACANCY_MEASURES,
}
# Tables protected together: those sharing margins are one group, as an intruder would read them together.
PROTECTED_TOGETHER = [[BY_SERVICE_TYPE, BY_COUNCIL_AREA], [REASONS], [ROLES], [TREND]]
# Register columns the dimensions come from.
REGISTER_DIMENSIONS = {
    "Care_Service": "CareService",
    "Council_Area": "Council_Area_Name",
    "Sector": "ServiceType",
}
STAFFING = ["Headcount", "WTE", "Vacant_WTE", "Hard_To_Fill"]
# The percentages a table shows where its cells hold the figure named first, worked out from the unrounded
# cells.
DERIVED = {
    "Percent_With_Vacancies": (
        "Services_With_Vacancies",
        lambda cells: percent(cells["Services_With_Vacancies"], cells[COUNT]),
    ),
    "Vacancy_Rate": (
        "Vacant_WTE",
        lambda cells: percent(cells["Vacant_WTE"], cells["WTE"] + cells["Vacant_WTE"]),
    ),
}
BEHIND = "Services_Behind"  # beside the published text for the gate: distinct services in the cell


@dataclass(frozen=True)
class StatisticsTables:
    """The protected tables, what the audits found, each table as published and what the gate judges."""

    protected: list[ProtectedTable]
    audits: dict[str, pd.DataFrame]
    text: dict[str, pd.DataFrame]  # each table's CSV text, rows in reading order
    behind: dict[str, pd.Series]  # distinct services behind each published row, aligned with its text
    linked: pd.DataFrame  # every cell published in two tables, with its suppression in both


def asked_services(returns: pd.DataFrame, register: pd.DataFrame, dictionary: DataDictionary) -> pd.DataFrame:
    """The current returns of services asked the vacancy questions (childminders are not), each beside its
    register entry; a year's returns in, the same rows out less those not asked.
    """
    services = with_register(returns, register)
    not_asked = group_mask(services, dictionary.not_asked_vacancy_questions())
    return services.loc[~not_asked].reset_index(drop=True)


def vacancy_units(services: pd.DataFrame, dictionary: DataDictionary) -> pd.DataFrame:
    """One row per service: its return year, dimensions, and its staffing summed over the job roles (a role
    left blank counts as none).
    """
    units = _dimensions(services)
    for measure in STAFFING:
        units[measure] = sum(_figure(services, f"{role}_{measure}") for role in dictionary.job_roles)
    units["Services_With_Vacancies"] = (units["Vacant_WTE"] > 0).astype("int64")
    return units


def reason_units(services: pd.DataFrame, dictionary: DataDictionary) -> pd.DataFrame:
    """One row per service with vacancies hard to fill and reason it gave ("; " between reasons)."""
    units = vacancy_units(services, dictionary)
    reasons = services["Hard_To_Fill_Reasons"].astype("string").fillna("").str.split("; ")
    units["Reason"] = reasons.to_numpy()
    given = units.loc[units["Hard_To_Fill"] > 0].explode("Reason")
    given["Reason"] = given["Reason"].astype("string").str.strip()
    return given.loc[given["Reason"].fillna("") != ""].reset_index(drop=True)


def role_units(services: pd.DataFrame, dictionary: DataDictionary) -> pd.DataFrame:
    """One row per service and job role it has staff or vacancies in, with the role's staffing."""
    parts = []
    for role in dictionary.job_roles:
        part = _dimensions(services)
        part["Role"] = role_label(role)
        for measure in ("Headcount", "WTE", "Vacant_WTE"):
            part[measure] = _figure(services, f"{role}_{measure}")
        parts.append(part.loc[(part[["Headcount", "WTE", "Vacant_WTE"]] > 0).any(axis=1)])
    return pd.concat(parts, ignore_index=True)


def role_label(role: str) -> str:
    """A job role as the tables name it: the annual return's name in words (Senior_Care is Senior care)."""
    return role.replace("_", " ").capitalize()


def build_tables(
    services_by_year: dict[int, pd.DataFrame], dictionary: DataDictionary, return_year: int
) -> StatisticsTables:
    """Every table of the year's publication from the asked services of each return year up to it: units,
    protection, audits and published text.
    """
    section = dictionary.return_statistics
    disclosure = section["disclosure"]
    current = services_by_year[return_year]
    years = sorted(year for year in services_by_year if year <= return_year)
    units = {
        BY_SERVICE_TYPE: vacancy_units(current, dictionary),
        REASONS: reason_units(current, dictionary),
        ROLES: role_units(current, dictionary),
        TREND: pd.concat([vacancy_units(services_by_year[y], dictionary) for y in years], ignore_index=True),
    }
    units[BY_COUNCIL_AREA] = units[BY_SERVICE_TYPE]
    specs = {
        name: TableSpec(name, layout["rows"], layout["columns"], COUNT, MEASURES[name])
        for name, layout in section["tables"].items()
    }
    sectors = sorted(units[BY_SERVICE_TYPE]["Sector"].unique())
    orders = category_orders(dictionary, [str(y) for y in years])
    frames = {
        name: table_with_margins(
            _with_every_cell(
                units[name],
                spec,
                orders.get(spec.row, []),
                sorted(units[TREND]["Sector"].unique()) if name == TREND else sectors,
            ),
            spec,
        )
        for name, spec in specs.items()
    }
    protected: list[ProtectedTable] = []
    found: dict[str, pd.DataFrame] = {}
    for group in PROTECTED_TOGETHER:
        tables = protect(
            [(specs[n], frames[n]) for n in group], disclosure["min_cell_services"], disclosure["protection"]
        )
        protected += tables
        found |= audits(tables, disclosure["protection"])
    text, behind = {}, {}
    for table in protected:
        name = table.spec.name
        shown = published_table(table, _shown_columns(dictionary, table.spec), _figures(table, disclosure))
        shown[BEHIND] = units_behind(units[name], table.spec, SERVICE, table.cells)
        shown = _in_reading_order(shown, table.spec, orders, drop_row_total=name == TREND)
        behind[name] = shown.pop(BEHIND)
        text[name] = shown
    return StatisticsTables(protected, found, text, behind, _linked(protected, str(return_year)))


def category_orders(dictionary: DataDictionary, years: list[str]) -> dict[str, list[str]]:
    """The order readers expect a dimension's categories in, and every category a table shows even where no
    service has it: the dictionary's lists (care services, council areas, reasons, job roles) and the years.
    """
    not_asked = {v for values in dictionary.not_asked_vacancy_questions().values() for v in values}
    return {
        "Care_Service": [s for s in dictionary.care_services if s not in not_asked],
        "Council_Area": dictionary.council_areas,
        "Reason": list(dictionary.raw["annual_return"]["hard_to_fill_reasons"]),
        "Role": [role_label(role) for role in dictionary.job_roles],
        "Return_Year": years,
    }


def headline(text: dict[str, pd.DataFrame]) -> dict:
    """The national figures as published: services asked about vacancies, the percentage with vacancies and
    the vacancy rate (None where a figure is not published).
    """
    table = text[BY_SERVICE_TYPE]
    rows, columns = table.columns[:2]  # the row and column labels come first
    total = table.loc[(table[rows] == TOTAL) & (table[columns] == TOTAL)].iloc[0]
    return {
        "services": _number(total[COUNT], int),
        "percent_with_vacancies": _number(total["Percent_With_Vacancies"], float),
        "vacancy_rate": _number(total["Vacancy_Rate"], float),
    }


def _number(text: str, kind: type) -> int | float | None:
    try:
        return kind(text)
    except ValueError:
        return None


def _dimensions(services: pd.DataFrame) -> pd.DataFrame:
    """A unit's service, return year and register dimensions, one row per service."""
    units = pd.DataFrame({SERVICE: services["CSNumber"].astype(str).to_numpy()})
    units["Return_Year"] = services["Return_Year"].astype("Int64").astype(str).to_numpy()
    for dimension, column in REGISTER_DIMENSIONS.items():
        units[dimension] = services[column].astype(str).to_numpy()
    units[COUNT] = 1
    return units


def _figure(services: pd.DataFrame, column: str) -> np.ndarray:
    return services[column].astype("Float64").fillna(0).to_numpy(dtype=float)


def _with_every_cell(
    units: pd.DataFrame, spec: TableSpec, rows: list[str], columns: list[str]
) -> pd.DataFrame:
    """The units plus an empty cell (no service, every figure 0) for every row and column category the table
    shows, so that a category no service has is published as 0 rather than left out.
    """
    empty = pd.DataFrame(
        [(r, c) for r in dict.fromkeys([*rows, *units[spec.row]]) for c in columns],
        columns=[spec.row, spec.column],
    )
    empty[spec.figures] = 0
    return pd.concat([units[[spec.row, spec.column, *spec.figures]], empty], ignore_index=True)


def _shown_columns(dictionary: DataDictionary, spec: TableSpec) -> list[Column]:
    """The dictionary's table columns this table shows, in the dictionary's order."""
    held = set(spec.figures) | {name for name, (source, _) in DERIVED.items() if source in spec.figures}
    return [c for c in dictionary.statistics_table_columns() if c.name in held or c.name == "Suppressed"]


def _figures(table: ProtectedTable, disclosure: dict) -> dict[str, pd.Series]:
    """Every figure the table can show, by name: counts as they are, staff rounded, percentages derived."""
    cells = table.cells
    figures = {figure: cells[figure] for figure in table.spec.figures}
    figures |= rounded(cells, disclosure["table_rounding"])
    figures |= {name: derive(cells) for name, (source, derive) in DERIVED.items() if source in cells}
    return figures


def _in_reading_order(
    text: pd.DataFrame, spec: TableSpec, orders: dict[str, list[str]], drop_row_total: bool
) -> pd.DataFrame:
    """Rows by the dimension's order (the dictionary's, else as the table has them), each row's columns then
    its total, the totals last; without the row of totals when it adds up what must not be (return years).
    """
    rows = list(dict.fromkeys([*orders.get(spec.row, []), *text[spec.row]]))
    rank = {label: i for i, label in enumerate([r for r in rows if r != TOTAL] + [TOTAL])}
    ordered = (
        text.assign(_rank=text[spec.row].map(rank)).sort_values("_rank", kind="stable").drop(columns="_rank")
    )
    if drop_row_total:
        ordered = ordered.loc[ordered[spec.row] != TOTAL]
    return ordered.reset_index(drop=True)


def _linked(protected: list[ProtectedTable], return_year: str) -> pd.DataFrame:
    """Cells two tables both show: the year's row of the trend and the roles table's totals over roles, beside
    the vacancy tables' margins they equal (in services, or in WTE and vacant WTE). The gate checks each is
    hidden in both or in neither: a cell hidden in one table and published in the other is not hidden.
    """
    tables = {t.spec.name: t for t in protected}
    margins = _row_statuses(tables[BY_SERVICE_TYPE], TOTAL)
    records = [
        (name, column, status, BY_SERVICE_TYPE, margins[column])
        for name, row in ((TREND, return_year), (ROLES, TOTAL))
        for column, status in _row_statuses(tables[name], row).items()
        if column in margins
    ]
    return pd.DataFrame(
        records, columns=["Table", "Column", "Suppressed", "Linked_Table", "Linked_Suppressed"]
    )


def _row_statuses(table: ProtectedTable, row: str) -> dict[str, str]:
    """The suppression of each cell of one row of a table (its total included), by column."""
    cells, spec = table.cells, table.spec
    in_row = cells.loc[cells[spec.row].astype(str) == row]
    return dict(zip(in_row[spec.column].astype(str), in_row[SUPPRESSION], strict=True))
