"""Business rules as expectations: each rule computes one helper column that a suite entry then judges.

GX 1.24's UnexpectedRowsExpectation has no pandas implementation (SQL sources only), so a rule turns
the batch into a column holding True (the row is fine), False (the row breaks the rule) or None (the
rule does not apply), and its suite entry expects that column to be in {True}. GX then counts and
locates the failing rows like any column expectation, so line numbers stay exact. Which rule an entry
uses, its parameters and its reason live in the entry's meta (meta.rule, meta.params, meta.reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carestats.dictionary import DataDictionary

Check = Callable[[pd.DataFrame, dict, "RuleContext"], pd.Series]
Needs = Callable[[dict, DataDictionary], list[str]]


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know besides the rows: the data dictionary, the edition date, the previous
    edition (as a typed frame, for the checks across editions) when there are, and a domain's own facts.
    """

    dictionary: DataDictionary
    as_at: dt.date | None
    previous: pd.DataFrame | None = None
    previous_as_at: dt.date | None = None
    facts: dict = field(default_factory=dict)  # what else a domain's rules know (a collection window)


@dataclass(frozen=True)
class Rule:
    """A rule's check, the columns it reads (from its params), whether it needs the edition date, and an
    optional `explain` that says in words what a failure found (for checks on a whole distribution).
    """

    check: Check
    needs: Needs
    needs_edition_date: bool = False
    explain: Callable[[pd.DataFrame, dict, RuleContext], str] | None = None


@dataclass
class RuleBook:
    """A domain's rules by name, as its suite's entries refer to them (meta.rule)."""

    rules: dict[str, Rule] = field(default_factory=dict)

    def rule(
        self,
        name: str,
        needs: Needs,
        needs_edition_date: bool = False,
        explain: Callable[[pd.DataFrame, dict, RuleContext], str] | None = None,
    ) -> Callable[[Check], Check]:
        """Decorator: file the function as the rule `name`."""

        def file_rule(check: Check) -> Check:
            self.rules[name] = Rule(check, needs, needs_edition_date, explain)
            return check

        return file_rule

    def __getitem__(self, name: str) -> Rule:
        """The rule a suite entry names."""
        return self.rules[name]

    def add_verdicts(self, frame: pd.DataFrame, entries: list[dict], context: RuleContext) -> None:
        """Add to `frame` the helper column (kwargs.column) of every entry that names a rule (meta.rule),
        so that the suite's entries can judge it.
        """
        for entry in entries:
            meta = entry["meta"]
            if "rule" in meta:
                frame[entry["kwargs"]["column"]] = self[meta["rule"]].check(
                    frame, meta.get("params", {}), context
                )


def verdict(ok: pd.Series, applies: pd.Series) -> pd.Series:
    """True/False where the rule applies, None elsewhere (GX skips nulls)."""
    return pd.Series(np.where(applies, ok.astype(bool), None), index=ok.index, dtype=object)


def is_in(values: pd.Series, allowed: list) -> pd.Series:
    """Rows whose value is one of `allowed`, False for blanks: the usual 'this rule applies' mask."""
    return values.isin(allowed).fillna(False).astype(bool)
