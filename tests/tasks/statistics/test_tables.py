"""The statistics' tables from hand-made returns: figures, rounding, who is counted, suppression and its
audit, and the gate that stops a publication breaking any of it."""

from __future__ import annotations

import pandas as pd
import pytest

from tasks.shared.cell_suppression import TOTAL
from tasks.statistics.tables import (
    BY_COUNCIL_AREA,
    BY_SERVICE_TYPE,
    REASONS,
    ROLES,
    TREND,
    asked_services,
    build_tables,
    headline,
    reason_units,
    role_units,
)
from tasks.statistics.validation import validate_statistics
from tests.support.return_statistics import (
    CARE_HOME,
    CHILDMINDER,
    DICTIONARY,
    PRIVATE,
    SUPPORT,
    VOLUNTARY,
    returns_and_register,
    service,
    synthetic_services,
    tables_of,
)


def cell(tables, name: str, row: str, column: str) -> dict[str, str]:
    """One published row of a table as {figure: text}."""
    text = tables.text[name]
    rows, columns = text.columns[:2]
    found = text.loc[(text[rows] == row) & (text[columns] == column)]
    assert len(found) == 1, f"{name}: {row} x {column} published {len(found)} times"
    return found.iloc[0].drop([rows, columns]).to_dict()


@pytest.fixture(scope="module")
def synthetic():
    return tables_of(synthetic_services())


def test_percentages_and_rates_come_from_unrounded_figures_and_staff_figures_are_rounded():
    # Six care homes: 62.5 WTE and 2.5 vacant WTE between them, two with vacancies.
    wte = [10.5, 10.5, 10.5, 10.0, 10.0, 11.0]
    vacant = [1.25, 1.25, 0, 0, 0, 0]
    tables = tables_of(
        [
            service(n, staff={"Care_Staff": (12, w, v, 0)})
            for n, (w, v) in enumerate(zip(wte, vacant, strict=True))
        ]
    )
    assert cell(tables, BY_SERVICE_TYPE, CARE_HOME, PRIVATE) == {
        "Services": "6",
        "Services_With_Vacancies": "2",
        "Percent_With_Vacancies": "33.3",  # 2 of 6
        "WTE": "65",  # 62.5 to the nearest 5, the half away from zero
        "Vacant_WTE": "3",  # 2.5 to the nearest whole number, the half away from zero
        "Vacancy_Rate": "3.8",  # 2.5 / 65.0 unrounded, not 3 / 65 (4.6) nor 3 / 68 (4.4)
        "Suppressed": "",
    }
    # A type of care service no one has is published as zeros, its percentages not applicable.
    assert cell(tables, BY_SERVICE_TYPE, "Nurse Agency", PRIVATE) == {
        "Services": "0",
        "Services_With_Vacancies": "0",
        "Percent_With_Vacancies": "[x]",
        "WTE": "0",
        "Vacant_WTE": "0",
        "Vacancy_Rate": "[x]",
        "Suppressed": "",
    }
    assert headline(tables.text) == {"services": 6, "percent_with_vacancies": 33.3, "vacancy_rate": 3.8}


def test_childminders_are_left_out_of_every_table():
    care_homes = [service(n, staff={"Care_Staff": (10, 8.0, 1.0, 0)}) for n in range(6)]
    childminders = [service(100 + n, CHILDMINDER, staff={"Manager": (1, 1.0, 0, 0)}) for n in range(7)]
    tables = tables_of(care_homes + childminders)
    assert cell(tables, BY_SERVICE_TYPE, TOTAL, TOTAL)["Services"] == "6"
    assert cell(tables, BY_COUNCIL_AREA, "Fife", TOTAL)["Services"] == "6"
    assert cell(tables, TREND, "2026", TOTAL)["Services"] == "6"
    assert cell(tables, ROLES, "Manager", TOTAL)["Services"] == "0"  # only the childminders have managers
    for text in tables.text.values():
        assert CHILDMINDER not in set(text.iloc[:, 0])


def test_a_small_cell_is_suppressed_with_secondary_cells_and_the_audit_finds_nothing_recoverable():
    def homes(care_service: str, sector: str, count: int, first: int) -> list[dict]:
        staff = {"Care_Staff": (10, 9.0, 1.0, 0)}
        return [service(first + n, care_service, sector, staff=staff) for n in range(count)]

    tables = tables_of(
        homes(CARE_HOME, PRIVATE, 6, 0)
        + homes(CARE_HOME, VOLUNTARY, 2, 10)
        + homes(SUPPORT, PRIVATE, 7, 20)
        + homes(SUPPORT, VOLUNTARY, 8, 30)
    )
    status = {
        (row, column): cell(tables, BY_SERVICE_TYPE, row, column)["Suppressed"]
        for row in (CARE_HOME, SUPPORT, TOTAL)
        for column in (PRIVATE, VOLUNTARY, TOTAL)
    }
    # Two care homes are too few; hiding them alone would leave them as the row's total less the Private
    # cell, so the rectangle of four closes, with every total still published.
    assert status == {
        (CARE_HOME, PRIVATE): "secondary",
        (CARE_HOME, VOLUNTARY): "primary",
        (CARE_HOME, TOTAL): "",
        (SUPPORT, PRIVATE): "secondary",
        (SUPPORT, VOLUNTARY): "secondary",
        (SUPPORT, TOTAL): "",
        (TOTAL, PRIVATE): "",
        (TOTAL, VOLUNTARY): "",
        (TOTAL, TOTAL): "",
    }
    hidden = cell(tables, BY_SERVICE_TYPE, CARE_HOME, VOLUNTARY)
    assert {hidden[f] for f in hidden if f != "Suppressed"} == {"[c]"}
    assert cell(tables, BY_SERVICE_TYPE, CARE_HOME, TOTAL)["Services"] == "8"
    audit = tables.audits[BY_SERVICE_TYPE]
    assert len(audit) == 4 * 4  # four hidden cells, four figures each
    assert not audit["recoverable"].any()
    # The care home of the primary cell could be anything from none to eight: 8 - x, 10 - x, 5 + x.
    services = audit.loc[
        (audit["row"] == CARE_HOME) & (audit["column"] == VOLUNTARY) & (audit["measure"] == "Services")
    ]
    assert services[["lower", "upper"]].to_numpy().tolist() == [[0.0, 8.0]]


def test_the_audit_finds_nothing_recoverable_in_any_table(synthetic):
    suppressed = {
        name: (t.cells["Suppression"] != "").sum()
        for name, t in zip([t.spec.name for t in synthetic.protected], synthetic.protected, strict=True)
    }
    assert suppressed[BY_COUNCIL_AREA] > 0 and suppressed[REASONS] > 0  # the audit has something to prove
    for name, audit in synthetic.audits.items():
        assert len(audit) == suppressed[name] * len(
            next(t for t in synthetic.protected if t.spec.name == name).spec.figures
        )
        assert not audit["recoverable"].any(), audit.loc[audit["recoverable"]]
    assert (synthetic.linked["Suppressed"] == synthetic.linked["Linked_Suppressed"]).all()
    assert (
        len(synthetic.linked) == 2 * 4
    )  # the trend's year and the roles' totals, three sectors and the total


def test_every_published_cell_has_no_services_or_at_least_the_threshold(synthetic):
    threshold = DICTIONARY.return_statistics["disclosure"]["min_cell_services"]
    for name, text in synthetic.text.items():
        behind = synthetic.behind[name]
        published = text["Suppressed"] == ""
        assert ((behind[published] == 0) | (behind[published] >= threshold)).all(), name
        small = (behind > 0) & (behind < threshold)
        assert (text.loc[small, "Suppressed"] == "primary").all(), name


def test_reasons_are_counted_once_per_service_and_reason_and_the_total_counts_reasons_given():
    staff = {"Care_Staff": (10, 8.0, 2.0, 1), "Nurse": (3, 2.0, 1.0, 1)}  # hard to fill in two roles
    pay_only = [service(n, staff=staff, reasons="Pay") for n in range(3)]
    both = [service(10 + n, staff=staff, reasons="Too few applicants; Pay") for n in range(5)]
    none_hard = [service(20 + n, staff={"Care_Staff": (10, 8.0, 1.0, 0)}, reasons="") for n in range(4)]
    by_year, register = returns_and_register(pay_only + both + none_hard)
    asked = asked_services(by_year[2026], register, DICTIONARY)
    units = reason_units(asked, DICTIONARY)
    assert units.groupby("Reason")["CSNumber"].nunique().to_dict() == {"Pay": 8, "Too few applicants": 5}
    assert len(units) == 13  # one unit per service and reason, whatever the roles hard to fill
    tables = build_tables({2026: asked}, DICTIONARY, 2026)
    assert cell(tables, REASONS, "Pay", PRIVATE)["Services"] == "8"
    assert cell(tables, REASONS, "Too few applicants", PRIVATE)["Services"] == "5"
    assert cell(tables, REASONS, "Pay", TOTAL)["Services"] == "8"
    total = cell(tables, REASONS, TOTAL, PRIVATE)
    assert total == {"Services": "13", "Suppressed": ""}  # reasons given, not the 8 services
    text = tables.text[REASONS]
    at_total = (text["Reason"] == TOTAL) & (text["Sector"] == PRIVATE)
    assert tables.behind[REASONS][at_total].tolist() == [8]  # what the threshold is held to


def test_roles_count_each_role_a_service_has_staff_or_vacancies_in():
    staff = {"Manager": (1, 1.0, 0, 0), "Care_Staff": (3, 2.5, 0.5, 0), "Nurse": (0, 0, 1.0, 1)}
    tables_units = [service(n, staff=staff) for n in range(5)]
    by_year, register = returns_and_register(tables_units)
    units = role_units(asked_services(by_year[2026], register, DICTIONARY), DICTIONARY)
    assert sorted(units["Role"].unique()) == ["Care staff", "Manager", "Nurse"]
    assert len(units) == 15
    tables = tables_of(tables_units)
    assert cell(tables, ROLES, "Nurse", PRIVATE) == {
        "Services": "5",
        "Headcount": "0",
        "WTE": "0",
        "Vacant_WTE": "5",
        "Vacancy_Rate": "100.0",
        "Suppressed": "",
    }
    assert cell(tables, ROLES, "Deputy", PRIVATE)["Vacancy_Rate"] == "[x]"
    # Over every role: 15 service-roles; 20 people, 17.5 WTE (to 20), 7.5 vacant (to 8): 7.5 / 25.
    assert cell(tables, ROLES, TOTAL, PRIVATE) == {
        "Services": "15",
        "Headcount": "20",
        "WTE": "20",
        "Vacant_WTE": "8",
        "Vacancy_Rate": "30.0",
        "Suppressed": "",
    }


def test_the_trend_has_a_row_per_return_year_and_no_total_over_years():
    staff = {"Care_Staff": (10, 8.0, 1.0, 0)}
    earlier = [service(n, year=2025, staff=staff) for n in range(5)]
    later = [service(n, year=2026, staff={"Care_Staff": (10, 8.0, 0, 0)}) for n in range(5)]
    later += [service(10 + n, year=2026, staff=staff) for n in range(2)]
    tables = tables_of(earlier + later)
    trend = tables.text[TREND]
    assert list(dict.fromkeys(trend["Return_Year"])) == ["2025", "2026"]
    assert cell(tables, TREND, "2025", TOTAL)["Percent_With_Vacancies"] == "100.0"
    assert cell(tables, TREND, "2026", TOTAL)["Percent_With_Vacancies"] == "28.6"  # 2 of 7
    assert cell(tables, TREND, "2026", TOTAL) == cell(tables, BY_SERVICE_TYPE, TOTAL, TOTAL)
    # The 2025 publication's trend stops at 2025.
    assert list(dict.fromkeys(tables_of(earlier + later, 2025).text[TREND]["Return_Year"])) == ["2025"]


def test_the_gate_passes_the_tables_as_built(synthetic):
    report = validate_statistics(synthetic, no_quotes(), DICTIONARY, 2026)
    assert report.passed, [f.expectation for f in report.failures]
    assert report.evaluated > 40


def test_the_gate_blocks_a_small_cell_published(synthetic):
    text = synthetic.text[BY_COUNCIL_AREA].copy()
    primary = text.index[text["Suppressed"] == "primary"][0]
    text.loc[primary, ["Services", "Services_With_Vacancies", "Suppressed"]] = ["3", "1", ""]
    text.loc[primary, ["Percent_With_Vacancies", "WTE", "Vacant_WTE", "Vacancy_Rate"]] = [
        "33.3",
        "5",
        "1",
        "4.0",
    ]
    tampered = replace_text(synthetic, BY_COUNCIL_AREA, text)
    report = validate_statistics(tampered, no_quotes(), DICTIONARY, 2026)
    assert [f.expectation for f in report.critical] == [f"{BY_COUNCIL_AREA}: rule: small_cells_hidden"]
    assert report.critical[0].lines == [primary + 2]


def test_the_gate_blocks_a_figure_left_showing_in_a_suppressed_cell_and_a_rate_out_of_range(synthetic):
    text = synthetic.text[BY_SERVICE_TYPE].copy()
    hidden = text.index[text["Suppressed"] != ""][0]
    published = text.index[(text["Suppressed"] == "") & (text["Services"] != "0")][0]
    text.loc[hidden, "WTE"] = "40"
    text.loc[published, "Vacancy_Rate"] = "140.0"
    report = validate_statistics(
        replace_text(synthetic, BY_SERVICE_TYPE, text), no_quotes(), DICTIONARY, 2026
    )
    assert {f.expectation for f in report.critical} == {
        f"{BY_SERVICE_TYPE}: rule: suppressed_shown_as_c",
        f"{BY_SERVICE_TYPE}: Vacancy_Rate: 0 to 100",
    }


def test_the_gate_blocks_a_cell_hidden_in_one_table_and_published_in_another_and_a_misquoted_number(
    synthetic,
):
    linked = synthetic.linked.copy()
    linked.loc[0, "Suppressed"] = "secondary"
    quotes = pd.DataFrame(
        [
            [
                BY_SERVICE_TYPE,
                TOTAL,
                TOTAL,
                "Services",
                cell(synthetic, BY_SERVICE_TYPE, TOTAL, TOTAL)["Services"],
            ],
            [BY_SERVICE_TYPE, TOTAL, TOTAL, "Vacancy_Rate", "99.9"],
        ],
        columns=["Table", "Row", "Column", "Figure", "Quoted"],
    )
    tampered = type(synthetic)(
        synthetic.protected, synthetic.audits, synthetic.text, synthetic.behind, linked
    )
    report = validate_statistics(tampered, quotes, DICTIONARY, 2026)
    assert {f.expectation: f.lines for f in report.critical} == {
        "rule: linked_cells_agree": [2],
        "rule: quoted_as_published": [3],
    }


def no_quotes() -> pd.DataFrame:
    return pd.DataFrame(columns=["Table", "Row", "Column", "Figure", "Quoted"], dtype=object)


def replace_text(tables, name: str, text: pd.DataFrame):
    return type(tables)(
        tables.protected, tables.audits, {**tables.text, name: text}, tables.behind, tables.linked
    )
