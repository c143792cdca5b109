"""Checks across editions: each real fault it exists for is found, and a normal month passes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tasks.datastore.quality import ACROSS_EDITIONS_SUITE, validate_datastore
from tasks.shared.quality.results import QualityReport
from tests.support.editions import AS_AT, synthetic_edition

PREVIOUS_AS_AT = dt.date(2025, 7, 31)
ACROSS = "across editions: "


@pytest.fixture(scope="module")
def july() -> pd.DataFrame:
    """A 1,000-service edition, registered long before either edition date."""
    return synthetic_edition(1000, seed=11).assign(Date_Reg="2015_6")


def checked(current: pd.DataFrame, previous: pd.DataFrame | None) -> QualityReport:
    """The checks across editions alone on a pair of editions."""
    return validate_datastore(
        current,
        as_at=AS_AT,
        previous=previous,
        previous_as_at=PREVIOUS_AS_AT,
        require_all_columns=False,
        suites=(ACROSS_EDITIONS_SUITE,),
    )


def across(current: pd.DataFrame, previous: pd.DataFrame | None) -> dict[str, tuple[str, int, str]]:
    """The failures of the checks across editions: id -> (severity, failing rows, detail)."""
    report = checked(current, previous)
    return {
        f.expectation.removeprefix(ACROSS): (f.severity, f.failing_count, f.detail)
        for f in report.failures
        if f.expectation.startswith(ACROSS)
    }


def a_normal_month(july: pd.DataFrame) -> pd.DataFrame:
    """August as a real month looks: 10 services cancelled, 8 registered, 5 providers changed."""
    august = july.iloc[10:].copy()
    new = july.iloc[:8].assign(
        CSNumber=[f"CS2025{i:06d}" for i in range(8)], Date_Reg="2025_8", ServiceName="New service"
    )
    august = pd.concat([august, new], ignore_index=True)
    august.loc[:4, "SP_number"] = "SP2025000001"
    return august


def test_a_normal_month_passes_every_check_across_editions(july):
    assert across(a_normal_month(july), july) == {}


def test_a_mass_move_of_council_area_warns_and_names_the_services(july):
    august = july.copy()
    moved = august.index[:60]  # 6%, as in the real month when about 125 services moved and moved back
    august.loc[moved, "Council_Area_Name"] = "Fife"
    report = checked(august, july)
    (failure,) = [f for f in report.failures if f.expectation == ACROSS + "council_area_unchanged"]
    assert failure.severity == "warning"
    changed = int((july.loc[moved, "Council_Area_Name"] != "Fife").sum())
    assert failure.failing_count == changed and changed > 50
    first = int(moved[july.loc[moved, "Council_Area_Name"] != "Fife"][0])
    assert (
        failure.rows[0] == f"line {first + 2}: {july.at[first, 'CSNumber']} {july.at[first, 'ServiceName']}"
    )
    assert not any("health_board" in f.expectation for f in report.failures)


def test_a_few_moves_are_a_normal_month(july):
    august = july.copy()
    august.loc[:3, "Council_Area_Name"] = "Fife"  # at most 0.4% of services: below the 0.5% tolerance
    assert "council_area_unchanged" not in across(august, july)


def test_grades_that_change_with_no_new_grading_warn(july):
    august = july.copy()
    graded = august.index[august["MinGrade_change"].isin(["Same", "Improve", "Decline"])][:12]
    august.loc[graded, "MinGrade_change"] = august.loc[graded, "MinGrade_change"].map(
        {"Same": "Improve", "Improve": "Decline", "Decline": "Same"}
    )
    assert across(august, july)["grades_change_only_with_a_new_grading"][:2] == ("warning", 12)
    august.loc[graded, "Publication_of_Latest_Grading"] = "15/08/2025"  # a new grading explains them
    assert "grades_change_only_with_a_new_grading" not in across(august, july)


def test_an_edition_built_from_another_register_is_blocked(july):
    other = synthetic_edition(1000, seed=12).assign(Date_Reg="2015_6")
    other["CSNumber"] = [f"CS2019{i:06d}" for i in range(len(other))]  # same size, other services
    found = across(other, july)
    assert found["service_was_in_previous_edition"][:2] == ("critical", 1000)
    report = validate_datastore(other, as_at=AS_AT, previous=july, previous_as_at=PREVIOUS_AS_AT)
    assert report.status == "failed"  # and the row count alone let it through
    assert "rule: row_count_drop" not in {f.expectation for f in report.failures}


def test_a_service_that_vanished_and_came_back_warns(july):
    previous = july.drop(index=[3, 7])  # July lost two long-registered services
    found = across(july, previous)
    assert found["no_service_reappears"][:2] == ("warning", 2)
    assert "service_was_in_previous_edition" not in found  # 2 of 1,000 is within the tolerance


def test_without_cs_numbers_a_mass_move_shows_in_the_shares_of_council_areas(july):
    august = july.copy()
    august.loc[:60, "Council_Area_Name"] = "Fife"
    fife_before = (july["Council_Area_Name"] == "Fife").mean()
    fife_now = (august["Council_Area_Name"] == "Fife").mean()
    found = across(august.drop(columns="CSNumber"), july.drop(columns="CSNumber"))
    severity, _, detail = found["council_area_share_stable"]
    assert severity == "warning"
    assert f"Fife: {fife_before:.1%} -> {fife_now:.1%}" in detail
    assert "care_service_share_stable" not in found
    assert across(a_normal_month(july).drop(columns="CSNumber"), july.drop(columns="CSNumber")) == {}


def test_without_a_previous_edition_the_report_says_the_checks_were_not_run(july):
    report = checked(july, None)
    not_run = {s.expectation for s in report.skipped if "checks across editions were not run" in s.reason}
    assert len(not_run) == 10 and all(name.startswith(ACROSS) for name in not_run)
