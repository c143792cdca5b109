"""The inspection benchmarks' indicators, national and peer figures, percentiles, flags and change, on tiny
frames of returns whose every figure is chosen and worked out by hand here."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from tasks.shared.published_text import read_published_csv
from tasks.statistics.indicators import benchmark_table, flag_counts, most_flagged, table_files
from tests.support.benchmarks import (
    CARE_HOME,
    CHILDMINDER,
    DICTIONARY,
    ROLES,
    cs,
    register_frame,
    returns_frame,
    service,
    staffed,
)


def table_of(rows: list[dict], attributes: dict[str, dict] | None = None, previous: list[dict] | None = None):
    attributes = attributes or {row["CSNumber"]: CARE_HOME for row in rows}
    register = register_frame(attributes)
    last_year = returns_frame(previous) if previous is not None else None
    return benchmark_table(returns_frame(rows), last_year, register, 2026).set_index("CSNumber", drop=False)


# --- each indicator on one service, worked out by hand ---------------------------------------------------


def test_every_indicator_sums_its_measures_over_the_roles_a_blank_role_counting_as_nothing():
    # Manager: 1 person (1 WTE) who left and was replaced; Care_Staff: 9 people (7 WTE), 3 left, 1 started;
    # every other role blank. Headcount 10, WTE 8, vacant 2, leavers 4, starters 2, agency 1,950 hours,
    # absence 90 days.
    answers = staffed("Care_Staff", Headcount=9, WTE=7, Vacant_WTE=1.5, Leavers=3, Starters=1)
    answers |= {
        "Care_Staff_Agency_Hours": 1000.0,
        "Care_Staff_Absence_Days": 60.0,
        "Manager_Headcount": 1,
        "Manager_WTE": 1.0,
        "Manager_Vacant_WTE": 0.5,
        "Manager_Leavers": 1,
        "Manager_Starters": 1,
        "Manager_Agency_Hours": 950.0,
        "Manager_Absence_Days": 30.0,
    }
    table = table_of([service(cs(1), sssc=6, **answers)])
    row = table.loc[cs(1)]
    # headcount 10, leavers 4, starters 2: a year ago 10 - 2 + 4 = 12, average 11; 4 / 11 = 36.36%
    assert row["Turnover"] == 36.4
    # vacant 2 of 8 filled + 2 vacant WTE
    assert row["Vacancy_Rate"] == 20.0
    # 1,950 agency hours of 1,950 + 8 x 1,950 = 17,550 hours worked: 11.11%
    assert row["Agency_Reliance"] == 11.1
    # 90 days lost of 8 x 225 = 1,800 working days
    assert row["Absence_Rate"] == 5.0
    # 6 of 10 registered
    assert row["SSSC_Registered_Share"] == 60.0
    # alone: the nation and its peers are the service itself
    assert row["Turnover_National"] == row["Turnover_Peers"] == 36.4
    assert row["Peer_Services"] == 1 and row["Turnover_Peers_Compared"] == 1


def test_a_service_without_staff_has_no_value_on_any_indicator():
    nobody = staffed(Headcount=0, WTE=0, Vacant_WTE=0, Leavers=0, Starters=0, Agency_Hours=0, Absence_Days=0)
    row = table_of([service(cs(1), sssc=0, **nobody)]).loc[cs(1)]
    for name in ("Turnover", "Vacancy_Rate", "Agency_Reliance", "Absence_Rate", "SSSC_Registered_Share"):
        assert pd.isna(row[name]), name
        assert row[f"{name}_Flag"] == "No value", name
        assert pd.isna(row[f"{name}_National"]) and pd.isna(row[f"{name}_Percentile"]), name
        assert row[f"{name}_Peers_Compared"] == 0, name
    assert row["Flags"] == 0 and row["Flagged"] == ""


def test_staff_who_all_left_turn_over_twice_and_vacancies_without_staff_are_all_vacant():
    # nobody on 31 December, 3 left and none started: 3 a year ago, average 1.5, turnover 200%
    gone = staffed(Headcount=0, WTE=0, Vacant_WTE=2, Leavers=3, Starters=0)
    # 2 now, 6 started and none left: 2 - 6 + 0 = -4 a year ago, an average of -1: no value
    impossible = staffed(Headcount=2, WTE=2, Leavers=0, Starters=6)
    table = table_of([service(cs(1), **gone), service(cs(2), sssc=1, **impossible)])
    assert table.loc[cs(1), "Turnover"] == 200.0
    assert table.loc[cs(1), "Vacancy_Rate"] == 100.0  # 2 vacant of 0 + 2
    assert pd.isna(table.loc[cs(1), "Agency_Reliance"])  # 0 agency hours of 0 hours worked
    assert pd.isna(table.loc[cs(2), "Turnover"]) and table.loc[cs(2), "Turnover_Flag"] == "No value"
    assert table.loc[cs(2), "SSSC_Registered_Share"] == 50.0


def test_a_measure_blank_in_every_role_is_not_known_so_neither_is_its_indicator():
    answers = staffed(Headcount=10, WTE=8, Leavers=2, Starters=2, Agency_Hours=100)
    answers |= {f"{role}_Absence_Days": None for role in ROLES}
    row = table_of([service(cs(1), sssc=None, **answers)]).loc[cs(1)]
    assert pd.isna(row["Absence_Rate"]) and row["Absence_Rate_Flag"] == "No value"
    assert pd.isna(row["SSSC_Registered_Share"]) and row["SSSC_Registered_Share_Flag"] == "No value"
    assert row["Turnover"] == 20.0  # 2 of an average of 10
    assert row["Agency_Reliance"] == 0.6  # 100 of 100 + 15,600 hours: 0.637%


def test_childminders_have_no_vacancy_rate_whatever_they_answered():
    minder = staffed("Manager", Headcount=1, WTE=1, Vacant_WTE=None, Hard_To_Fill=None)
    answered = staffed("Manager", Headcount=1, WTE=1, Vacant_WTE=1)  # not asked: the answer does not count
    rows = [service(cs(1), sssc=1, **minder), service(cs(2), sssc=1, **answered)]
    table = table_of(rows, {cs(1): CHILDMINDER, cs(2): CHILDMINDER})
    for number in (1, 2):
        row = table.loc[cs(number)]
        assert pd.isna(row["Vacancy_Rate"]) and row["Vacancy_Rate_Flag"] == "No value"
        assert pd.isna(row["Vacancy_Rate_National"]) and row["Vacancy_Rate_Peers_Compared"] == 0
        assert row["SSSC_Registered_Share"] == 100.0


# --- national and peer figures: ratios of totals --------------------------------------------------------


def test_national_and_peer_figures_are_ratios_of_totals_not_means_of_percentages():
    # turnover 1 of 2 (50%) and 1 of 8 (12.5%): together 2 of 10 = 20%, not their mean of 31.25%
    small = staffed(Headcount=2, WTE=2, Leavers=1, Starters=1)
    large = staffed(Headcount=8, WTE=8, Leavers=1, Starters=1)
    other_area = staffed(Headcount=10, WTE=10, Leavers=5, Starters=5)
    rows = [service(cs(1), **small), service(cs(2), **large), service(cs(3), **other_area)]
    table = table_of(
        rows, {cs(1): CARE_HOME, cs(2): CARE_HOME, cs(3): CARE_HOME | {"Council_Area_Name": "Angus"}}
    )
    assert table.loc[cs(1), "Turnover"] == 50.0 and table.loc[cs(2), "Turnover"] == 12.5
    assert table.loc[cs(1), "Turnover_Peers"] == table.loc[cs(2), "Turnover_Peers"] == 20.0
    assert table.loc[cs(3), "Turnover_Peers"] == 50.0
    # the nation: 7 of 20
    assert set(table["Turnover_National"]) == {35.0}
    assert table["Peer_Services"].tolist() == [2, 2, 1]


def test_a_blank_subtype_is_a_peer_group_of_its_own():
    answers = staffed(Headcount=4, WTE=4, Leavers=1, Starters=1)
    blank = CARE_HOME | {"Subtype": None}
    rows = [service(cs(n), **answers) for n in (1, 2, 3)]
    table = table_of(rows, {cs(1): blank, cs(2): blank, cs(3): CARE_HOME})
    assert table["Peer_Services"].tolist() == [2, 2, 1]
    assert table["Subtype"].tolist() == ["", "", "Older People"]


# --- percentiles and flags ------------------------------------------------------------------------------


def turnover_of(percent: float) -> dict:
    """Answers whose turnover is exactly `percent`: as many left as started, of 100 people."""
    return staffed(Headcount=100, WTE=100, Leavers=percent, Starters=percent)


def registered_of(percent: int) -> dict:
    """Answers with 100 people of whom `percent` are registered with the SSSC."""
    return {"sssc": percent, **staffed(Headcount=100, WTE=100)}


def test_the_highest_of_five_peers_stands_out_where_higher_is_worse():
    rows = [service(cs(n), **turnover_of(value)) for n, value in enumerate([5, 10, 15, 20, 40], start=1)]
    table = table_of(rows)
    # (below + half of the equal, itself included) / 5: 10, 30, 50, 70, 90
    assert table["Turnover_Percentile"].tolist() == [10.0, 30.0, 50.0, 70.0, 90.0]
    assert table["Turnover_Flag"].tolist() == ["In range"] * 4 + ["Stands out"]
    assert table["Turnover_Peers_Compared"].tolist() == [5] * 5
    assert table.loc[cs(5), "Flags"] == 1 and table.loc[cs(5), "Flagged"] == "Turnover"


def test_the_lowest_of_five_peers_stands_out_where_lower_is_worse():
    rows = [service(cs(n), **registered_of(value)) for n, value in enumerate([20, 60, 70, 80, 90], start=1)]
    table = table_of(rows)
    assert table["SSSC_Registered_Share_Percentile"].tolist() == [10.0, 30.0, 50.0, 70.0, 90.0]
    assert table["SSSC_Registered_Share_Flag"].tolist() == ["Stands out"] + ["In range"] * 4
    assert table.loc[cs(1), "Flagged"] == "SSSC_Registered_Share"
    # the peers' figure: 320 of 500 registered
    assert set(table["SSSC_Registered_Share_Peers"]) == {64.0}


def test_ties_count_half_so_a_shared_top_figure_does_not_stand_out():
    rows = [service(cs(n), **turnover_of(value)) for n, value in enumerate([10, 20, 20, 20, 30], start=1)]
    table = table_of(rows)
    # the three 20s: (1 below + 3 equal / 2) / 5 = 50
    assert table["Turnover_Percentile"].tolist() == [10.0, 50.0, 50.0, 50.0, 90.0]
    top_shared = [
        service(cs(n), **turnover_of(value)) for n, value in enumerate([10, 20, 30, 40, 40], start=1)
    ]
    shared = table_of(top_shared)
    # the two 40s: (3 below + 2 equal / 2) / 5 = 80, in range
    assert shared["Turnover_Percentile"].tolist() == [10.0, 30.0, 50.0, 80.0, 80.0]
    assert "Stands out" not in set(shared["Turnover_Flag"])


def test_figures_are_ranked_unrounded_and_published_to_one_decimal_place():
    # 36.36% and 36.44% both print as 36.4 but rank apart; 1/3 and 2/6 tie exactly (33.33...%)
    answers = [
        staffed(Headcount=11, WTE=11, Leavers=4, Starters=4),  # 36.3636...
        staffed(Headcount=225, WTE=225, Leavers=82, Starters=82),  # 36.4444...
        staffed(Headcount=3, WTE=3, Leavers=1, Starters=1),  # 33.33...
        staffed(Headcount=6, WTE=6, Leavers=2, Starters=2),  # 33.33...
        staffed(Headcount=10, WTE=10, Leavers=1, Starters=1),  # 10
    ]
    table = table_of([service(cs(n), **a) for n, a in enumerate(answers, start=1)])
    assert table["Turnover"].tolist() == [36.4, 36.4, 33.3, 33.3, 10.0]
    assert table["Turnover_Percentile"].tolist() == [70.0, 90.0, 40.0, 40.0, 10.0]
    assert table.loc[cs(2), "Turnover_Flag"] == "Stands out"
    assert table.loc[cs(1), "Turnover_Flag"] == "In range"


def test_a_group_below_min_peers_says_too_few_peers_and_never_stands_out():
    # four peers, one with ten times everyone's turnover
    rows = [service(cs(n), **turnover_of(value)) for n, value in enumerate([5, 6, 7, 100], start=1)]
    table = table_of(rows)
    assert table["Turnover_Flag"].tolist() == ["Too few peers"] * 4
    assert table["Turnover_Percentile"].isna().all()
    assert table["Turnover_Peers_Compared"].tolist() == [4] * 4
    assert table.loc[cs(4), "Turnover"] == 100.0 and table.loc[cs(4), "Flags"] == 0


def test_peers_compared_counts_only_peers_with_a_value():
    # five services, one with nobody on its staff: four have a turnover, too few to compare
    rows = [service(cs(n), **turnover_of(value)) for n, value in enumerate([5, 6, 7, 50], start=1)]
    rows.append(service(cs(5), **staffed(Headcount=0, WTE=0)))
    table = table_of(rows)
    assert table["Peer_Services"].tolist() == [5] * 5
    assert table["Turnover_Peers_Compared"].tolist() == [4] * 5
    assert table["Turnover_Flag"].tolist() == ["Too few peers"] * 4 + ["No value"]


def test_flags_count_every_indicator_standing_out_in_the_dictionary_order():
    rows = [service(cs(n), sssc=90, **turnover_of(value)) for n, value in enumerate([5, 10, 15, 20], start=1)]
    rows.append(service(cs(5), sssc=10, **turnover_of(40)))
    table = table_of(rows)
    assert table.loc[cs(5), "Flags"] == 2
    assert table.loc[cs(5), "Flagged"] == "Turnover; SSSC_Registered_Share"
    counts = flag_counts(table)
    assert counts["Turnover"] == {"stands_out": 1, "in_range": 4, "too_few_peers": 0, "no_value": 0}
    # every service's SSSC share but the last is 90%: ties at (1 + 4 / 2) / 5 = 60, the last at 10
    assert counts["SSSC_Registered_Share"]["stands_out"] == 1
    assert most_flagged(table, 10) == [cs(5)]


def test_most_flagged_puts_most_flags_first_then_cs_numbers_and_leaves_out_the_unflagged():
    table = pd.DataFrame({"CSNumber": [cs(3), cs(1), cs(2), cs(4)], "Flags": ["1", "2", "1", "0"]})
    assert most_flagged(table, 10) == [cs(1), cs(2), cs(3)]
    assert most_flagged(table, 2) == [cs(1), cs(2)]
    assert most_flagged(table, 0) == []


# --- change since last year -----------------------------------------------------------------------------


def test_change_is_this_years_figure_less_last_years_and_blank_without_a_return_last_year():
    this_year = [
        service(cs(1), sssc=8, **staffed(Headcount=11, WTE=11, Leavers=4, Starters=4)),  # 36.36%, 72.73%
        service(cs(2), sssc=5, **staffed(Headcount=10, WTE=10, Leavers=1, Starters=1)),  # new this year
        service(cs(4), sssc=5, **staffed(Headcount=11, WTE=11, Leavers=4, Starters=4)),  # 36.36%
    ]
    last_year = [
        service(cs(1), sssc=6, **staffed(Headcount=10, WTE=10, Leavers=3, Starters=3)),  # 30%, 60%
        service(cs(3), sssc=5, **staffed(Headcount=10, WTE=10, Leavers=1, Starters=1)),  # gone since
        service(cs(4), sssc=5, **staffed(Headcount=225, WTE=225, Leavers=82, Starters=82)),  # 36.44%
    ]
    table = table_of(this_year, {cs(n): CARE_HOME for n in (1, 2, 3, 4)}, previous=last_year)
    assert list(table["CSNumber"]) == [cs(1), cs(2), cs(4)]
    assert table.loc[cs(1), "Turnover_Change"] == 6.4  # 36.3636 - 30
    assert table.loc[cs(1), "SSSC_Registered_Share_Change"] == 12.7  # 72.7273 - 60
    assert table.loc[cs(1), "Vacancy_Rate_Change"] == 0.0
    assert pd.isna(table.loc[cs(2), "Turnover_Change"])
    # both years print as 36.4, but the change is of the unrounded figures: 36.3636 - 36.4444
    assert table.loc[cs(4), "Turnover"] == 36.4 and table.loc[cs(4), "Turnover_Change"] == -0.1
    # last year's returns missing altogether: every change blank
    assert table_of(this_year)["Turnover_Change"].isna().all()


def test_change_is_blank_when_either_year_has_no_value():
    this_year = [service(cs(1), sssc=5, **staffed(Headcount=10, WTE=10))]
    last_year = [service(cs(1), sssc=0, **staffed(Headcount=0, WTE=0))]
    row = table_of(this_year, previous=last_year).loc[cs(1)]
    assert row["SSSC_Registered_Share"] == 50.0 and pd.isna(row["SSSC_Registered_Share_Change"])


# --- the table's files ----------------------------------------------------------------------------------


def test_the_table_has_the_dictionarys_columns_and_its_files_say_the_same_in_text():
    rows = [service(cs(n), **turnover_of(value)) for n, value in enumerate([5, 10, 15, 20, 40], start=1)]
    rows.append(service(cs(6), **staffed("Manager", Headcount=1, WTE=1, Vacant_WTE=None)))
    attributes = {cs(n): CARE_HOME for n in range(1, 6)} | {cs(6): CHILDMINDER | {"Subtype": None}}
    register = register_frame(attributes)
    register.loc[register["CSNumber"] == cs(6), "ServiceName"] = "=HYPERLINK(1)"
    table = benchmark_table(returns_frame(rows), None, register, 2026)
    assert list(table.columns) == [c.name for c in DICTIONARY.benchmark_columns()]

    files = table_files(table, 2026)
    assert files == table_files(table, 2026)  # the same table, the same bytes
    assert sorted(files) == ["benchmarks_2026.csv", "benchmarks_2026.xlsx"]
    text = read_published_csv(files["benchmarks_2026.csv"])
    last = text.iloc[5]
    assert last["ServiceName"] == "'=HYPERLINK(1)"  # never run as a formula
    assert (last["Turnover"], last["Vacancy_Rate"], last["Vacancy_Rate_Flag"]) == ("0", "", "No value")
    assert text.iloc[4][["Turnover", "Turnover_Percentile", "Turnover_Flag"]].tolist() == [
        "40",
        "90",
        "Stands out",
    ]
    assert text["Return_Year"].tolist() == ["2026"] * 6

    workbook = openpyxl.load_workbook(io.BytesIO(files["benchmarks_2026.xlsx"]))
    assert workbook.sheetnames == ["Benchmarks", "Definitions"]
    sheet = workbook["Benchmarks"]
    assert "not for publication" in sheet["A1"].value
    header = [cell.value for cell in sheet[3]]
    assert header == list(table.columns)
    fifth = {name: cell.value for name, cell in zip(header, sheet[8], strict=True)}
    assert (fifth["CSNumber"], fifth["Turnover"], fifth["Turnover_Peers_Compared"]) == (cs(5), 40, 5)
    definitions = [row[0].value for row in workbook["Definitions"].iter_rows(min_row=4)]
    assert definitions == list(table.columns)


@pytest.mark.parametrize("worse", ["sideways", ""])
def test_an_indicator_worse_in_no_direction_is_a_dictionary_error(worse, monkeypatch):
    section = DICTIONARY.inspection_benchmarks
    changed = [dict(i, worse=worse) if i["name"] == "Turnover" else i for i in section["indicators"]]
    monkeypatch.setitem(section, "indicators", changed)
    rows = [service(cs(1), **turnover_of(5))]
    with pytest.raises(ValueError, match="Turnover is worse"):
        table_of(rows)
