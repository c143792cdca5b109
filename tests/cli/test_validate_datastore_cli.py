"""`carestats validate-datastore` on the real reference extract: its real defects, row by row, only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from carestats.dictionary import load_dictionary
from tests.support.cli import run_carestats

KQ = load_dictionary().key_questions


def independent_defects(path) -> dict[str, list[int]]:
    """The defects computed straight from the file with pandas, as file lines (header is line 1)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False).replace("NA", "")
    grades = raw[KQ + ["MinGrade", "MaxGrade"]].replace("", np.nan).astype(float)
    lowest, highest = grades[KQ].min(axis=1), grades[KQ].max(axis=1)

    def lines(mask):
        return [int(i) + 2 for i in mask[mask].index]

    def differs(published, expected):
        return ~((published == expected) | (published.isna() & expected.isna()))

    spread = pd.Series(
        np.where(grades.MinGrade >= 5, "5 or 6", np.where(grades.MaxGrade <= 2, "1 or 2", "Mix"))
    )
    spread = spread.where(grades.MinGrade.notna(), "")
    care_at_home = (raw.CareService == "Support Service") & (raw.Subtype == "Care at Home")
    agency = raw.CareService.isin(
        [
            "Housing Support Service",
            "Nurse Agency",
            "Fostering Service",
            "Adoption Service",
            "Adult Placement Service",
            "Child Care Agency",
        ]
    )
    return {
        "rule: mingrade_is_lowest_key_question": lines(differs(grades.MinGrade, lowest)),
        "rule: maxgrade_is_highest_key_question": lines(differs(grades.MaxGrade, highest)),
        "rule: gradespread_matches_grades": lines(spread != raw.GradeSpread),
        "rule: KQ_Setting_graded_for_service_type": lines((care_at_home | agency) & (raw.KQ_Setting != "")),
        "rule: registered_not_after_edition": lines(
            raw.Date_Reg.map(lambda v: tuple(map(int, v.split("_")))) > (2025, 8)
        ),
    }


def test_real_extract_defects_are_found_row_by_row_and_nothing_else(capsys, reference_extract):
    result = run_carestats(
        capsys, ["validate-datastore", str(reference_extract), "--as-at", "2025-08-31", "--json"]
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    critical = {f["expectation"]: f["lines"] for f in report["failures"] if f["severity"] == "critical"}
    expected = {rule: found for rule, found in independent_defects(reference_extract).items() if found}
    assert critical == expected
    assert expected["rule: maxgrade_is_highest_key_question"] == [5253]
    assert expected["rule: gradespread_matches_grades"] == [8236]
    assert len(expected["rule: KQ_Setting_graded_for_service_type"]) == 60
    assert expected["rule: registered_not_after_edition"] == [10669, 10670, 10671]
    warnings = {f["expectation"]: f for f in report["failures"] if f["severity"] == "warning"}
    assert (
        set(warnings) == {"rule: number_staff_plausible"}
        and warnings["rule: number_staff_plausible"]["failing_count"] == 4
    )
    assert {f["column"] for f in report["failures"]} == {
        "MaxGrade",
        "GradeSpread",
        "KQ_Setting",
        "Date_Reg",
        "NumberStaff",
    }
    assert "CSNumber" in report["missing_columns"] and len(report["missing_columns"]) == 19
    skipped = {s["expectation"]: s["reason"] for s in report["skipped"]}
    assert (
        skipped["rule: health_board_is_councils_main_board"]
        == "needs column(s) not in the file: Health_Board_Name"
    )


def test_readable_report_groups_by_severity_and_exit_codes(capsys, reference_extract, tmp_path):
    result = run_carestats(
        capsys, ["validate-datastore", str(reference_extract)]
    )  # edition date from the file name
    assert result.exit_code == 1
    out = result.stdout
    assert (
        out.index("Critical failures (4):")
        < out.index("Warnings (1):")
        < out.index("Columns not in the file (19)")
    )
    assert "rule: gradespread_matches_grades [GradeSpread]: 1 row(s) fail; lines 8236" in out

    defective = {line - 2 for lines in independent_defects(reference_extract).values() for line in lines}
    first = pd.read_csv(reference_extract, dtype=str, keep_default_na=False).iloc[:300]
    clean = first.drop(index=[i for i in first.index if i in defective])
    assert 0 < len(first) - len(clean) < 30
    clean.to_csv(tmp_path / "first_rows.csv", index=False)
    assert (
        run_carestats(
            capsys, ["validate-datastore", str(tmp_path / "first_rows.csv"), "--as-at", "2025-08-31"]
        ).exit_code
        == 0
    )
    assert run_carestats(capsys, ["validate-datastore", str(tmp_path / "absent.csv")]).exit_code == 2
