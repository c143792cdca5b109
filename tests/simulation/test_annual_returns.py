"""Simulated annual-return exports: the forms system's daily files for a window, from the simulated register.

The 2026 window (6 January to 17 February 2026) is simulated once at scale 1 from the session's history and
read back file by file, CSV with the csv module and XLSX with openpyxl, as the ingest flow reads them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from carestats.collection import collection_window
from carestats.dictionary import load_dictionary
from simulation.annual_returns import (
    DEFECT_KINDS,
    LandedReturns,
    services_with_vacancies,
    sheet_bytes,
    simulate_returns,
    write_annual_return_exports,
)
from simulation.history import RegisterHistory, extract_tables
from tasks.shared.lake import sha256_hex
from tests.support.cli import run_carestats

YEAR = 2026
WINDOW = collection_window(YEAR)
AFTER_THE_WINDOW = dt.date(2026, 12, 5)
DICTIONARY = load_dictionary()
HEADER = [c.name for c in DICTIONARY.annual_return_columns()]
ROLES = list(DICTIONARY.job_roles)
VACANCY_QUESTIONS = [c.name for c in DICTIONARY.annual_return_columns() if c.vacancy_question]
MEASURES = ("Headcount", "WTE", "Vacant_WTE", "Leavers", "Starters")


def read_export(name: str, data: bytes) -> list[list[str]]:
    """An export's rows as text, header first: CSV through the csv module, XLSX through openpyxl."""
    if name.endswith(".csv"):
        return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    sheet = load_workbook(io.BytesIO(data), read_only=True)["Returns"]
    return [["" if v is None else str(v) for v in row] for row in sheet.values]


@pytest.fixture(scope="module")
def lake(tmp_path_factory, history: RegisterHistory) -> tuple[Path, LandedReturns]:
    """The whole 2026 window, written after it closed."""
    root = tmp_path_factory.mktemp("returns") / "lake"
    return root, write_annual_return_exports(str(root), YEAR, history=history, today=AFTER_THE_WINDOW)


@pytest.fixture(scope="module")
def landed(lake) -> LandedReturns:
    return lake[1]


@pytest.fixture(scope="module")
def exports(lake) -> dict[str, bytes]:
    root, landed = lake
    folder = Path(landed.folder)
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def tables(exports, landed) -> dict[str, list[list[str]]]:
    """Every readable export as read back, header first."""
    damaged = {f.name for f in landed.bad_files}
    return {name: read_export(name, data) for name, data in exports.items() if name not in damaged}


@pytest.fixture(scope="module")
def rows(tables) -> pd.DataFrame:
    """Every row of every readable export, as text, with its file and line."""
    frames = []
    for name, table in tables.items():
        frame = pd.DataFrame(table[1:], columns=table[0])
        frames.append(frame.assign(file=name, line=range(2, len(frame) + 2)))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def submissions(rows) -> pd.DataFrame:
    """One row per Return_ID (a row duplicated in its file counted once), in time order."""
    return rows.drop_duplicates("Return_ID").sort_values(["Submitted_At", "Return_ID"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def register(history: RegisterHistory) -> pd.DataFrame:
    """The register at 31 December 2025, by CS number."""
    services = extract_tables(history, dt.date(2026, 1, 1))["services"]
    as_at = pd.Timestamp(WINDOW.describes)
    current = (services["Date_Registered"] <= as_at) & ~(services["Date_Cancelled"] <= as_at)
    return services[current].set_index("CSNumber")


def planted(landed: LandedReturns, *kinds: str) -> set[str]:
    return {row.return_id for kind in kinds for row in landed.bad_rows.get(kind, ())}


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce")


def role_sum(frame: pd.DataFrame, measure: str) -> pd.Series:
    return sum(numbers(frame, f"{role}_{measure}").fillna(0) for role in ROLES)


def test_every_export_has_the_dictionary_header_and_its_format(exports, tables, landed) -> None:
    damaged = {f.name for f in landed.bad_files}
    names = list(exports)
    assert names == sorted(names) and list(landed.files) == names
    assert all(n.startswith("annual_returns_2026-") and n.endswith((".csv", ".xlsx")) for n in names)
    xlsx = [n for n in names if n.endswith(".xlsx")]
    assert 0.1 <= len(xlsx) / len(names) <= 0.35  # about one day in five
    for name, data in exports.items():
        assert landed.files[name] == sha256_hex(data)
        if name in damaged:
            continue
        if name.endswith(".csv"):
            assert data.count(b"\r\n") == data.count(b"\n") > 1 and not data.startswith(b"\xef\xbb\xbf")
        else:
            assert load_workbook(io.BytesIO(data), read_only=True).sheetnames == ["Returns"]
        assert tables[name][0] == HEADER and len(tables[name]) > 1
    smallest = min((n for n in xlsx if n not in damaged), key=lambda n: len(exports[n]))
    sheet = load_workbook(io.BytesIO(exports[smallest]))["Returns"]
    first = {name: cell.value for name, cell in zip(HEADER, sheet[2], strict=True)}
    assert isinstance(first["Return_Year"], int) and isinstance(first["Manager_Headcount"], int)
    assert isinstance(first["Submitted_At"], str) and isinstance(first["Return_ID"], str)
    assert all(isinstance(v, (int, float)) for k, v in first.items() if k.endswith("_WTE") and v is not None)


def test_ids_years_dates_and_flags_are_as_the_form_writes_them(submissions, landed) -> None:
    assert submissions["Return_ID"].str.fullmatch(r"AR2026-\d{7}").all()
    assert submissions["Return_ID"].is_unique and (submissions["Return_Year"] == "2026").all()
    assert submissions["Submitted_At"].str.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    assert set(submissions["Service_Status_31Dec"]) == {"Active", "Inactive"}
    assert set(submissions["IPC_Lead_Named"]) == set(submissions["Nutrition_Screening"]) == {"Yes", "No"}
    reasons = submissions["Hard_To_Fill_Reasons"]
    items = reasons[(reasons != "") & ~reasons.str.startswith("=")].str.split("; ").explode()
    assert set(items) == set(DICTIONARY.raw["annual_return"]["hard_to_fill_reasons"])
    assert (reasons.str.count("; ") >= 1).mean() > 0.15  # several reasons, not one each
    bad_file_rows = sum(len(f.return_ids) for f in landed.bad_files)
    assert len(submissions) + bad_file_rows == landed.submissions > 10_000


def test_every_cs_number_is_in_the_register_at_31_december_but_the_planted_ones(
    submissions, landed, register, history
) -> None:
    planted_rows = planted(landed, "unknown_service", "cancelled_service")
    assert len(planted_rows) >= 2
    theirs = submissions["Return_ID"].isin(planted_rows)
    assert submissions.loc[~theirs, "CSNumber"].isin(register.index).all()
    assert not submissions.loc[theirs, "CSNumber"].isin(register.index).any()
    ever = set(history.services["CSNumber"])
    unknown = {r.cs_number for r in landed.bad_rows["unknown_service"]}
    assert unknown and not unknown & ever
    cancelled = history.services.set_index("CSNumber").loc[
        [r.cs_number for r in landed.bad_rows["cancelled_service"]], "Date_Cancelled"
    ]
    assert (cancelled <= pd.Timestamp(WINDOW.describes)).all()
    status = submissions.loc[~theirs].set_index("CSNumber")["Service_Status_31Dec"]
    assert (status == register.loc[status.index, "ServiceStatus"]).all()


def test_who_must_submit_and_who_did(submissions, landed, register) -> None:
    optional = register["Date_Registered"] >= pd.Timestamp(WINDOW.optional_from)
    assert landed.mandatory_services == (~optional).sum() > 10_000
    assert landed.optional_services == optional.sum() > 50
    submitted = set(submissions["CSNumber"])
    missing = (~optional & ~register.index.isin(submitted)).sum()
    lost = sum(len(f.return_ids) for f in landed.bad_files)  # the unreadable file hides a few
    assert landed.mandatory_never_submitted <= missing <= landed.mandatory_never_submitted + lost
    assert 0.05 <= landed.mandatory_never_submitted / landed.mandatory_services <= 0.10
    assert 0.35 <= register.index[optional].isin(submitted).mean() <= 0.65  # about half
    inactive = register.index[register["ServiceStatus"] == "Inactive"]
    assert inactive.isin(submitted).mean() > 0.7  # inactive services submit too
    theirs = submissions[submissions["Service_Status_31Dec"] == "Inactive"]
    assert (role_sum(theirs, "WTE") <= 1).all() and (role_sum(theirs, "WTE") == 0).mean() > 0.4


def test_submissions_rush_before_the_deadline_in_working_hours(submissions) -> None:
    at = pd.to_datetime(submissions["Submitted_At"])
    day, closes = at.dt.normalize(), pd.Timestamp(WINDOW.closes)
    on_time = at[day <= closes]
    assert (day >= pd.Timestamp(WINDOW.opens)).all()
    final_week = (on_time.dt.normalize() > closes - pd.Timedelta(days=7)).mean()
    final_days = (on_time.dt.normalize() > closes - pd.Timedelta(days=3)).mean()
    assert final_week > 1 / 3 and 0.3 <= final_days <= 0.5
    assert (on_time.dt.normalize() == closes).mean() > 0.12  # the deadline is the busiest day
    hours = at.dt.hour
    assert ((hours >= 8) & (hours < 18)).mean() > 0.75


def test_a_few_submissions_are_late(submissions, landed) -> None:
    day = pd.to_datetime(submissions["Submitted_At"]).dt.normalize()
    late = day > pd.Timestamp(WINDOW.closes)
    assert landed.late_submissions == late.sum()
    assert 0.02 <= late.sum() / landed.submissions <= 0.04
    assert day.max() <= pd.Timestamp(WINDOW.closes) + pd.Timedelta(days=26)
    firsts = submissions.drop_duplicates("CSNumber")
    first_late = pd.to_datetime(firsts["Submitted_At"]).dt.normalize() > pd.Timestamp(WINDOW.closes)
    assert 0.015 <= first_late.mean() <= 0.04
    assert (pd.to_datetime(firsts.loc[first_late, "Submitted_At"]) <= pd.Timestamp("2026-03-10")).all()


def test_amendments_come_later_with_new_ids_and_changed_figures(submissions, landed) -> None:
    planted_ids = planted(landed, *DEFECT_KINDS)
    clean = submissions[~submissions["Return_ID"].isin(planted_ids)]
    per_service = submissions.groupby("CSNumber").size()
    lost = sum(len(f.return_ids) for f in landed.bad_files)
    assert abs((per_service - 1).sum() - landed.amendments) <= lost
    assert 0.05 <= (per_service > 1).mean() <= 0.08 and (per_service == 3).sum() >= 10
    compared = [c for c in HEADER if c not in ("Return_ID", "Submitted_At")]
    amended = clean[clean["CSNumber"].duplicated(keep=False)].sort_values(["CSNumber", "Submitted_At"])
    before = amended.shift()
    later = amended["CSNumber"] == before["CSNumber"]  # an amendment, beside the submission it amends
    assert later.sum() >= 0.9 * landed.amendments - lost
    assert (amended["Submitted_At"] > before["Submitted_At"])[later].all()
    assert (amended["Return_ID"] > before["Return_ID"])[later].all()  # a new, later reference
    assert (amended[compared] != before[compared]).any(axis=1)[later].all()  # some figure changed


def test_childminders_leave_the_vacancy_questions_blank_but_for_the_planted_row(
    submissions, landed, register
) -> None:
    care = submissions["CSNumber"].map(register["CareService"])
    childminders = submissions[care == "Child Minding"]
    assert len(childminders) > 2000
    answering = childminders[(childminders[VACANCY_QUESTIONS] != "").any(axis=1)]
    assert set(answering["Return_ID"]) == planted(landed, "childminder_vacancy_answer") != set()
    active = childminders["Service_Status_31Dec"] == "Active"
    assert (childminders.loc[active, "Manager_Headcount"] == "1").all()
    assert set(childminders["Care_Staff_Headcount"]) <= {"", "0", "1", "2"}
    others = submissions[
        care.notna() & (care != "Child Minding") & (submissions["Service_Status_31Dec"] == "Active")
    ]
    for role in ROLES:  # everyone else answers for the roles they employ (0 when there is no vacancy)
        employed = numbers(others, f"{role}_Headcount") > 0
        assert (others.loc[employed, [f"{role}_Vacant_WTE", f"{role}_Hard_To_Fill"]] != "").all(axis=None)


def test_staff_figures_hold_together_except_the_planted_rows(submissions, landed, register) -> None:
    heads = {role: numbers(submissions, f"{role}_Headcount") for role in ROLES}
    above = set()
    leaving = set()
    for role in ROLES:
        wte = numbers(submissions, f"{role}_WTE")
        above |= set(submissions.loc[wte > heads[role], "Return_ID"])
        leavers = numbers(submissions, f"{role}_Leavers")
        starters = numbers(submissions, f"{role}_Starters")
        leaving |= set(submissions.loc[leavers > heads[role] + starters, "Return_ID"])
    assert above == planted(landed, "wte_above_headcount") != set()
    assert leaving == planted(landed, "leavers_above_headcount_and_starters") != set()
    grid = [f"{role}_{measure}" for role in ROLES for measure in MEASURES] + ["People_Using_Service"]
    negative = (submissions[grid].apply(pd.to_numeric, errors="coerce") < 0).any(axis=1)
    assert set(submissions.loc[negative, "Return_ID"]) == planted(landed, "negative_count") != set()
    total_heads = sum(h.fillna(0) for h in heads.values())
    words = submissions["Return_ID"].isin(planted(landed, "text_in_number"))  # a headcount may be "two"
    assert (numbers(submissions, "SSSC_Registered_Staff") <= total_heads)[~words].all()
    places = submissions["CSNumber"].map(register["Registered_Places"]).astype(float)
    people = numbers(submissions, "People_Using_Service")
    assert not (people > places).any() and (people[places.notna()] < places[places.notna()]).mean() > 0.5
    care = submissions["CSNumber"].map(register["CareService"])
    homes = submissions[(care == "Care Home Service") & (submissions["Service_Status_31Dec"] == "Active")]
    assert (numbers(homes, "Ancillary_WTE") > 0).mean() > 0.8
    older = homes["CSNumber"].map(register["Subtype"]) == "Older People"
    assert 0.4 <= (numbers(homes[older], "Nurse_WTE") > 0).mean() <= 0.8
    assert (numbers(homes[~older], "Nurse_WTE") > 0).mean() < 0.3
    agencies = submissions[(care == "Support Service") & (submissions["Service_Status_31Dec"] == "Active")]
    assert (numbers(agencies, "Care_Staff_WTE").sum() / role_sum(agencies, "WTE").sum()) > 0.65


def test_total_wte_tracks_the_register_staff_figure(submissions, landed, register) -> None:
    latest = submissions[~submissions["Return_ID"].isin(planted(landed, *DEFECT_KINDS))]
    latest = latest.drop_duplicates("CSNumber", keep="last").set_index("CSNumber")
    staff = register["NumberStaff"].reindex(latest.index)
    known = staff.notna() & (latest["Service_Status_31Dec"] == "Active")
    total = role_sum(latest, "WTE")
    assert known.sum() > 7000
    assert np.corrcoef(total[known], staff[known])[0, 1] > 0.9
    ratio = total[known] / staff[known]
    assert 0.95 <= ratio.median() <= 1.05 and ((ratio > 0.7) & (ratio < 1.4)).mean() > 0.9


def test_turnover_and_vacancies_are_as_published(submissions, register) -> None:
    latest = submissions.drop_duplicates("CSNumber", keep="last")
    latest = latest[latest["CSNumber"].isin(register.index)]
    assert 0.2 <= role_sum(latest, "Leavers").sum() / role_sum(latest, "Headcount").sum() <= 0.3
    asked = latest[latest["CSNumber"].map(register["CareService"]) != "Child Minding"]
    vacant, wte = role_sum(asked, "Vacant_WTE"), role_sum(asked, "WTE")
    # 5.5-5.9% in 2016-18, when fewer services had a vacancy than in 2024
    assert 0.045 <= vacant.sum() / (wte.sum() + vacant.sum()) <= 0.07
    # the share the regulator published for 31 December 2024 (44%), held for 2025
    assert services_with_vacancies(WINDOW.describes.year) == 0.44
    assert abs((vacant > 0).mean() - 0.44) <= 0.015
    hard = role_sum(asked, "Hard_To_Fill")
    assert ((hard > 0) == (asked["Hard_To_Fill_Reasons"] != "")).mean() > 0.99
    assert (hard <= sum(np.ceil(numbers(asked, f"{r}_Vacant_WTE").fillna(0) / 0.55) for r in ROLES)).all()


def test_the_planted_defects_are_listed_where_they_are(exports, rows, landed) -> None:
    assert list(landed.bad_rows) == list(DEFECT_KINDS)
    planted_rows = [row for kind in DEFECT_KINDS for row in landed.bad_rows[kind]]
    assert 0.001 <= len(planted_rows) / landed.submissions <= 0.004  # about 0.2%
    at = rows.set_index(["file", "line"])
    for row in planted_rows:
        written = at.loc[(row.file, row.line)]
        assert written["Return_ID"] == row.return_id and written["CSNumber"] == row.cs_number
        if row.column:
            assert written[row.column] == row.value
    for row in landed.bad_rows["text_in_number"]:
        assert row.value.isalpha() and row.column in HEADER
    assert all(r.value.startswith("=HYPERLINK(") for r in landed.bad_rows["formula_text"])
    for row in landed.bad_rows["duplicate_row"]:
        copies = rows[rows["Return_ID"] == row.return_id]
        assert len(copies) == 2 and copies["file"].nunique() == 1 and row.line == copies["line"].max()
        assert (copies.drop(columns="line").iloc[0] == copies.drop(columns="line").iloc[1]).all()
    assert rows["Return_ID"].duplicated().sum() == len(landed.bad_rows["duplicate_row"])


def test_the_damaged_file_is_not_a_readable_spreadsheet(exports, landed) -> None:
    (damaged,) = landed.bad_files
    assert damaged.name.endswith(".xlsx") and damaged.name in exports and len(damaged.return_ids) > 5
    data = exports[damaged.name]
    assert data.startswith(b"PK\x03\x04")
    with pytest.raises(Exception, match="zip file"):
        load_workbook(io.BytesIO(data))
    day = dt.date.fromisoformat(damaged.name[15:25])
    assert WINDOW.opens < day < WINDOW.closes  # not in the rush


def test_the_same_seed_writes_the_same_bytes(tmp_path, history, landed, exports) -> None:
    again = write_annual_return_exports(
        str(tmp_path / "again"), YEAR, history=history, today=AFTER_THE_WINDOW
    )
    assert again.files == landed.files
    folder = Path(again.folder)
    assert {p.name: p.read_bytes() for p in sorted(folder.iterdir())} == exports


def test_inside_the_window_only_the_days_up_to_today_are_written(tmp_path, history, landed) -> None:
    today = dt.date(2026, 1, 20)
    early = write_annual_return_exports(str(tmp_path / "early"), YEAR, history=history, today=today)
    days = [dt.date.fromisoformat(name[15:25]) for name in early.files]
    assert days and max(days) == today and min(days) == WINDOW.opens
    assert early.files == {n: s for n, s in landed.files.items() if dt.date.fromisoformat(n[15:25]) <= today}
    assert sorted(p.name for p in Path(early.folder).iterdir()) == list(early.files)
    assert early.mandatory_services == landed.mandatory_services
    assert 0.1 * landed.submissions < early.submissions < 0.5 * landed.submissions
    assert early.late_submissions == 0 and early.mandatory_never_submitted > 0.5 * early.mandatory_services
    for kind, planted_rows in early.bad_rows.items():
        assert set(planted_rows) <= set(landed.bad_rows[kind])


def test_nothing_is_written_before_the_window_opens(tmp_path) -> None:
    lake = tmp_path / "lake"
    landed = write_annual_return_exports(str(lake), YEAR, scale=0.01, today=dt.date(2026, 1, 5))
    assert landed.files == {} and landed.submissions == 0 and not lake.exists()
    assert "opens on 2026-01-06" in landed.note


def test_the_fast_sheet_writer_writes_what_openpyxl_writes_cell_by_cell(history) -> None:
    simulated = simulate_returns(history, WINDOW, seed=2025)
    planted_rows = [
        r for r, (kind, _) in simulated.defects.items() if kind in ("text_in_number", "formula_text")
    ]
    rows = np.r_[np.arange(40), planted_rows]
    cells = simulated.export_rows(rows)
    assert cells.text_cells  # a word in a number column
    assert any(text.startswith("=") for column in cells.columns for text in column)
    day = dt.date(2026, 1, 6)
    assert sheet_bytes(cells, day) == sheet_bytes(cells, day, cell_by_cell=True)


def test_simulate_writes_return_years_and_reports_them(capsys, tmp_path) -> None:
    lake = tmp_path / "lake"
    common = ["simulate", "--until", "2025-12-31", "--months", "1", "--scale", "0.03", "--lake", lake]
    result = run_carestats(capsys, [*common, "--return-year", "2026", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    returns = summary["annual_returns"]["2026"]
    assert list(summary["extracts"]) == ["2026-01-05"] and len(returns["files"]) > 30
    assert sorted(p.name for p in (lake / "landing" / "annual-returns" / "2026").iterdir()) == sorted(
        returns["files"]
    )
    assert returns["submissions"] > returns["submitting_services"] > 250 and returns["bad_files"]
    lines = run_carestats(capsys, [*common, "--return-year", "2026"]).stdout
    assert "annual-return exports for 2026" in lines and "mandatory services did not submit" in lines
    refused = run_carestats(capsys, [*common[:-1], tmp_path / "other", "--return-year", "2031"])
    assert refused.exit_code == 2 and "no annual-return window is configured for 2031" in refused.stderr
    assert not (tmp_path / "other").exists()
    without = run_carestats(capsys, [*common, "--json"])
    assert "annual_returns" not in json.loads(without.stdout)


def test_the_share_of_services_with_a_vacancy_follows_the_published_years():
    assert [services_with_vacancies(year) for year in (2017, 2020, 2024)] == [0.38, 0.36, 0.44]
    assert services_with_vacancies(2022) == pytest.approx(0.40)  # a straight line between 2020 and 2024
    assert services_with_vacancies(2010) == 0.38 and services_with_vacancies(2030) == 0.44  # flat beyond
