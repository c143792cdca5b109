"""The SSSC share on simulated years at Scotland's scale and ten times it: what an intruder can learn."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from functools import cache

import numpy as np
import pandas as pd
import pytest

from carestats.collection import collection_window
from carestats.dictionary import DICTIONARY_PATH, load_dictionary
from simulation.annual_returns import simulate_returns
from simulation.history import extract_tables, simulate_history
from tasks.annual_returns.store import with_register
from tasks.shared.lake_map import SsscDelivery
from tasks.shared.published_text import format_decimal
from tasks.shared.statistical_tables import SUPPRESSED
from tasks.sssc.attributes import RELEASED, Ladder, describe
from tasks.sssc.pseudonym import pseudonyms
from tasks.sssc.share import Share, build_share, public_view
from tests.support.sssc import current_returns, linkage_matches

KEY = b"test-key-" + b"0123456789" * 4
AS_AT = dt.date(2026, 3, 31)
PLACE = SsscDelivery(2026)


def simulated(scale: float, year: int = 2026):
    """The register and the current returns of a simulated year, and the public view as at AS_AT."""
    return _simulated(scale, year)  # one cache entry whether the year is given or not


@cache
def _simulated(scale: float, year: int):
    history = simulate_history(seed=2025, scale=scale)
    returns = current_returns(simulate_returns(history, collection_window(year), seed=2025))
    register = extract_tables(history, AS_AT)["services"]
    public = public_view(register, returns[["CSNumber", "Total_WTE"]], AS_AT)
    return register, returns, public


@cache
def share_of(scale: float, year: int = 2026, key: bytes = KEY) -> Share:
    register, returns, public = simulated(scale, year)
    return build_share(returns, register, public, key, load_dictionary(), return_year=year, as_at=AS_AT)


def datastore_text(public: pd.DataFrame) -> pd.DataFrame:
    """The public view as the Datastore's CSV prints it (NumberStaff to two decimal places, blank if none)."""
    text = public.astype(object).where(public.notna(), "")
    text["NumberStaff"] = format_decimal(public["NumberStaff"]).fillna("")
    return text


def delivered_csv(share: Share, name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(share.files[name]), dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.parametrize("scale", [1.0, 10.0], ids=["default", "10x"])
def test_no_record_can_be_linked_to_fewer_than_k_named_services(scale):
    share = share_of(scale)
    _, returns, public = simulated(scale)
    extract = delivered_csv(share, PLACE.extract)
    matches = linkage_matches(extract, datastore_text(public), load_dictionary())
    k = share.report["k_required"]
    assert len(matches) == share.report["services"]["released"] > 0.9 * len(returns)
    assert (matches == 1).sum() == 0
    assert matches.min() >= k
    assert share.report["linkage"]["matched_to_one_named_service"] == 0
    assert share.report["linkage"]["fewest_named_services_matched"] >= k


def test_the_attack_singles_out_services_when_nothing_is_coarsened_or_rounded():
    """The attack has teeth: on the finest rung with exact WTE (the extract without disclosure control)
    it matches many records to a single named service."""
    register, returns, public = simulated(1.0)
    services = with_register(returns, register)
    dictionary = load_dictionary()
    finest = Ladder.from_dictionary(dictionary).shown(
        describe(services, services["Total_WTE"], dictionary), 0
    )
    roles = list(dictionary.job_roles)
    exact = pd.concat(
        [
            finest.assign(
                Pseudonym=services["CSNumber"],
                Coarsening_Level=0,
                WTE_Shown="Yes",
                Role=role,
                WTE=services[f"{role}_WTE"].astype("Float64").fillna(0).astype(str),
                Headcount=services[f"{role}_Headcount"].astype("Float64").fillna(0).astype(str),
            )
            for role in roles
        ]
    )
    matches = linkage_matches(exact, datastore_text(public), dictionary)
    assert (matches == 1).sum() > 0.1 * len(services)


@pytest.mark.parametrize("scale", [1.0, 10.0], ids=["default", "10x"])
def test_every_combination_of_released_attributes_holds_k_services(scale):
    share = share_of(scale)
    services = delivered_csv(share, PLACE.extract).drop_duplicates("Pseudonym")
    sizes = services.groupby(RELEASED).size()
    assert sizes.min() >= share.report["k_required"] == 5
    assert share.report["k_reached"] == sizes.min()
    # Coarsening is local: most services keep a fine description.
    assert (services["Coarsening_Level"].astype(int) <= 3).mean() > 0.5


def identifiers(register: pd.DataFrame) -> set[str]:
    """Every direct identifier the source data holds: numbers, names, postcodes, contacts."""
    columns = [
        "CSNumber",
        "SP_number",
        "ServiceName",
        "ServiceProvider",
        "Service_Postcode",
        "Service_Phone_Number",
        "Eforms_email_address",
        "Manager_Name",
        "Contact_Name",
        "Contact_Email",
        "Contact_Phone",
        "Address_line_1",
    ]
    dictionary_text = DICTIONARY_PATH.read_text(encoding="utf-8")
    values = set()
    for column in columns:
        values |= {v for v in register[column].dropna().astype(str) if len(v) >= 6}
    return {v for v in values if v not in dictionary_text}  # a council or type name identifies no one


def test_no_direct_identifier_in_any_delivered_byte():
    register, _, _ = simulated(1.0)
    share = share_of(1.0)
    found = identifiers(register)
    assert len(found) > 20_000
    for name, data in share.files.items():
        text = data.decode("utf-8-sig")
        assert not re.search(r"\b(CS|SP)\d{10}\b", text), name
        assert not re.search(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", text), name
        assert not re.search(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", text), name
        words = set(re.findall(r"\w+", text))
        # only an identifier whose every word is somewhere in the file can be in it
        suspects = [value for value in found if set(re.findall(r"\w+", value)) <= words]
        leaks = [value for value in suspects if value in text]
        assert not leaks, f"{name}: {sorted(leaks)[:5]}"


def test_staff_figures_are_rounded_and_counts_exact():
    share = share_of(1.0)
    extract = delivered_csv(share, PLACE.extract)
    for column, base in {"WTE": 1, "Vacant_WTE": 1, "Agency_Hours": 100, "Absence_Days": 10}.items():
        values = pd.to_numeric(extract[column].replace("", np.nan)).dropna()
        assert ((values % base) == 0).all(), column
    withheld = extract["WTE_Shown"] == "No"
    assert (extract.loc[withheld, "WTE"] == "").all()
    assert withheld.any() == (share.report["services"]["wte_withheld"] > 0)


def test_pseudonyms_follow_a_service_across_years_and_only_under_one_key():
    first, second = share_of(0.25, 2025), share_of(0.25, 2026)
    _, returns_2025, _ = simulated(0.25, 2025)
    _, returns_2026, _ = simulated(0.25, 2026)
    both = sorted(set(returns_2025["CSNumber"]) & set(returns_2026["CSNumber"]))
    expected = set(pseudonyms(pd.Series(both), KEY))
    seen = set(delivered_csv(first, SsscDelivery(2025).extract)["Pseudonym"]) & set(
        delivered_csv(second, PLACE.extract)["Pseudonym"]
    )
    assert len(seen) > 0.8 * len(both) > 1000
    assert seen <= expected
    other = share_of(0.25, 2026, key=b"another-key-" + b"9" * 40)
    assert not set(delivered_csv(other, PLACE.extract)["Pseudonym"]) & set(
        delivered_csv(second, PLACE.extract)["Pseudonym"]
    )


def test_tables_hide_small_cells_and_no_line_leaves_one_hidden_cell_alone():
    share = share_of(1.0)
    for name, layout in load_dictionary().sssc_share["tables"].items():
        table = delivered_csv(share, PLACE.table(name))
        hidden = table["Services"] == SUPPRESSED
        exact = share.tables.protected[list(share.report["tables"]).index(name)].cells
        small = (exact["Services"] > 0) & (exact["Services"] < 5)
        assert hidden[small.to_numpy()].all()
        assert (table.loc[hidden, ["Headcount", "WTE", "Leavers"]] == SUPPRESSED).all().all()
        for dimension in (layout["rows"], layout["columns"]):
            per_line = hidden.groupby(table[dimension]).sum()
            assert not (per_line == 1).any(), (name, dimension, per_line[per_line == 1])
        report = share.report["tables"][name]
        assert report["primary"] == int(small.sum()) and report["recoverable"] == 0
        assert report["primary"] + report["secondary"] == int(hidden.sum())


def test_the_disclosure_report_says_what_was_done():
    share = share_of(1.0)
    report = json.loads(share.files[PLACE.disclosure_report])
    assert report == share.report
    assert report["services"]["released"] + report["services"]["left_out_too_rare"] == len(simulated(1.0)[1])
    assert sum(report["coarsening"]["services_by_level"].values()) == report["services"]["released"]
    assert len(report["coarsening"]["ladder"]) == 8
    notes = share.files[PLACE.notes].decode()
    assert "[c]" in notes and "nearest multiple" in notes
    assert (
        share_of(1.0).files
        == build_share(
            simulated(1.0)[1],
            simulated(1.0)[0],
            simulated(1.0)[2],
            KEY,
            load_dictionary(),
            return_year=2026,
            as_at=AS_AT,
        ).files
    )  # the same returns give the same bytes
