"""Every hand-written rule and the generated column checks, on a small edition held as published text."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from carestats.dictionary import load_dictionary
from tasks.datastore.quality import validate_datastore

AS_AT = dt.date(2025, 8, 31)
COLUMNS = load_dictionary().datastore_column_names(AS_AT)
GRADED_CARE_HOME = {
    "KQ_Support_Wellbeing": "5",
    "KQ_Care_and_Support_Planning": "4",
    "KQ_Setting": "5",
    "KQ_Staff_Team": "5",
    "KQ_Leadership": "4",
    "MinGrade": "4",
    "MaxGrade": "5",
    "GradeSpread": "Mix",
}
ROWS = [  # line 2: a care home, 3: a childminder, 4: a housing support agency, 5: a nursery, all correct
    {
        "CSNumber": "CS2002000001",
        "CareService": "Care Home Service",
        "Subtype": "Older People",
        "Address_line_1": "1 High St",
        "Service_Postcode": "PH1 1AA",
        "Registered_Places": "40",
        "NumberStaff": "35.5",
        "Client_group": "Adults",
        "Date_Reg": "2002_4",
        **GRADED_CARE_HOME,
        "Publication_of_Latest_Grading": "15/08/2024",
        "Last_inspection_Date": "09/07/2024",
        "Complaints_upheld_2526": "2",
        "any_requirements_2425": "Yes",
    },
    {
        "CSNumber": "CS2015000002",
        "CareService": "Child Minding",
        "Registered_Places": "6",
        "NumberStaff": "1",
        "Client_group": "Children",
        "Date_Reg": "2015_11",
        "KQ_Care_Play_and_Learning": "6",
        "KQ_Setting": "6",
        "KQ_Leadership": "5",
        "KQ_Staff_Team": "",
        "MinGrade": "5",
        "MaxGrade": "6",
        "GradeSpread": "5 or 6",
    },
    {
        "CSNumber": "CS2004000003",
        "CareService": "Housing Support Service",
        "Address_line_1": "2 Low St",
        "Service_Postcode": "G40 1DA",
        "NumberStaff": "12.6",
        "Client_group": "Adults",
        "Date_Reg": "2025_8",
        "KQ_Support_Wellbeing": "2",
        "KQ_Care_and_Support_Planning": "1",
        "KQ_Staff_Team": "2",
        "KQ_Leadership": "2",
        "MinGrade": "1",
        "MaxGrade": "2",
        "GradeSpread": "1 or 2",
    },
    {
        "CSNumber": "CS2003000004",
        "CareService": "Day Care of Children",
        "Subtype": "Day Care of Children (over 3s)",
        "Address_line_1": "3 Mid St",
        "Service_Postcode": "EH1 1AA",
        "Registered_Places": "60",
        "NumberStaff": "12",
        "Client_group": "Children",
        "Date_Reg": "2003_1",
    },
]
BASE = {
    "ServiceType": "Private",
    "ServiceName": "A service",
    "SP_number": "SP2002000001",
    "ServiceStatus": "Active",
    "Council_Area_Name": "Perth & Kinross",
    "Health_Board_Name": "Tayside",
    "Provided_by_Local_Authority": "No",
}


def edition(**changes: dict[str, str]) -> pd.DataFrame:
    """The good edition as published text; changes={'line3': {'Column': 'value'}} edits a row by its line."""
    rows = [{c: "" for c in COLUMNS} | BASE | row for row in ROWS]
    for line, values in changes.items():
        rows[int(line.removeprefix("line")) - 2].update(values)
    return pd.DataFrame(rows, columns=COLUMNS)


def failures(text: pd.DataFrame, **options) -> dict[str, tuple[str, list[int]]]:
    report = validate_datastore(text, as_at=AS_AT, **options)
    return {f.expectation: (f.severity, f.lines) for f in report.failures}


def test_the_good_edition_passes_every_expectation():
    report = validate_datastore(edition(), as_at=AS_AT, previous_row_count=4)
    assert report.failures == [] and report.status == "passed"
    assert report.missing_columns == []
    assert {s.reason for s in report.skipped} == {
        "no previous edition given: the checks across editions were not run"
    }
    assert (
        report.evaluated == 60 + 2 * 5 + 20
    )  # column suite (its 5 {fy} entries run once per financial year) + rules


def one(expectation: str, severity: str, changes: dict, lines: list[int]) -> tuple[dict, dict]:
    return changes, {expectation: (severity, lines)}


CASES = [
    (
        {
            "line2": {"MinGrade": "5", "MaxGrade": "4", "GradeSpread": "5 or 6"}
        },  # both disagree with the grades too
        {
            "rule: mingrade_not_above_maxgrade": ("critical", [2]),
            "rule: mingrade_is_lowest_key_question": ("critical", [2]),
            "rule: maxgrade_is_highest_key_question": ("critical", [2]),
        },
    ),
    one(
        "rule: mingrade_is_lowest_key_question",
        "critical",
        {"line2": {"MinGrade": "5", "GradeSpread": "5 or 6"}},
        [2],
    ),
    one("rule: maxgrade_is_highest_key_question", "critical", {"line3": {"MaxGrade": "5"}}, [3]),
    one(
        "rule: maxgrade_is_highest_key_question", "critical", {"line5": {"MaxGrade": "3"}}, [5]
    ),  # nothing graded
    one("rule: gradespread_matches_grades", "critical", {"line4": {"GradeSpread": "Mix"}}, [4]),
    one("rule: gradespread_matches_grades", "critical", {"line2": {"GradeSpread": ""}}, [2]),
    one(
        "rule: KQ_Support_Wellbeing_graded_for_service_type",
        "critical",
        {"line3": {"KQ_Support_Wellbeing": "6"}},
        [3],
    ),
    one(
        "rule: KQ_Care_and_Support_Planning_graded_for_service_type",
        "critical",
        {"line3": {"KQ_Care_and_Support_Planning": "6"}},
        [3],
    ),
    one(
        "rule: KQ_Care_Play_and_Learning_graded_for_service_type",
        "critical",
        {"line2": {"KQ_Care_Play_and_Learning": "4"}},
        [2],
    ),
    one(
        "rule: registered_places_present",
        "critical",
        {"line2": {"Registered_Places": ""}, "line5": {"Registered_Places": ""}},
        [2, 5],
    ),
    one("rule: registered_not_after_edition", "warning", {"line4": {"Date_Reg": "2025_9"}}, [4]),
    (
        {"line4": {"Date_Reg": "2025_10"}},
        {
            "rule: registered_not_after_month_after_edition": ("critical", [4]),
            "rule: registered_not_after_edition": ("warning", [4]),
        },
    ),
    one("rule: childminder_no_address", "critical", {"line3": {"Address_line_3": "4 Home Road"}}, [3]),
    one("rule: childminder_no_postcode", "critical", {"line3": {"Service_Postcode": "KY1 1AA"}}, [3]),
    one(
        "rule: health_board_is_councils_main_board",
        "warning",
        {"line5": {"Health_Board_Name": "Lothian"}},
        [5],
    ),
    one("rule: number_staff_plausible", "warning", {"line3": {"NumberStaff": "14"}}, [3]),
    one("CSNumber: unique", "critical", {"line5": {"CSNumber": "CS2002000001"}}, [2, 5]),
    one("CSNumber: format", "critical", {"line4": {"CSNumber": "CS123"}}, [4]),
    one("Date_Reg: format", "critical", {"line4": {"Date_Reg": "2004_08"}}, [4]),
    one("NumberStaff: decimal", "critical", {"line2": {"NumberStaff": "35,5"}}, [2]),
    one(
        "Last_inspection_Date: date dd/mm/yyyy",
        "critical",
        {"line2": {"Last_inspection_Date": "2024-07-09"}},
        [2],
    ),
    one(
        "Publication_of_Latest_Grading: date dd/mm/yyyy",
        "critical",
        {"line3": {"Publication_of_Latest_Grading": "30/02/2024"}},
        [3],
    ),
    (
        {"line4": {"KQ_Leadership": "7", "MaxGrade": "7", "GradeSpread": "Mix"}},
        {"KQ_Leadership: allowed values": ("critical", [4]), "MaxGrade: allowed values": ("critical", [4])},
    ),
    one(
        "Council_Area_Name: allowed values",
        "critical",
        {"line2": {"Council_Area_Name": "Edinburgh, City of"}},
        [2],
    ),
    (
        {"line3": {"Health_Board_Name": "NHS Tayside"}},
        {
            "Health_Board_Name: allowed values": ("critical", [3]),
            "rule: health_board_is_councils_main_board": ("warning", [3]),
        },
    ),
]
BLOCK = len(ROWS)


def numbered(block: int, text: pd.DataFrame) -> pd.DataFrame:
    """A case's edition with CS numbers of its own, so cases can share one file without clashing."""
    return text.assign(CSNumber=("CS" + f"{block:02d}" + text["CSNumber"].str[4:]))


@pytest.fixture(scope="module")
def every_case_at_once() -> dict[int, dict[str, tuple[str, list[int]]]]:
    """One GX run over all cases, each in its own block of rows; failures by case, as lines of its block."""
    text = pd.concat(
        [numbered(i, edition(**changes)) for i, (changes, _) in enumerate(CASES)], ignore_index=True
    )
    report = validate_datastore(text, as_at=AS_AT)
    by_case: dict[int, dict[str, tuple[str, list[int]]]] = {}
    for failure in report.failures:
        for line in failure.lines:
            case, line_in_block = divmod(line - 2, BLOCK)
            found = by_case.setdefault(case, {}).setdefault(failure.expectation, (failure.severity, []))
            found[1].append(line_in_block + 2)
    return by_case


@pytest.mark.parametrize(
    "case", range(len(CASES)), ids=[next(iter(c[1])) + f"-{i}" for i, c in enumerate(CASES)]
)
def test_each_rule_finds_exactly_the_rows_that_break_it(every_case_at_once, case):
    assert every_case_at_once.get(case) == CASES[case][1]


def test_agency_places_warn_only_when_most_agencies_carry_places():
    one_of_one = edition(line4={"Registered_Places": "10"})
    assert failures(one_of_one)["rule: agency_registered_places_blank"] == ("warning", [4])
    combined = pd.concat([edition(), edition(line4={"Registered_Places": "10"}).iloc[[2]]], ignore_index=True)
    combined.loc[4, "CSNumber"] = "CS2004000005"
    assert "rule: agency_registered_places_blank" not in failures(
        combined
    )  # one of two agencies: mostly blank holds


def test_agencies_graded_on_setting_warn_only_beyond_the_share_real_editions_show():
    graded_on_setting = edition(line4={"KQ_Setting": "2"})  # the one agency: 100% of agencies
    assert failures(graded_on_setting) == {"rule: KQ_Setting_occasionally_graded": ("warning", [4])}
    agencies = pd.concat([edition()] + [edition().iloc[[2]]] * 9, ignore_index=True)
    agencies["CSNumber"] = [f"CS20040000{i:02d}" for i in range(len(agencies))]
    agencies.loc[2, "KQ_Setting"] = "2"  # 1 agency of 10 graded on setting, as building-based ones are
    assert failures(agencies) == {}


def test_row_count_drop_beyond_the_tolerance_blocks_and_growth_warns():
    # Equal counts pass: test_the_good_edition_passes_every_expectation validates with previous_row_count=4.
    dropped = failures(edition(), previous_row_count=5)  # 4 rows against 5: a 20% drop
    assert dropped == {"rule: row_count_drop": ("critical", [])}
    assert failures(edition(), previous_row_count=5, tolerance=0.25) == {}
    assert failures(edition(), previous_row_count=3) == {"rule: row_count_growth": ("warning", [])}


def test_missing_column_fails_the_flow_but_only_skips_rules_for_a_partial_file():
    partial = edition().drop(columns=["MinGrade", "CSNumber"])
    strict = validate_datastore(partial, as_at=AS_AT)
    assert [(f.expectation, f.detail) for f in strict.critical] == [
        ("columns: the dictionary's, in its order", "missing CSNumber, MinGrade")
    ]
    lenient = validate_datastore(partial, as_at=AS_AT, require_all_columns=False)
    assert lenient.failures == [] and lenient.missing_columns == ["CSNumber", "MinGrade"]
    skipped = {s.expectation: s.reason for s in lenient.skipped}
    assert skipped["rule: mingrade_not_above_maxgrade"] == "needs column(s) not in the file: MinGrade"
    assert skipped["CSNumber: unique"] == "column CSNumber is not in the file"
    assert (
        "rule: gradespread_matches_grades" in skipped
        and "rule: maxgrade_is_highest_key_question" not in skipped
    )


def test_an_edition_with_columns_out_of_dictionary_order_is_blocked():
    text = edition()
    swapped = list(text.columns)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    report = validate_datastore(text[swapped], as_at=AS_AT)
    assert [(f.expectation, f.detail) for f in report.critical] == [
        ("columns: the dictionary's, in its order", "the columns are not in the dictionary's order")
    ]


def test_a_small_frame_judged_in_one_batch_reports_exactly_what_column_batches_report(monkeypatch):
    from tasks.shared.quality import runner

    text = pd.concat(
        [numbered(i, edition(**changes)) for i, (changes, _) in enumerate(CASES)], ignore_index=True
    )
    assert len(text) < runner.ONE_BATCH_ROWS
    one_batch = validate_datastore(text, as_at=AS_AT).to_dict()
    monkeypatch.setattr(runner, "ONE_BATCH_ROWS", 0)  # every frame judged one batch per column, as at scale
    by_column = validate_datastore(text, as_at=AS_AT).to_dict()
    assert one_batch["failures"] and one_batch == by_column
