"""Checks across editions: an edition can be valid on its own and still wrong against the previous one.

Real editions have shown it: in one month about 125 services moved to the wrong council area and moved
back a month later; in another, 434 MinGrade_change values flipped with no new grading. These rules,
which expectations/datastore_across_editions.json runs, compare an edition with the previous one:
service by service (matched by CSNumber) when both files have CS numbers, else by distribution (the
share of services per council area and per care service). Each returns a verdict per row of the
current edition, so the report names the services; each entry's params hold its tolerance (max_share
and min_services, or max_points for a share).
"""

from __future__ import annotations

import pandas as pd

from tasks.datastore.derive import service_rows
from tasks.datastore.rules import present
from tasks.shared.quality.rules import RuleBook, RuleContext, verdict

ACROSS_EDITIONS = RuleBook()
rule = ACROSS_EDITIONS.rule
BY_SERVICE, BY_DISTRIBUTION = "service", "distribution"  # meta.match: how an entry compares the editions
GRADE_COLUMNS = ["MinGrade", "MaxGrade", "MinGrade_change"]


def matching(previous: pd.DataFrame, current: pd.DataFrame) -> str:
    """How two editions can be compared: service by service when both name their services by CS number."""
    return BY_SERVICE if "CSNumber" in previous.columns and "CSNumber" in current.columns else BY_DISTRIBUTION


def _previous_rows(frame: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    """For each current row, the row of the same service in the previous edition (-1 if it was not there)."""
    return service_rows(frame["CSNumber"], ctx.previous["CSNumber"])


def _same_as_before(frame: pd.DataFrame, ctx: RuleContext, column: str) -> pd.Series:
    """Verdict: the column's value is what the previous edition said for the same service."""
    rows = _previous_rows(frame, ctx).to_numpy()
    matched = rows >= 0
    before = pd.Series(pd.NA, index=frame.index, dtype=object)
    before[matched] = ctx.previous[column].astype(object).to_numpy()[rows[matched]]
    now = frame[column].astype(object)
    same = (before == now).fillna(False).astype(bool) | (before.isna() & now.isna())
    return verdict(same, pd.Series(matched, index=frame.index))


def beyond_tolerance(ok: pd.Series, applies: pd.Series, params: dict) -> pd.Series:
    """The verdict, with the rows that break the check failing only when there are more of them than the
    tolerance: params.max_share of the rows it applies to, and never fewer than params.min_services (so a
    small edition is not flagged for one registration). A few changes a month are the register living.
    """
    breaking = int((applies & ~ok).sum())
    allowed = max(params.get("max_share", 0) * int(applies.sum()), params.get("min_services", 0))
    return verdict(ok if breaking > allowed else pd.Series(True, index=ok.index), applies)


def _service_column(params: dict) -> list[str]:
    return ["CSNumber", params["column"]]


@rule("unchanged_since_previous_edition", needs=lambda p, d: _service_column(p))
def unchanged_since_previous_edition(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A service's params.column (council area, health board, care service, provider) is as it was in the
    previous edition: such changes are rare, so many at once mean the register's data moved, not services.
    """
    same = _same_as_before(frame, ctx, params["column"])
    return beyond_tolerance(same.fillna(True).astype(bool), same.notna(), params)


@rule(
    "grades_change_only_with_a_new_grading", needs=lambda p, d: ["CSNumber", *GRADE_COLUMNS, *d.key_questions]
)
def grades_change_only_with_a_new_grading(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Grades (key questions, MinGrade, MaxGrade, MinGrade_change) change only with a new grading date."""
    graded_columns = [*ctx.dictionary.key_questions, *GRADE_COLUMNS]
    shared = [c for c in graded_columns if c in ctx.previous.columns]
    unchanged = pd.concat([_same_as_before(frame, ctx, c) for c in shared], axis=1)
    matched = unchanged.iloc[:, 0].notna()
    grades_same = unchanged.fillna(True).astype(bool).all(axis=1)
    if "Publication_of_Latest_Grading" in frame.columns and "Publication_of_Latest_Grading" in ctx.previous:
        newly_graded = ~_same_as_before(frame, ctx, "Publication_of_Latest_Grading").fillna(True).astype(bool)
    else:
        newly_graded = pd.Series(False, index=frame.index)
    return beyond_tolerance(grades_same | newly_graded, matched, params)


@rule("service_was_in_previous_edition", needs=lambda p, d: ["CSNumber"])
def service_was_in_previous_edition(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A service of this edition was in the previous one: the few that were not are new registrations;
    many mean the edition was built from another register (params.max_share is the tolerance).
    """
    was_there = pd.Series(_previous_rows(frame, ctx).to_numpy() >= 0, index=frame.index)
    return beyond_tolerance(was_there, frame["CSNumber"].notna(), params)


@rule("no_service_reappears", needs=lambda p, d: ["CSNumber", "Date_Reg"])
def no_service_reappears(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """A service absent from the previous edition although registered months before it vanished and came
    back: the previous edition lost it, or this one resurrected a cancelled service.
    """
    parts = frame["Date_Reg"].astype(object).str.extract(r"^(\d{4})_(\d{1,2})$").astype(float)
    registered = parts[0] * 12 + parts[1]
    before = ctx.previous_as_at.year * 12 + ctx.previous_as_at.month if ctx.previous_as_at else None
    new = pd.Series(_previous_rows(frame, ctx).to_numpy() < 0, index=frame.index)
    long_registered = registered < before if before is not None else pd.Series(False, index=frame.index)
    return verdict(~long_registered, new & registered.notna())


def _shares(values: pd.Series) -> pd.Series:
    return values.astype(object).value_counts(normalize=True, dropna=True)


def _moved_shares(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """Per category: how far its share of services moved since the previous edition, in percentage points."""
    column = params["column"]
    now, before = _shares(frame[column]), _shares(ctx.previous[column])
    both = now.index.union(before.index)
    return (now.reindex(both, fill_value=0) - before.reindex(both, fill_value=0)).abs() * 100


def _explain_moved_shares(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> str:
    moved = _moved_shares(frame, params, ctx)
    now, before = _shares(frame[params["column"]]), _shares(ctx.previous[params["column"]])
    beyond = moved[moved > params["max_points"]].sort_values(ascending=False)
    return (
        "; ".join(
            f"{name}: {before.get(name, 0):.1%} -> {now.get(name, 0):.1%}" for name in beyond.index[:10]
        )
        + f" (tolerance {params['max_points']} points)"
    )


@rule("share_per_category_stable", needs=lambda p, d: [p["column"]], explain=_explain_moved_shares)
def share_per_category_stable(frame: pd.DataFrame, params: dict, ctx: RuleContext) -> pd.Series:
    """The share of services in each category of params.column (council area, care service) moved by at
    most params.max_points percentage points: without CS numbers, this is how a mass move shows.
    """
    moved = _moved_shares(frame, params, ctx)
    stable = frame[params["column"]].astype(object).map(moved <= params["max_points"])
    return verdict(stable.fillna(True).astype(bool), present(frame, params["column"]))
