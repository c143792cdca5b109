"""The annual return's business rules, which expectations/annual_return_rules.json runs on every return.

Each rule computes a helper column (see tasks/shared/quality/rules.py) from the returns as text plus the
typed copies (<column>__value) and what the register says of each service (the REGISTER_* columns the
validation joins on). A rule whose suite entry names `{role}` runs once per job role of the staffing grid.
What the rules know besides the rows (the return year, its window, the day of the run) is in ctx.facts.
"""

from __future__ import annotations

import pandas as pd

from tasks.shared.disclosure import group_mask
from tasks.shared.published_text import FORMULA_TRIGGERS
from tasks.shared.quality.columns import VALUE_SUFFIX
from tasks.shared.quality.rules import RuleBook, RuleContext, verdict

RETURN_RULES = RuleBook()
rule = RETURN_RULES.rule

# What the register says of each return's service, joined on CSNumber before the rules run.
REGISTER_KNOWN = "register__known"
REGISTER_CARE_SERVICE = "register__CareService"
REGISTER_REGISTERED = "register__Date_Registered"
REGISTER_CANCELLED = "register__Date_Cancelled"
SUBMITTED_ON = "submitted__date"  # Submitted_At as a calendar day (null when unreadable)


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """The typed (float) copy of a numeric column."""
    return frame[column + VALUE_SUFFIX]


def _present(*values: pd.Series) -> pd.Series:
    mask = values[0].notna()
    for value in values[1:]:
        mask &= value.notna()
    return mask


@rule("wte_within_headcount", needs=lambda p, d: [f"{p['role']}_Headcount", f"{p['role']}_WTE"])
def wte_within_headcount(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A role's WTE is at most its headcount times the most one person may work (1.0 WTE each)."""
    heads, wte = numbers(frame, f"{params['role']}_Headcount"), numbers(frame, f"{params['role']}_WTE")
    return verdict(wte <= heads * params["max_wte_per_person"] + 1e-9, _present(heads, wte))


@rule(
    "leavers_within_headcount_and_starters",
    needs=lambda p, d: [f"{p['role']}_{m}" for m in ("Headcount", "Starters", "Leavers")],
)
def leavers_within_headcount_and_starters(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Nobody leaves who was not there: a role's leavers are at most its headcount plus its starters."""
    role = params["role"]
    heads, starters, leavers = (numbers(frame, f"{role}_{m}") for m in ("Headcount", "Starters", "Leavers"))
    return verdict(leavers <= heads.fillna(0) + starters.fillna(0), leavers.notna())


@rule(
    "sssc_registered_within_headcount",
    needs=lambda p, d: ["SSSC_Registered_Staff", *[f"{r}_Headcount" for r in d.job_roles]],
)
def sssc_registered_within_headcount(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Staff registered with the SSSC are some of the staff: at most the headcount over every role."""
    heads = pd.concat([numbers(frame, f"{r}_Headcount") for r in ctx.dictionary.job_roles], axis=1)
    registered = numbers(frame, "SSSC_Registered_Staff")
    return verdict(registered <= heads.sum(axis=1, min_count=1).fillna(0), registered.notna())


def vacancy_columns(ctx: RuleContext) -> list[str]:
    """The return's columns childminders are not asked (vacant WTE, hard to fill, and the reasons)."""
    return [c.name for c in ctx.dictionary.annual_return_columns() if c.vacancy_question]


@rule("vacancy_questions_not_asked", needs=lambda p, d: ["CSNumber", REGISTER_CARE_SERVICE])
def vacancy_questions_not_asked(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Services not asked the vacancy questions (childminders) leave them blank: an answer there is
    someone else's return or a form fault.
    """
    not_asked = group_mask(
        frame.rename(columns={REGISTER_CARE_SERVICE: "CareService"})[["CareService"]],
        ctx.dictionary.not_asked_vacancy_questions(),
    )
    answered = pd.concat([frame[c].notna() for c in vacancy_columns(ctx) if c in frame.columns], axis=1).any(
        axis=1
    )
    return verdict(~answered, not_asked)


@rule("known_service", needs=lambda p, d: ["CSNumber", REGISTER_KNOWN])
def known_service(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """The CS number is a service the register has ever held."""
    return verdict(frame[REGISTER_KNOWN].astype(bool), frame["CSNumber"].notna())


@rule("registered_at_year_end", needs=lambda p, d: ["CSNumber", REGISTER_REGISTERED, REGISTER_CANCELLED])
def registered_at_year_end(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """The service was registered, and not cancelled, on the 31 December the return describes."""
    describes = pd.Timestamp(ctx.facts["window"].describes)
    registered, cancelled = frame[REGISTER_REGISTERED], frame[REGISTER_CANCELLED]
    ok = (registered <= describes) & (cancelled.isna() | (cancelled > describes))
    return verdict(ok.fillna(False), frame[REGISTER_KNOWN].astype(bool))


@rule("return_year_of_its_folder", needs=lambda p, d: ["Return_Year"])
def return_year_of_its_folder(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A return in the 2026 folder says it is a 2026 return: otherwise it would count for the wrong year."""
    year = numbers(frame, "Return_Year")
    return verdict(year == ctx.facts["window"].return_year, year.notna())


@rule("submitted_in_window_or_after", needs=lambda p, d: ["Submitted_At", SUBMITTED_ON])
def submitted_in_window_or_after(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Submitted on or after the window opened and not after the day of the run: a date before the
    forms opened or in the future is a clock or export fault (after the close is only late).
    """
    submitted = frame[SUBMITTED_ON]
    opens, today = pd.Timestamp(ctx.facts["window"].opens), pd.Timestamp(ctx.facts["today"])
    return verdict((submitted >= opens) & (submitted <= today), submitted.notna())


@rule("reasons_from_the_list", needs=lambda p, d: ["Hard_To_Fill_Reasons"])
def reasons_from_the_list(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Each reason a vacancy is hard to fill is one of the form's choices (a list answer, "; " between)."""
    allowed = set(ctx.dictionary.raw["annual_return"]["hard_to_fill_reasons"])
    reasons = frame["Hard_To_Fill_Reasons"]
    ok = [
        not isinstance(text, str) or all(item.strip() in allowed for item in text.split(";"))
        for text in reasons.astype(object)
    ]
    return verdict(pd.Series(ok, index=frame.index), reasons.notna())


@rule("no_formula_text", needs=lambda p, d: [p["column"]])
def no_formula_text(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) is refused,
    never stored: a later download of the returns must not execute a provider's input.
    """
    values = frame[params["column"]]
    return verdict(~values.str.startswith(FORMULA_TRIGGERS).fillna(False).astype(bool), values.notna())
