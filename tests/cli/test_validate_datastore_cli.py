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
    registered = raw.Date_Reg.map(lambda v: tuple(map(int, v.split("_"))))
    return {
        "rule: mingrade_is_lowest_key_question": lines(differs(grades.MinGrade, lowest)),
        "rule: maxgrade_is_highest_key_question": lines(differs(grades.MaxGrade, highest)),
        "rule: gradespread_matches_grades": lines(spread != raw.GradeSpread),
        "rule: registered_not_after_month_after_edition": lines(registered > (2025, 9)),
    }


def test_real_extract_raises_no_critical_failure_but_its_known_defects(capsys, reference_extract):
    result = run_carestats(
        capsys, ["validate-datastore", str(reference_extract), "--as-at", "2025-08-31", "--json"]
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    critical = {f["expectation"]: f["lines"] for f in report["failures"] if f["severity"] == "critical"}
    expected = {rule: found for rule, found in independent_defects(reference_extract).items() if found}
    assert (
        critical
        == expected
        == {
            "rule: maxgrade_is_highest_key_question": [5253],
            "rule: gradespread_matches_grades": [8236],
        }
    )
    by_id = {f["expectation"]: f for f in report["failures"]}
    assert by_id["rule: gradespread_matches_grades"]["rows"] == ["line 8236: Homelife Ayr"]
    # Genuine quirks of real editions are warnings few enough to read, each naming its rows.
    warnings = {f["expectation"]: f["lines"] for f in report["failures"] if f["severity"] == "warning"}
    raw = pd.read_csv(reference_extract, dtype=str, keep_default_na=False)
    after_edition = [i + 2 for i in raw.index[raw.Date_Reg.isin(["2025_9"])]]
    assert warnings == {
        "rule: registered_not_after_edition": after_edition,
        "rule: number_staff_plausible": warnings["rule: number_staff_plausible"],
    }
    assert after_edition == [10669, 10670, 10671] and len(warnings["rule: number_staff_plausible"]) == 4
    # 59 Care at Home and 1 housing support service graded on setting: genuine, and within the share.
    care_at_home = (raw.CareService == "Support Service") & (raw.Subtype == "Care at Home")
    assert ((raw.KQ_Setting != "NA") & care_at_home).sum() == 59
    assert not any("KQ_Setting" in f["expectation"] for f in report["failures"])
    assert "CSNumber" in report["missing_columns"] and len(report["missing_columns"]) == 19
    skipped = {s["expectation"]: s["reason"] for s in report["skipped"]}
    assert (
        skipped["rule: health_board_is_councils_main_board"]
        == "needs column(s) not in the file: Health_Board_Name"
    )
    assert any(
        note.startswith("the file has no CSNumber") and "CSNumber: unique" in note for note in report["notes"]
    )
    assert "no --previous: the checks across editions were not run" in report["notes"]


def test_readable_report_groups_by_severity_and_exit_codes(capsys, reference_extract, tmp_path):
    result = run_carestats(
        capsys, ["validate-datastore", str(reference_extract)]
    )  # edition date from the data, which the file name agrees with
    assert result.exit_code == 1
    assert "edition date 2025-08-31 inferred from the data: the latest date in the file is 31/08/2025" in (
        result.stdout
    )
    out = result.stdout
    assert (
        out.index("Critical failures (2):")
        < out.index("Warnings (2):")
        < out.index("Columns not in the file (19)")
    )
    assert "rule: gradespread_matches_grades [GradeSpread]: 1 row(s) fail; lines 8236" in out

    defective = {line - 2 for lines in independent_defects(reference_extract).values() for line in lines}
    real = pd.read_csv(reference_extract, dtype=str, keep_default_na=False)
    sample = real.iloc[sorted({*range(300), *defective})]
    clean = sample.drop(index=list(defective))
    assert len(sample) - len(clean) == 2
    clean.to_csv(tmp_path / "first_rows.csv", index=False)
    assert (
        run_carestats(
            capsys, ["validate-datastore", str(tmp_path / "first_rows.csv"), "--as-at", "2025-08-31"]
        ).exit_code
        == 0
    )
    assert run_carestats(capsys, ["validate-datastore", str(tmp_path / "absent.csv")]).exit_code == 2


def test_a_csv_that_is_not_a_datastore_file_is_refused_naming_the_columns_expected(capsys, tmp_path):
    other = tmp_path / "datastore_2025-08-31.csv"
    other.write_text("Name,Town,Beds\nOak,Ayr,4\n", encoding="utf-8")
    result = run_carestats(capsys, ["validate-datastore", str(other), "--json"])
    assert result.exit_code == 2 and "PASSED" not in result.output
    error = json.loads(result.stdout)["error"]
    assert error.startswith("datastore_2025-08-31.csv is not a Datastore file: it has 0 of the ")
    assert "expected CSNumber, CareService, Subtype" in error and "found Name, Town, Beds" in error
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_edition_date_is_inferred_and_a_file_name_that_disagrees_warns(capsys, tmp_path):
    from tests.support.editions import synthetic_edition

    edition = synthetic_edition(60, seed=3)  # dated 2025-08-31: its latest grading is in August 2025
    edition["Publication_of_Latest_Grading"] = edition["Publication_of_Latest_Grading"].where(
        edition.index != 0, "12/08/2025"
    )
    misnamed = tmp_path / "datastore_2025-07-31.csv"
    edition.to_csv(misnamed, index=False)
    result = run_carestats(capsys, ["validate-datastore", str(misnamed), "--json"])
    report = json.loads(result.stdout)
    assert report["as_at"] == "2025-08-31"
    assert any(n.startswith("edition date 2025-08-31 inferred from the data") for n in report["notes"])
    (disagreement,) = [f for f in report["failures"] if f["expectation"].startswith("edition date")]
    assert disagreement["severity"] == "warning"
    assert disagreement["detail"].startswith("the file name says 2025-07-31, the data say 2025-08-31")


def test_previous_runs_the_checks_across_editions_on_any_pair(capsys, tmp_path):
    from tests.support.editions import synthetic_edition

    july = synthetic_edition(300, seed=4).assign(Date_Reg="2015_6")
    august = july.copy()
    august.loc[:20, "Council_Area_Name"] = "Orkney Islands"
    july.to_csv(tmp_path / "datastore_2025-07-31.csv", index=False)
    august.to_csv(tmp_path / "datastore_2025-08-31.csv", index=False)
    arguments = ["validate-datastore", str(tmp_path / "datastore_2025-08-31.csv"), "--json"]
    result = run_carestats(capsys, [*arguments, "--previous", str(tmp_path / "datastore_2025-07-31.csv")])
    report = json.loads(result.stdout)
    moved = {f["expectation"]: f for f in report["failures"]}["across editions: council_area_unchanged"]
    assert moved["severity"] == "warning"
    assert moved["failing_count"] == int((july.loc[:20, "Council_Area_Name"] != "Orkney Islands").sum())
    assert any(n.startswith("compared with the previous edition") for n in report["notes"])
    alone = json.loads(run_carestats(capsys, arguments).stdout)
    assert not any(f["expectation"].startswith("across editions") for f in alone["failures"])
    assert "no --previous: the checks across editions were not run" in alone["notes"]


def test_a_column_in_another_format_is_the_files_format_and_stray_values_are_the_services(capsys, tmp_path):
    from tests.support.editions import synthetic_edition

    edition = synthetic_edition(60, seed=5)
    iso = pd.to_datetime(edition["Last_inspection_Date"], format="%d/%m/%Y", errors="coerce")
    edition["Last_inspection_Date"] = iso.dt.strftime("%Y-%m-%d").fillna("")  # a copy's ISO dates
    edition.loc[[3, 9], "Enforcements_issued_2526"] = "TRUE"  # a third party's TRUE in a count
    edition.to_csv(tmp_path / "datastore_2025-08-31.csv", index=False)
    result = run_carestats(
        capsys, ["validate-datastore", str(tmp_path / "datastore_2025-08-31.csv"), "--json"]
    )
    by_id = {f["expectation"]: f for f in json.loads(result.stdout)["failures"]}
    dates = by_id["Last_inspection_Date: date dd/mm/yyyy"]
    assert dates["scope"] == "file" and dates["rows"] == []
    assert dates["failing_count"] == int((edition["Last_inspection_Date"] != "").sum())
    counts = by_id["Enforcements_issued_2526: integer"]
    assert counts["scope"] == "rows" and counts["lines"] == [5, 11]
