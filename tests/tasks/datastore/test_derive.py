"""Every derived column on hand-worked cases."""

import datetime as dt

import pandas as pd
import pytest

from carestats.dictionary import load_dictionary
from tasks.datastore.derive import (
    assemble_edition,
    counts_by_financial_year,
    grade_spread,
    grades,
    last_inspection,
    requirements_by_financial_year,
    year_month,
)

KQS = load_dictionary().key_questions
AUG_2025 = dt.date(2025, 8, 31)


def frame(rows, columns, dates=()):
    result = pd.DataFrame(rows, columns=columns)
    for column in dates:
        result[column] = pd.to_datetime(result[column])
    return result


def gradings(*rows):
    """rows: (CSNumber, publication date, {KQ: grade})"""
    records = [
        {"CSNumber": cs, "Publication_Date": day, **{kq: g.get(kq) for kq in KQS}} for cs, day, g in rows
    ]
    result = pd.DataFrame(records)
    result["Publication_Date"] = pd.to_datetime(result["Publication_Date"])
    result[KQS] = result[KQS].astype("Int64")
    return result


W, P, S, T, L, C = KQS  # wellbeing, planning, setting, staff team, leadership, care play and learning


def test_grades_carry_forward_per_key_question_and_compare_with_the_previous_grading():
    history = gradings(
        ("CS1", "2022-03-01", {W: 3, P: 3, S: 4, T: 3, L: 3}),
        ("CS1", "2024-02-01", {W: 4, P: 4, S: 5, T: 4, L: 4}),
        ("CS1", "2025-06-01", {W: 5, L: 5}),  # only two questions graded; the rest stand
        ("CS1", "2025-09-10", {W: 1, P: 1, S: 1, T: 1, L: 1}),  # after the edition: ignored
        ("CS2", "2025-01-15", {C: 6, S: 5, T: 6, L: 5}),  # first grading: "Same", as the real file says
        ("CS3", "2023-05-01", {W: 5, P: 5, S: 5, T: 5, L: 5}),
        ("CS3", "2025-08-31", {W: 2, L: 2}),  # published on the edition date: counts; min falls to 2
        ("CS4", "2021-01-01", {C: 2, S: 1, T: 2, L: 2}),
        ("CS4", "2024-01-01", {C: 1}),
    )
    result = grades(history, AUG_2025, pd.Index(["CS1", "CS2", "CS3", "CS4", "CS5"]), KQS)
    assert result.loc["CS1", [W, P, S, T, L, C]].tolist() == [5, 4, 5, 4, 5, pd.NA]
    expected = {
        # MinGrade, MaxGrade, GradeSpread, MinGrade_change, Publication_of_Latest_Grading
        "CS1": [4, 5, "Mix", "Same", pd.Timestamp("2025-06-01")],
        "CS2": [5, 6, "5 or 6", "Same", pd.Timestamp("2025-01-15")],
        "CS3": [2, 5, "Mix", "Decline", pd.Timestamp("2025-08-31")],
        "CS4": [1, 2, "1 or 2", "Same", pd.Timestamp("2024-01-01")],
        "CS5": [pd.NA, pd.NA, pd.NA, pd.NA, pd.NaT],  # never graded
    }
    columns = ["MinGrade", "MaxGrade", "GradeSpread", "MinGrade_change", "Publication_of_Latest_Grading"]
    for cs, values in expected.items():
        got = result.loc[cs, columns].tolist()
        assert [("NA" if pd.isna(v) else v) for v in got] == [("NA" if pd.isna(v) else v) for v in values], cs


def test_improvement_is_reported():
    history = gradings(("CS1", "2023-01-01", {W: 3, L: 4}), ("CS1", "2025-01-01", {W: 4}))
    assert grades(history, AUG_2025, pd.Index(["CS1"]), KQS).loc["CS1", "MinGrade_change"] == "Improve"


@pytest.mark.parametrize(
    ("low", "high", "spread"),
    [(5, 6, "5 or 6"), (5, 5, "5 or 6"), (1, 2, "1 or 2"), (2, 2, "1 or 2"), (2, 5, "Mix"), (4, 4, "Mix")],
)
def test_grade_spread_rule(low, high, spread):
    result = grade_spread(pd.Series([low], dtype="Int64"), pd.Series([high], dtype="Int64"))
    assert result.tolist() == [spread]


def test_last_inspection_ignores_later_ones():
    inspections = frame(
        [("CS1", "2024-05-01"), ("CS1", "2025-08-31"), ("CS1", "2025-09-02"), ("CS2", "2025-09-02")],
        ["CSNumber", "Inspection_Date"],
        dates=["Inspection_Date"],
    )
    result = last_inspection(inspections, AUG_2025, pd.Index(["CS1", "CS2"]))
    assert result["CS1"] == pd.Timestamp("2025-08-31") and pd.isna(result["CS2"])


def test_complaints_count_by_financial_year_with_blank_for_none():
    complaints = frame(
        [
            ("CS1", "2023-03-31"),  # 2022-23: before the reported years
            ("CS1", "2023-04-01"),  # 2023-24
            ("CS1", "2024-03-31"),  # 2023-24
            ("CS1", "2025-04-01"),  # 2025-26
            ("CS1", "2025-09-01"),  # after the edition date
            ("CS2", "2024-12-25"),  # 2024-25
            ("CS9", "2024-12-25"),  # not in the edition
        ],
        ["CSNumber", "Upheld_Date"],
        dates=["Upheld_Date"],
    )
    result = counts_by_financial_year(
        complaints, "Upheld_Date", AUG_2025, pd.Index(["CS1", "CS2", "CS3"]), "Complaints_upheld_"
    )
    assert list(result.columns) == [
        "Complaints_upheld_2324",
        "Complaints_upheld_2425",
        "Complaints_upheld_2526",
    ]
    assert result.loc["CS1"].tolist() == [2, pd.NA, 1]
    assert (
        result.loc["CS2"].isna().tolist() == [True, False, True]
        and result.loc["CS2", "Complaints_upheld_2425"] == 1
    )
    assert result.loc["CS3"].isna().all()


def test_financial_year_roll_over_between_march_and_april_editions():
    complaints = frame(
        [("CS1", "2022-06-01"), ("CS1", "2025-04-10")], ["CSNumber", "Upheld_Date"], dates=["Upheld_Date"]
    )
    march = counts_by_financial_year(complaints, "Upheld_Date", dt.date(2025, 3, 31), pd.Index(["CS1"]), "C_")
    april = counts_by_financial_year(complaints, "Upheld_Date", dt.date(2025, 4, 30), pd.Index(["CS1"]), "C_")
    assert list(march.columns) == ["C_2223", "C_2324", "C_2425"] and march.loc["CS1"].tolist() == [
        1,
        pd.NA,
        pd.NA,
    ]
    assert list(april.columns) == ["C_2324", "C_2425", "C_2526"] and april.loc["CS1"].tolist() == [
        pd.NA,
        pd.NA,
        1,
    ]


def test_requirements_yes_wins_within_a_year():
    inspections = frame(
        [
            ("CS1", "2023-06-01", "No"),
            ("CS1", "2023-11-01", "Yes"),
            ("CS1", "2025-05-01", "No"),
            ("CS2", "2024-06-01", "No"),
        ],
        ["CSNumber", "Inspection_Date", "Requirements_Made"],
        dates=["Inspection_Date"],
    )
    result = requirements_by_financial_year(inspections, AUG_2025, pd.Index(["CS1", "CS2"]))
    assert result.loc["CS1"].fillna("").tolist() == ["Yes", "", "Inspected but no requirements"]
    assert result.loc["CS2"].fillna("").tolist() == ["", "Inspected but no requirements", ""]


def test_year_month_is_not_zero_padded():
    assert year_month(pd.Series(pd.to_datetime(["2016-11-03", "2002-04-01"]))).tolist() == [
        "2016_11",
        "2002_4",
    ]


def test_assembled_edition_has_dictionary_columns_and_no_internal_fields():
    services = frame(
        [("CS2002000001", "Care Home Service", "2002-04-01", "Morag", "secret@example.org")],
        ["CSNumber", "CareService", "Date_Registered", "Manager_Name", "Contact_Email"],
        dates=["Date_Registered"],
    )
    empty = {
        "gradings": gradings(("CSX", "2020-01-01", {W: 1})),
        "inspections": frame(
            [], ["CSNumber", "Inspection_Date", "Requirements_Made"], dates=["Inspection_Date"]
        ),
        "complaints": frame([], ["CSNumber", "Upheld_Date"], dates=["Upheld_Date"]),
        "enforcements": frame([], ["CSNumber", "Issued_Date"], dates=["Issued_Date"]),
    }
    edition = assemble_edition(services, empty, AUG_2025, load_dictionary())
    assert list(edition.columns) == load_dictionary().datastore_column_names(AUG_2025)
    assert "Contact_Email" not in edition.columns and "Date_Registered" not in edition.columns
    assert edition.loc[0, "Date_Reg"] == "2002_4"
