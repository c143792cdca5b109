"""The SSSC share of one return year, made whole: the extract, the tables, the disclosure report, notes.

A pure function of the current returns, the register and the public view (plus the pseudonym key), so
that a re-delivery of unchanged returns gives the same bytes, and a test can build a share without a
flow run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from carestats.dictionary import DataDictionary
from carestats.provenance import code_version
from tasks.annual_returns.staff import with_staff_from_returns
from tasks.annual_returns.store import REGISTER_ATTRIBUTES, with_register
from tasks.register.point_in_time import registered_on
from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake_map import SsscDelivery
from tasks.shared.published_text import csv_bytes, published_text
from tasks.shared.quality.suites import load_suite
from tasks.shared.statistical_tables import SUPPRESSED, suppression_counts
from tasks.sssc.attributes import Ladder, describe
from tasks.sssc.extract import Released, release
from tasks.sssc.tables import Tables, build_tables, staffing_units

PUBLIC_COLUMNS = [*REGISTER_ATTRIBUTES, "NumberStaff"]


@dataclass(frozen=True)
class Share:
    """What would be delivered (files without their manifest), and what the gate judges."""

    return_year: int
    files: dict[str, bytes]
    extract_text: pd.DataFrame
    tables: Tables
    report: dict
    facts: dict  # what the manifest says the delivery is


def public_view(register: pd.DataFrame, staff: pd.DataFrame, as_at: dt.date) -> pd.DataFrame:
    """What the public Datastore of `as_at` names and prints: the services registered that day, with
    NumberStaff from the returns accepted by then (the register's figure for services without one).
    """
    listed = with_staff_from_returns(registered_on(register, as_at), staff)
    return listed[PUBLIC_COLUMNS].reset_index(drop=True)


def wte_per_person_cap() -> float:
    """The most WTE one person may work, as the annual return's rule allows it: the linkage check gives
    the intruder this bound on a service's total WTE from its headcount.
    """
    entries = load_suite("annual_return_rules")["expectations"]
    (cap,) = {
        e["meta"]["params"]["max_wte_per_person"]
        for e in entries
        if e["meta"]["rule"] == "wte_within_headcount"
    }
    return float(cap)


def build_share(
    returns: pd.DataFrame,
    register: pd.DataFrame,
    public: pd.DataFrame,
    key: bytes,
    dictionary: DataDictionary,
    *,
    return_year: int,
    as_at: dt.date,
    k: int | None = None,
) -> Share:
    """The year's share from its current returns: the disclosure-controlled extract, the protected
    tables, the disclosure report and the notes, as the bytes of their files.
    """
    place = SsscDelivery(return_year)
    disclosure = dictionary.sssc_share["disclosure"]
    k = k or disclosure["k"]
    services = with_register(returns, register)
    described = describe(services, services["Total_WTE"].astype("Float64").round(2), dictionary)
    released = release(
        services, described, public, key, dictionary, k=k, max_wte_per_person=wte_per_person_cap()
    )
    tables = build_tables(staffing_units(services, described, list(dictionary.job_roles)), dictionary)
    report = disclosure_report(released, tables, dictionary, k=k, return_year=return_year, as_at=as_at)
    extract_text = published_text(released.extract, dictionary.sssc_extract_columns())
    files = {
        place.extract: csv_bytes(extract_text),
        **{place.table(name): csv_bytes(text) for name, text in tables.text.items()},
        place.disclosure_report: canonical_json(report),
        place.notes: notes_text(dictionary, report).encode("utf-8"),
    }
    facts = {
        "title": dictionary.sssc_share["title"],
        "return_year": return_year,
        "public_view_as_at": as_at.isoformat(),
        "rows": {
            place.extract: len(extract_text),
            **{place.table(n): len(t) for n, t in tables.text.items()},
        },
        "disclosure": {
            "k_required": k,
            "k_reached": report["k_reached"],
            "services_released": released.released,
            "services_left_out": released.left_out,
            "matched_to_fewer_than_k": released.linkage["matched_to_fewer_than_k"],
            "cells_suppressed": {n: t["primary"] + t["secondary"] for n, t in report["tables"].items()},
        },
        "code_version": code_version(),
    }
    return Share(return_year, files, extract_text, tables, report, facts)


def disclosure_report(
    released: Released,
    tables: Tables,
    dictionary: DataDictionary,
    *,
    k: int,
    return_year: int,
    as_at: dt.date,
) -> dict:
    """What disclosure control did and what it reached, in figures: the k, the coarsening, the cells
    suppressed and audited, the linkage check. No timestamp: the same share gives the same report.
    """
    ladder = Ladder.from_dictionary(dictionary)
    disclosure = dictionary.sssc_share["disclosure"]
    return {
        "return_year": return_year,
        "k_required": k,
        "k_reached": released.k_reached,
        "l_diversity_of_having_vacancies": released.l_vacancies,
        "services": {
            "with_a_current_return": released.services,
            "released": released.released,
            "left_out_too_rare": released.left_out,
            "wte_withheld": released.wte_withheld,
        },
        "coarsening": {
            "ladder": [{"level": n, **rung} for n, rung in enumerate(ladder.rungs)],
            "size_bands": ladder.bands,
            "services_by_level": {str(level): count for level, count in released.by_level.items()},
        },
        "rounding": {"extract": disclosure["extract_rounding"], "tables": disclosure["table_rounding"]},
        "linkage": {
            "against": f"the public Datastore as at {as_at.isoformat()}: every service it names, on service "
            "group, employer type, area and NumberStaff (within the size band, the rounded WTE and the "
            "headcount)",
            **released.linkage,
        },
        "tables": {
            table.spec.name: {
                "cells": len(table.cells),
                **suppression_counts(table),
                "recoverable": int(tables.audits[table.spec.name]["recoverable"].sum()),
                "min_cell_services": disclosure["min_cell_services"],
                "protection": disclosure["protection"],
            }
            for table in tables.protected
        },
    }


def notes_text(dictionary: DataDictionary, report: dict) -> str:
    """The notes that travel with the share: what each file and column is, the rounding, the symbols."""
    share = dictionary.sssc_share
    disclosure = share["disclosure"]
    lines = [
        share["title"],
        "",
        "Services appear only as a pseudonym: a keyed HMAC-SHA256 of the registration number, the same for a",
        "service every year. No names, registration numbers, addresses, postcodes, phone numbers, e-mail",
        "addresses or free text are included.",
        "",
        "Record-level extract: one row per service and job role. Every combination of coarsening level,",
        f"service group, employer type, area and size band holds at least {report['k_required']} services "
        f"(k reached: {report['k_reached']}).",
        "Attributes are coarsened service by service along the ladder in the disclosure report, only as far",
        "as needed. Figures are rounded to the nearest multiple of: "
        + ", ".join(f"{m} {b}" for m, b in disclosure["extract_rounding"].items())
        + "; counts are exact.",
        "",
        "Columns:",
        *[f"  {c.name}: {c.definition}" for c in dictionary.sssc_extract_columns()],
        "",
        "Aggregate tables: every service with a current accepted return. Figures are rounded to the nearest",
        "multiple of: "
        + ", ".join(f"{m} {b}" for m, b in disclosure["table_rounding"].items())
        + "; rates are computed from unrounded figures.",
        f"{SUPPRESSED}: suppressed to protect confidentiality. A cell of fewer than "
        f"{disclosure['min_cell_services']} services is suppressed (primary); further cells are suppressed",
        "(secondary) so that no suppressed cell can be worked out from the totals, as an audit by linear",
        "programming confirms.",
        "",
        "Columns:",
        *[f"  {c.name}: {c.definition}" for c in dictionary.sssc_table_columns()],
        "",
    ]
    return "\n".join(lines)
