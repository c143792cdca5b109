import datetime as dt

import pytest

from tasks.annual_returns.ingest import Received, ingest_export, safe_file_name
from tests.support.returns import (
    CANCELLED,
    CARE_HOME,
    CHILDMINDER,
    NEW,
    REGISTER,
    WINDOW_2026,
    childminder_row,
    export_csv,
    return_columns,
    return_row,
)

TODAY = dt.date(2026, 3, 1)


def ingest(rows, received=None, name="annual_returns_2026-01-20.csv", data=None):
    data = data if data is not None else export_csv(rows)
    return ingest_export(name, "ab" * 32, data, REGISTER, WINDOW_2026, TODAY, received or {})


def problems_by_line(outcome):
    found = {}
    for problem in outcome.problems:
        found.setdefault(problem.line, []).append(problem)
    return found


def test_valid_returns_are_accepted_typed_with_total_wte_and_source():
    outcome = ingest([return_row(CARE_HOME, 1), childminder_row(CHILDMINDER, 2)])
    assert (outcome.rows_received, outcome.rows_accepted, outcome.rows_quarantined) == (2, 2, 0)
    assert outcome.problems == []
    accepted = outcome.accepted.set_index("CSNumber")
    assert accepted.loc[CARE_HOME, "Total_WTE"] == 2.5
    assert accepted.loc[CHILDMINDER, "Total_WTE"] == 1.0
    assert accepted.loc[CARE_HOME, "Care_Staff_Headcount"] == 2
    assert str(accepted.loc[CARE_HOME, "Submitted_At"]) == "2026-01-20 10:15:00"
    assert list(accepted["Source_Line"]) == [2, 3]
    assert set(accepted["Late"]) == {"No"}


def test_a_return_after_the_close_is_accepted_and_flagged_late():
    outcome = ingest([return_row(CARE_HOME, 1, Submitted_At="2026-02-18T09:00:00")])
    assert outcome.rows_accepted == 1
    assert outcome.accepted["Late"].tolist() == ["Yes"]


@pytest.mark.parametrize(
    ("answers", "field", "rule"),
    [
        ({"Care_Staff_WTE": "2.5"}, "Care_Staff_WTE", "rule: wte_within_headcount (Care_Staff)"),
        ({"Care_Staff_Leavers": "4"}, "Care_Staff_Leavers", "rule: leavers_within_headcount_and_starters"),
        ({"Nurse_Headcount": "-1"}, "Nurse_Headcount", "Nurse_Headcount: range"),
        ({"Care_Staff_Headcount": "twelve"}, "Care_Staff_Headcount", "Care_Staff_Headcount: integer"),
        ({"People_Using_Service": "999999"}, "People_Using_Service", "People_Using_Service: range"),
        ({"CSNumber": "CS1999999999"}, "CSNumber", "rule: known_service"),
        ({"CSNumber": CANCELLED}, "CSNumber", "rule: registered_at_year_end"),
        ({"CSNumber": NEW}, "CSNumber", "rule: registered_at_year_end"),
        ({"Submitted_At": "2026-03-02T10:00:00"}, "Submitted_At", "rule: submitted_in_window_or_after"),
        ({"Submitted_At": "2025-12-30T10:00:00"}, "Submitted_At", "rule: submitted_in_window_or_after"),
        ({"Submitted_At": "20/01/2026"}, "Submitted_At", "Submitted_At: date and time"),
        ({"Return_Year": "2025"}, "Return_Year", "rule: return_year_of_its_folder"),
        ({"Hard_To_Fill_Reasons": '=HYPERLINK("http://x")'}, "Hard_To_Fill_Reasons", "rule: no_formula_text"),
        ({"Hard_To_Fill_Reasons": "Pay; Weather"}, "Hard_To_Fill_Reasons", "rule: reasons_from_the_list"),
        ({"SSSC_Registered_Staff": "9"}, "SSSC_Registered_Staff", "rule: sssc_registered_within_headcount"),
        ({"IPC_Lead_Named": "Maybe"}, "IPC_Lead_Named", "IPC_Lead_Named: allowed values"),
        ({"Service_Status_31Dec": ""}, "Service_Status_31Dec", "Service_Status_31Dec: required"),
    ],
)
def test_a_row_breaking_a_rule_is_quarantined_naming_line_field_value_and_rule(answers, field, rule):
    outcome = ingest(
        [return_row(CARE_HOME, 1), return_row(CARE_HOME, 2, **answers), return_row(CARE_HOME, 3)]
    )
    assert (outcome.rows_received, outcome.rows_accepted, outcome.rows_quarantined) == (3, 2, 1)
    assert outcome.accepted["Return_ID"].tolist() == ["AR2026-0000001", "AR2026-0000003"]
    [problem] = [p for p in outcome.problems if p.field == field and p.message.startswith(rule)]
    assert problem.file == "annual_returns_2026-01-20.csv"
    assert problem.line == 3
    assert problem.message.startswith(rule)
    assert problem.value == next(iter(answers.values()))
    assert {p.line for p in outcome.problems} == {3}


def test_childminders_answering_a_vacancy_question_are_quarantined_others_may():
    outcome = ingest(
        [
            childminder_row(CHILDMINDER, 1, Care_Staff_Vacant_WTE="1"),
            return_row(CARE_HOME, 2, Care_Staff_Vacant_WTE="1"),
        ]
    )
    assert outcome.accepted["CSNumber"].tolist() == [CARE_HOME]
    [problem] = outcome.problems
    assert (problem.line, problem.message.split(":")[1].strip()) == (2, "vacancy_questions_not_asked")


def test_duplicates_in_the_file_and_already_received_are_quarantined_first_copy_kept():
    earlier = {"AR2026-0000009": Received("annual_returns_2026-01-19.csv", 7)}
    rows = [return_row(CARE_HOME, 1), return_row(CARE_HOME, 1), return_row(CARE_HOME, 9)]
    outcome = ingest(rows, received=earlier)
    assert outcome.accepted["Source_Line"].tolist() == [2]
    messages = {p.line: p.message for p in outcome.problems}
    assert messages[3] == "duplicate: this return was already received at line 2 of this file"
    assert (
        messages[4]
        == "duplicate: this return was already received at line 7 in annual_returns_2026-01-19.csv"
    )
    assert outcome.rows_received == outcome.rows_accepted + outcome.rows_quarantined


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ([c for c in return_columns() if c != "Nurse_WTE"], "missing column(s) Nurse_WTE"),
        ([*return_columns(), "Comments"], "unexpected column(s) Comments"),
        (
            [("Registered_Nurse_WTE" if c == "Nurse_WTE" else c) for c in return_columns()],
            "missing column(s) Nurse_WTE; unexpected column(s) Registered_Nurse_WTE",
        ),
    ],
)
def test_a_file_whose_columns_are_not_the_dictionarys_is_quarantined_whole(header, words):
    rows = [return_row(CARE_HOME, 1, Registered_Nurse_WTE="0", Comments="x"), return_row(CARE_HOME, 2)]
    outcome = ingest(rows, data=export_csv(rows, header))
    assert (outcome.rows_received, outcome.rows_accepted, outcome.rows_quarantined) == (2, 0, 2)
    assert outcome.unreadable.startswith(words)
    assert outcome.problems[0].line == 1


def test_an_unreadable_file_is_quarantined_whole_with_a_reason():
    outcome = ingest([], name="annual_returns_2026-01-21.xlsx", data=b"PK\x03\x04 truncated")
    assert (outcome.rows_received, outcome.rows_accepted) == (0, 0)
    assert outcome.unreadable and "annual_returns_2026-01-21.xlsx" in outcome.unreadable
    assert outcome.problems[0].file == "annual_returns_2026-01-21.xlsx"


def test_a_malformed_line_is_quarantined_and_the_rest_accepted():
    data = export_csv([return_row(CARE_HOME, 1), return_row(CARE_HOME, 2)]) + b"AR2026-0000003,2026\r\n"
    outcome = ingest([], data=data)
    assert (outcome.rows_received, outcome.rows_accepted, outcome.rows_quarantined) == (3, 2, 1)
    assert [p.line for p in outcome.problems] == [4]


def test_a_plain_landed_name_is_kept():
    assert safe_file_name("annual_returns_2026-01-20 (2).csv") == "annual_returns_2026-01-20 (2).csv"


@pytest.mark.parametrize(
    "landed", ["../../etc/passwd", "sub/dir/x.csv", ".hidden.csv", "a\nb.csv", "..", "/"]
)
def test_unsafe_landed_names_cannot_reach_outside_their_folder(landed):
    used = safe_file_name(landed)
    assert used != landed
    assert "/" not in used and ".." not in used and not used.startswith(".") and "\n" not in used
    assert used
