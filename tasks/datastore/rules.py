"""The Datastore's business rules, which expectations/datastore_rules.json runs on every edition.

Each rule computes a helper column (see tasks/shared/quality/rules.py) from the edition as published
text plus the typed copies datastore quality adds (<column>__value). Definitions the publication
already computes (GradeSpread) and facts the data dictionary states (who is graded on what, which
columns are blank for which services) are read from there, never restated here.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from tasks.datastore.derive import grade_spread
from tasks.shared.disclosure import group_mask
from tasks.shared.quality.columns import VALUE_SUFFIX
from tasks.shared.quality.rules import RuleBook, RuleContext, is_in, verdict

DATASTORE_RULES = RuleBook()
rule = DATASTORE_RULES.rule


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """The typed (float) copy of a numeric column."""
    return frame[column + VALUE_SUFFIX]


def present(frame: pd.DataFrame, column: str) -> pd.Series:
    """Rows where the column is not blank."""
    return frame[column].notna()


def _matches(published: pd.Series, expected: pd.Series) -> pd.Series:
    both_blank = published.isna().to_numpy() & expected.isna().to_numpy()
    return both_blank | (published == expected).fillna(False).astype(bool)


def _everywhere(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=frame.index)


@rule("mingrade_not_above_maxgrade", needs=lambda p, d: ["MinGrade", "MaxGrade"])
def mingrade_not_above_maxgrade(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """The lowest grade is never above the highest."""
    low, high = numbers(frame, "MinGrade"), numbers(frame, "MaxGrade")
    return verdict(low <= high, low.notna() & high.notna())


@rule("mingrade_is_lowest_key_question", needs=lambda p, d: ["MinGrade", *d.key_questions])
def mingrade_is_lowest_key_question(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """MinGrade is the lowest of the key-question grades (blank when none is graded)."""
    grades = pd.concat([numbers(frame, kq) for kq in ctx.dictionary.key_questions], axis=1)
    return verdict(_matches(numbers(frame, "MinGrade"), grades.min(axis=1)), _everywhere(frame))


@rule("maxgrade_is_highest_key_question", needs=lambda p, d: ["MaxGrade", *d.key_questions])
def maxgrade_is_highest_key_question(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """MaxGrade is the highest of the key-question grades (blank when none is graded)."""
    grades = pd.concat([numbers(frame, kq) for kq in ctx.dictionary.key_questions], axis=1)
    return verdict(_matches(numbers(frame, "MaxGrade"), grades.max(axis=1)), _everywhere(frame))


@rule("gradespread_matches_grades", needs=lambda p, d: ["GradeSpread", "MinGrade", "MaxGrade"])
def gradespread_matches_grades(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """GradeSpread is what the publication derives from MinGrade and MaxGrade (derive.grade_spread)."""
    expected = grade_spread(numbers(frame, "MinGrade"), numbers(frame, "MaxGrade"))
    return verdict(_matches(frame["GradeSpread"], expected), _everywhere(frame))


def _per_service_type(
    frame: pd.DataFrame, known: pd.Series, answer: Callable[[str, str | None], bool]
) -> pd.Series:
    """`answer(care service, subtype or None)` for each row of a known care service, asked once per pair."""
    care = frame["CareService"].astype(object)
    subtype = frame["Subtype"].astype(object).where(frame["Subtype"].notna(), None)
    pairs = set(zip(care[known], subtype[known], strict=True))
    answers = {pair: answer(*pair) for pair in pairs}
    return pd.Series(
        [answers.get(pair, False) for pair in zip(care, subtype, strict=True)], index=frame.index, dtype=bool
    )


@rule(
    "key_question_graded_for_service_type", needs=lambda p, d: ["CareService", "Subtype", p["key_question"]]
)
def key_question_graded_for_service_type(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A key question carries a grade only for the service types the dictionary grades on it, always
    (graded_key_questions) or occasionally (occasionally_graded_key_questions).
    """
    kq, dictionary = params["key_question"], ctx.dictionary
    known = is_in(frame["CareService"], list(dictionary.care_services))
    allowed = _per_service_type(
        frame,
        known,
        lambda c, s: (
            kq in dictionary.graded_key_questions(c, s)
            or kq in dictionary.occasionally_graded_key_questions(c, s)
        ),
    )
    return verdict(allowed, known & present(frame, kq))


@rule("key_question_occasionally_graded", needs=lambda p, d: ["CareService", "Subtype", p["key_question"]])
def key_question_occasionally_graded(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Services of a type graded on the key question only occasionally (occasionally_graded_key_questions)
    are not graded on it: the suite entry's `mostly` says what share may be, as real editions are.
    """
    kq, dictionary = params["key_question"], ctx.dictionary
    known = is_in(frame["CareService"], list(dictionary.care_services))
    occasional = _per_service_type(
        frame, known, lambda c, s: kq in dictionary.occasionally_graded_key_questions(c, s)
    )
    return verdict(~present(frame, kq), known & occasional)


@rule("registered_places_present", needs=lambda p, d: ["CareService", "Registered_Places"])
def registered_places_present(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Services registered for a number of places (params.care_services) have it."""
    return verdict(present(frame, "Registered_Places"), is_in(frame["CareService"], params["care_services"]))


@rule("agency_registered_places_blank", needs=lambda p, d: ["CareService", "Registered_Places"])
def agency_registered_places_blank(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Agencies (the dictionary's kind 'agency') are not registered for places: blank, or 0 as editions
    before mid-2025 wrote it.
    """
    agencies = [name for name, spec in ctx.dictionary.care_services.items() if spec["kind"] == "agency"]
    places = numbers(frame, "Registered_Places")
    not_registered_for_places = ~present(frame, "Registered_Places") | (places == 0)
    return verdict(not_registered_for_places, is_in(frame["CareService"], agencies))


@rule("registered_not_after_edition", needs=lambda p, d: ["Date_Reg"], needs_edition_date=True)
def registered_not_after_edition(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """No service was registered in a month more than params.months_after months after the edition date
    (Date_Reg is YYYY_M): 1 allows the month after, which extracts taken days after month end leak.
    """
    parts = frame["Date_Reg"].astype(object).str.extract(r"^(\d{4})_(\d{1,2})$").astype(float)
    month_index = parts[0] * 12 + parts[1]
    edition = ctx.as_at.year * 12 + ctx.as_at.month
    return verdict(month_index <= edition + params.get("months_after", 0), month_index.notna())


@rule("blank_for_disclosure_group", needs=lambda p, d: [*d.disclosure_groups[p["group"]], *p["columns"]])
def blank_for_disclosure_group(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """The columns are blank for the disclosure group's services, as the dictionary's disclosure rules say.

    The group (which services) comes from the dictionary, and each checked column must be one the
    dictionary blanks for that group: the suite chooses which columns to check, not what is disclosed.
    """
    group, dictionary = params["group"], ctx.dictionary
    for name in params["columns"]:
        column = dictionary.column_for_name(name)
        if column is None or group not in column.blank_for:
            raise ValueError(f"datastore_rules: the data dictionary does not blank {name} for {group}")
    blank = ~pd.concat([present(frame, c) for c in params["columns"]], axis=1).any(axis=1)
    return verdict(blank, group_mask(frame, dictionary.disclosure_groups[group]))


@rule("health_board_is_councils_main_board", needs=lambda p, d: ["Council_Area_Name", "Health_Board_Name"])
def health_board_is_councils_main_board(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """The health board is the council's main board (or one params.also allows for that council)."""
    main = ctx.dictionary.reference["council_main_health_board"]
    boards = {council: {board, *params.get("also", {}).get(council, [])} for council, board in main.items()}
    pairs = zip(
        frame["Council_Area_Name"].astype(object), frame["Health_Board_Name"].astype(object), strict=True
    )
    ok = pd.Series([board in boards.get(council, ()) for council, board in pairs], index=frame.index)
    return verdict(ok, is_in(frame["Council_Area_Name"], list(main)) & present(frame, "Health_Board_Name"))


@rule("number_staff_plausible", needs=lambda p, d: ["CareService", "NumberStaff"])
def number_staff_plausible(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """NumberStaff is at most the ceiling params give for the service type."""
    ceiling = (
        frame["CareService"].astype(object).map(params["maximum_wte"]).fillna(params["default_maximum_wte"])
    )
    staff = numbers(frame, "NumberStaff")
    return verdict(staff <= ceiling.astype(float), staff.notna())
