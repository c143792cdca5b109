"""Hand-written business rules for the Datastore, computed as one helper column per rule.

GX 1.24's UnexpectedRowsExpectation has no pandas implementation (SQL sources only), so each rule here
turns the batch into a column `_rule_<id>` holding True (row is fine), False (row breaks the rule) or
None (the rule does not apply), and expectations/datastore_rules.json expects that column to be in
{True}. GX then counts and locates the failing rows like any column expectation, so line numbers stay
exact. Which rule a suite entry uses, its parameters and its reason live in the entry's meta.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carestats.dictionary import DataDictionary
from tasks.quality.suites import VALUE_SUFFIX

RULE_PREFIX = "_rule_"
ADDRESS_LINES = ["Address_line_1", "Address_line_2", "Address_line_3", "Address_line_4"]


@dataclass(frozen=True)
class RuleContext:
    dictionary: DataDictionary
    as_at: dt.date | None


@dataclass(frozen=True)
class Rule:
    check: Callable[[pd.DataFrame, dict, RuleContext], pd.Series]
    needs: Callable[[dict, DataDictionary], list[str]]
    needs_edition_date: bool = False


RULES: dict[str, Rule] = {}


def rule(name: str, needs: Callable[[dict, DataDictionary], list[str]], needs_edition_date: bool = False):
    def register(check):
        RULES[name] = Rule(check, needs, needs_edition_date)
        return check

    return register


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column + VALUE_SUFFIX]


def present(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].notna()


def verdict(ok: pd.Series, applies: pd.Series) -> pd.Series:
    """True/False where the rule applies, None elsewhere (GX skips nulls)."""
    return pd.Series(np.where(applies, ok.astype(bool), None), index=ok.index, dtype=object)


@rule("mingrade_not_above_maxgrade", needs=lambda p, d: ["MinGrade", "MaxGrade"])
def mingrade_not_above_maxgrade(frame, params, ctx):
    low, high = numbers(frame, "MinGrade"), numbers(frame, "MaxGrade")
    return verdict(low <= high, low.notna() & high.notna())


def _matches(published: pd.Series, expected: pd.Series) -> pd.Series:
    both_blank = published.isna() & expected.isna()
    return both_blank | (published == expected)


@rule("mingrade_is_lowest_key_question", needs=lambda p, d: ["MinGrade", *d.key_questions])
def mingrade_is_lowest_key_question(frame, params, ctx):
    grades = pd.concat([numbers(frame, kq) for kq in ctx.dictionary.key_questions], axis=1)
    return verdict(_matches(numbers(frame, "MinGrade"), grades.min(axis=1)), pd.Series(True, index=frame.index))


@rule("maxgrade_is_highest_key_question", needs=lambda p, d: ["MaxGrade", *d.key_questions])
def maxgrade_is_highest_key_question(frame, params, ctx):
    grades = pd.concat([numbers(frame, kq) for kq in ctx.dictionary.key_questions], axis=1)
    return verdict(_matches(numbers(frame, "MaxGrade"), grades.max(axis=1)), pd.Series(True, index=frame.index))


@rule("gradespread_matches_grades", needs=lambda p, d: ["GradeSpread", "MinGrade", "MaxGrade"])
def gradespread_matches_grades(frame, params, ctx):
    low, high = numbers(frame, "MinGrade"), numbers(frame, "MaxGrade")
    expected = pd.Series(np.where(low >= 5, "5 or 6", np.where(high <= 2, "1 or 2", "Mix")), index=frame.index)
    expected = expected.where(low.notna() & high.notna(), None)
    return verdict(_matches(frame["GradeSpread"], expected), pd.Series(True, index=frame.index))


@rule("key_question_graded_for_service_type", needs=lambda p, d: ["CareService", "Subtype", p["key_question"]])
def key_question_graded_for_service_type(frame, params, ctx):
    kq, dictionary = params["key_question"], ctx.dictionary
    known = frame["CareService"].isin(list(dictionary.care_services)).fillna(False).astype(bool)
    pairs = frame.loc[known, ["CareService", "Subtype"]].astype(object).drop_duplicates().itertuples(index=False)
    graded_for = {(c, s): kq in dictionary.graded_key_questions(c, s) for c, s in pairs}
    allowed = pd.Series(
        [graded_for.get((c, s), True) for c, s in zip(frame["CareService"].astype(object), frame["Subtype"].astype(object))],
        index=frame.index,
    )
    return verdict(allowed, known & present(frame, kq))


@rule("registered_places_present", needs=lambda p, d: ["CareService", "Registered_Places"])
def registered_places_present(frame, params, ctx):
    applies = frame["CareService"].isin(params["care_services"]).fillna(False).astype(bool)
    return verdict(present(frame, "Registered_Places"), applies)


def _agencies(ctx: RuleContext) -> list[str]:
    return [name for name, spec in ctx.dictionary.care_services.items() if spec["kind"] == "agency"]


@rule("agency_registered_places_blank", needs=lambda p, d: ["CareService", "Registered_Places"])
def agency_registered_places_blank(frame, params, ctx):
    applies = frame["CareService"].isin(_agencies(ctx)).fillna(False).astype(bool)
    return verdict(~present(frame, "Registered_Places"), applies)


@rule("registered_not_after_edition", needs=lambda p, d: ["Date_Reg"], needs_edition_date=True)
def registered_not_after_edition(frame, params, ctx):
    parts = frame["Date_Reg"].astype(object).str.extract(r"^(\d{4})_(\d{1,2})$").astype(float)
    month_index = parts[0] * 12 + parts[1]
    edition = ctx.as_at.year * 12 + ctx.as_at.month
    return verdict(month_index <= edition, month_index.notna())


@rule("childminder_no_address", needs=lambda p, d: ["CareService", *ADDRESS_LINES])
def childminder_no_address(frame, params, ctx):
    blank = ~pd.concat([present(frame, c) for c in ADDRESS_LINES], axis=1).any(axis=1)
    return verdict(blank, (frame["CareService"] == "Child Minding").fillna(False).astype(bool))


@rule("childminder_no_postcode", needs=lambda p, d: ["CareService", "Service_Postcode"])
def childminder_no_postcode(frame, params, ctx):
    return verdict(~present(frame, "Service_Postcode"), (frame["CareService"] == "Child Minding").fillna(False).astype(bool))


@rule("health_board_is_councils_main_board", needs=lambda p, d: ["Council_Area_Name", "Health_Board_Name"])
def health_board_is_councils_main_board(frame, params, ctx):
    main = ctx.dictionary.reference["council_main_health_board"]
    boards = {council: {board, *params.get("also", {}).get(council, [])} for council, board in main.items()}
    pairs = zip(frame["Council_Area_Name"].astype(object), frame["Health_Board_Name"].astype(object))
    ok = pd.Series([board in boards.get(council, ()) for council, board in pairs], index=frame.index)
    applies = frame["Council_Area_Name"].isin(list(main)).fillna(False).astype(bool) & present(frame, "Health_Board_Name")
    return verdict(ok, applies)


@rule("number_staff_plausible", needs=lambda p, d: ["CareService", "NumberStaff"])
def number_staff_plausible(frame, params, ctx):
    ceiling = frame["CareService"].astype(object).map(params["maximum_wte"]).fillna(params["default_maximum_wte"])
    staff = numbers(frame, "NumberStaff")
    return verdict(staff <= ceiling.astype(float), staff.notna())
