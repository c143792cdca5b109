"""The register simulator: realistic counts and mixes, consistent history, point-in-time extracts and
CSV rendering (clean, and messy the way real exports are)."""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pandas as pd
import pytest

from carestats.dictionary import load_dictionary
from simulation.history import (
    RegisterHistory,
    extract_tables,
    month_end_extract_dates,
    render_extract,
    simulate_history,
)

AS_AT = pd.Timestamp("2025-08-31")
EXTRACT_DAY = dt.date(2025, 9, 5)  # the extract the edition as at AS_AT is built from
DICTIONARY = load_dictionary()

# Datastore counts at 31 Aug 2025 (domain notes, section 2).
REAL_COUNTS = {
    "Child Minding": 2877,
    "Day Care of Children": 3372,
    "Support Service": 1588,
    "Housing Support Service": 1077,
    "Care Home Service": 1365,
    "Nurse Agency": 147,
    "Fostering Service": 58,
    "Adoption Service": 38,
    "Adult Placement Service": 77,
    "School Care Accommodation Service": 51,
}
REAL_SUBTYPES = {
    "Day Care of Children (under 3s)": 1704,
    "Day Care of Children (over 3s)": 1668,
    "Care at Home": 1278,
    "Other than Care at home": 310,
    "Older People": 762,
    "Children & Young People": 368,
    "Learning Disabilities": 136,
}
REAL_SECTORS = {
    "Private": 5879,
    "Local Authority": 2577,
    "Voluntary or Not for Profit": 2161,
    "Health Board": 53,
}


@pytest.fixture(scope="module")
def current(history: RegisterHistory) -> pd.DataFrame:
    """The services of the edition as at AS_AT, as the extract after it knows them."""
    return registered_on(extract_tables(history, EXTRACT_DAY)["services"], AS_AT)


def registered_on(services: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    return services[(services["Date_Registered"] <= day) & ~(services["Date_Cancelled"] <= day)]


def council_key(text: str) -> str:
    text = re.sub(r"\s+", " ", text.casefold().replace(" and ", " & ")).strip()
    return re.sub(r" council$", "", text)


COUNCIL_LOOKUP = {council_key(c): c for c in DICTIONARY.council_areas} | {
    council_key(alias): official for alias, official in DICTIONARY.reference["council_area_aliases"].items()
}


def normalise_council(name: str) -> str | None:
    """The dictionary's rules: case, "and" for "&", a trailing "Council", then the listed aliases."""
    return COUNCIL_LOOKUP.get(council_key(name))


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def read(data: bytes) -> pd.DataFrame:
    text, _ = decode(data)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return frame.replace("NA", "")


# Counts and mix -----------------------------------------------------------------------------------


def test_about_as_many_services_as_scotland_with_the_real_mix(current: pd.DataFrame) -> None:
    assert 10_000 <= len(current) <= 11_500
    by_type = current["CareService"].value_counts()
    for care_service, real in REAL_COUNTS.items():
        assert by_type[care_service] == pytest.approx(real, rel=0.1, abs=3 * real**0.5), care_service
    by_subtype = current["Subtype"].value_counts()
    for subtype, real in REAL_SUBTYPES.items():
        assert by_subtype[subtype] == pytest.approx(real, rel=0.1, abs=3 * real**0.5), subtype
    shares = current["ServiceType"].value_counts(normalize=True)
    for sector, real in REAL_SECTORS.items():
        assert shares[sector] == pytest.approx(real / sum(REAL_SECTORS.values()), abs=0.02), sector
    assert set(current["CareService"]) <= set(DICTIONARY.care_services)
    assert set(current["Subtype"].dropna()) <= set(DICTIONARY.subtypes)


def test_sectors_fit_the_type(current: pd.DataFrame) -> None:
    sector = current.groupby("CareService")["ServiceType"]
    assert set(sector.get_group("Child Minding")) == {"Private"}
    assert sector.get_group("Nurse Agency").eq("Private").mean() > 0.9
    assert sector.get_group("Adoption Service").eq("Local Authority").mean() > 0.6
    assert (current["Provided_by_Local_Authority"] == "Yes").equals(
        current["ServiceType"] == "Local Authority"
    )


def test_council_areas_in_proportion(current: pd.DataFrame) -> None:
    shares = current["Council_Area_Name"].value_counts(normalize=True)
    assert set(shares.index) == set(DICTIONARY.council_areas)
    assert shares["City of Edinburgh"] == pytest.approx(0.095, abs=0.015)
    assert shares["Glasgow City"] == pytest.approx(0.089, abs=0.015)
    assert shares["Fife"] == pytest.approx(0.067, abs=0.012)
    assert shares["Orkney Islands"] < 0.012 and shares["outside Scotland"] < 0.012
    outside = current[current["Council_Area_Name"] == "outside Scotland"]
    assert not outside["ServiceType"].isin(["Local Authority", "Health Board"]).any()
    assert outside["CareService"].eq("Nurse Agency").mean() > 0.7


def test_client_group_status_and_geography_follow_the_rules(current: pd.DataFrame) -> None:
    expected = [
        DICTIONARY.client_group(c, s if isinstance(s, str) else None)
        for c, s in zip(current["CareService"], current["Subtype"], strict=True)
    ]
    assert current["Client_group"].tolist() == expected
    assert current["ServiceStatus"].eq("Inactive").mean() == pytest.approx(0.013, abs=0.005)
    boards = DICTIONARY.reference["council_main_health_board"]
    scottish = current[current["Council_Area_Name"] != "outside Scotland"]
    main = scottish["Council_Area_Name"].map(boards)
    other = scottish[scottish["Health_Board_Name"] != main]
    assert set(other["Council_Area_Name"]) <= {"South Lanarkshire"}  # Rutherglen and Cambuslang are in GGC
    assert scottish["Datazone"].str.fullmatch(r"S01\d{6}").all()
    decile = (scottish["SIMD_rank"].astype(int) - 1) * 10 // 6976 + 1
    assert scottish["SIMD_rank"].between(1, 6976).all() and (decile == scottish["SIMD2020_Decile"]).all()
    assert current["Service_Postcode"].str.fullmatch(r"[A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}").all()
    assert (
        current.loc[current["Council_Area_Name"] == "Glasgow City", "Service_Postcode"]
        .str.startswith("G")
        .all()
    )
    assert (
        current.loc[current["Council_Area_Name"] == "Fife", "Service_Postcode"].str.match(r"(KY|DD)\d").all()
    )


def test_sizes_by_type(current: pd.DataFrame) -> None:
    places = current.groupby("CareService")["Registered_Places"]
    childminders = places.get_group("Child Minding")
    assert childminders.between(6, 12).mean() > 0.95 and childminders.max() <= 12
    assert places.get_group("Care Home Service").median() == pytest.approx(24, abs=8)
    older = current.loc[current["Subtype"] == "Older People", "Registered_Places"]
    assert older.median() == pytest.approx(43, abs=8)
    assert places.get_group("Nurse Agency").isna().mean() > 0.8
    assert places.get_group("Fostering Service").isna().all()
    homes = current[current["CareService"] == "Care Home Service"]
    assert homes["TotalBeds"].notna().all() and (homes["SingleBedrooms"] <= homes["TotalBeds"]).all()
    assert current.loc[current["CareService"] != "Care Home Service", "TotalBeds"].isna().all()
    staff = current.groupby("CareService")["NumberStaff"]
    assert staff.get_group("Child Minding").isna().mean() == pytest.approx(0.69, abs=0.05)
    assert staff.get_group("Child Minding").max() <= 3
    assert staff.get_group("Care Home Service").median() > 10
    assert (current["NumberStaff"].dropna() % 1 != 0).mean() > 0.4  # WTE, mostly with decimals


def test_names_and_contacts_look_real(current: pd.DataFrame) -> None:
    names = current.groupby("CareService")["ServiceName"]
    assert (
        names.get_group("Care Home Service")
        .str.contains(
            r"Care Home|House|Nursing Home|Lodge|Court|Cottage|"
            r"Unit|Resource Centre"
        )
        .all()
    )
    assert names.get_group("Child Minding").str.contains(r", |Childminding").all()
    assert (
        names.get_group("Day Care of Children")
        .str.contains(r"Nursery|Playgroup|Club|Centre|Class|Cròileagan")
        .all()
    )
    assert current["ServiceName"].map(str.isascii).mean() < 0.99  # some names need more than ASCII
    assert current["Eforms_email_address"].str.fullmatch(r"[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+").all()
    assert current["Service_Phone_Number"].str.replace(" ", "").str.fullmatch(r"0\d{10}").all()
    childminders = current[current["CareService"] == "Child Minding"]
    assert childminders["SP_number"].is_unique  # childminders are their own providers
    councils = current[current["ServiceType"] == "Local Authority"].groupby("Council_Area_Name")["SP_number"]
    assert (councils.nunique() == 1).all() and councils.size().max() > 100  # a council runs many services
    assert current["Manager_Name"].notna().all() and current["Contact_Email"].str.contains("@").all()


# History ------------------------------------------------------------------------------------------


def test_numbers_are_unique_and_well_formed(history: RegisterHistory) -> None:
    services = history.services
    assert services["CSNumber"].is_unique
    assert services["CSNumber"].str.fullmatch(r"CS\d{10}").all()
    assert (services["CSNumber"].str[2:6].astype(int) == services["Date_Registered"].dt.year).all()
    assert services["SP_number"].str.fullmatch(r"SP\d{10}").all()
    for table in DICTIONARY.extract_tables:
        assert list(getattr(history, table).columns) == list(DICTIONARY.extract_table(table).columns), table
    assert history.complaints["Complaint_ID"].is_unique and history.enforcements["Enforcement_ID"].is_unique


def test_founding_cohort_steady_flow_and_turnover(history: RegisterHistory, current: pd.DataFrame) -> None:
    services = history.services
    assert services["Date_Registered"].min() == pd.Timestamp("2002-04-01")
    assert (current["Date_Registered"] == pd.Timestamp("2002-04-01")).sum() == pytest.approx(2800, rel=0.12)
    year_before = len(registered_on(services, AS_AT - pd.DateOffset(years=1)))
    assert len(current) == pytest.approx(year_before, rel=0.04)  # shrinking slowly (1.8% a year)
    recent = services[services["Date_Registered"].dt.year == 2012]
    monthly = recent["Date_Registered"].dt.month.value_counts()
    assert len(monthly) == 12 and monthly.min() > 0.5 * monthly.max()  # registrations every month
    cohort = services[services["Date_Registered"].dt.year.between(2012, 2016)]
    gone = (cohort["Date_Cancelled"] <= AS_AT).groupby(cohort["CareService"]).mean()
    # Childminders turn over fastest; day care (mostly council nursery classes) is the steadiest.
    assert gone["Child Minding"] > gone["Care Home Service"] > gone["Day Care of Children"]
    assert (
        services["Date_Cancelled"].isna() | (services["Date_Cancelled"] > services["Date_Registered"])
    ).all()


def test_some_cancellations_are_same_day_re_registrations(history: RegisterHistory) -> None:
    services = history.services
    cancelled = services[services["Date_Cancelled"].notna()]
    same = ["SP_number", "ServiceName", "Address_line_1", "Service_Postcode"]
    again = cancelled.merge(
        services,
        left_on=["Date_Cancelled", *same],
        right_on=["Date_Registered", *same],
        suffixes=("", "_new"),
    )
    assert 0.01 < len(again) / len(cancelled) < 0.2
    assert (again["CSNumber"] != again["CSNumber_new"]).all()
    assert (again["Council_Area_Name"] == again["Council_Area_Name_new"]).all()
    assert (again["CareService"] != "Child Minding").all()


def test_gradings_grade_only_the_dictionary_key_questions(history: RegisterHistory) -> None:
    services = history.services.set_index("CSNumber")[["CareService", "Subtype"]]
    gradings = history.gradings.join(services, on="CSNumber")
    questions = DICTIONARY.key_questions
    graded = gradings[questions].notna()
    for (care_service, subtype), rows in graded.groupby(
        [gradings["CareService"], gradings["Subtype"].fillna("")]
    ):
        allowed = DICTIONARY.graded_key_questions(care_service, subtype or None)
        if subtype == "Care at Home":  # those with a building base are graded on their setting too
            allowed = [*allowed, "KQ_Setting"]
        assert not rows.drop(columns=allowed).any().any(), (care_service, subtype)
    at_home = gradings["Subtype"] == "Care at Home"
    with_setting = gradings.loc[at_home & graded["KQ_Setting"], "CSNumber"].nunique()
    assert with_setting / gradings.loc[at_home, "CSNumber"].nunique() == pytest.approx(0.06, abs=0.02)
    assert graded.sum(axis=1).min() >= 1
    assert graded.sum(axis=1).isin([2, 3]).mean() > 0.3  # later inspections often grade only two or three
    childminders = graded[gradings["CareService"] == "Child Minding"]["KQ_Staff_Team"]
    assert 0.2 < childminders.mean() < 0.6  # childminders without assistants have no staff-team grade
    grades = pd.Series(gradings[questions].to_numpy().ravel()).dropna().astype(int)
    assert grades.between(1, 6).all() and grades.mean() == pytest.approx(4.5, abs=0.3)
    assert grades.isin([4, 5]).mean() > 0.75
    lag = (gradings["Publication_Date"] - gradings["Inspection_Date"]).dt.days
    assert lag.between(7, 191).all() and lag.median() == pytest.approx(33, abs=5)
    assert lag.quantile(0.95) == pytest.approx(91, abs=20)  # the real edition's latest gradings
    assert gradings["Inspection_Date"].min() >= pd.Timestamp("2008-04-01")
    assert not gradings.duplicated(["CSNumber", "Publication_Date"]).any()


def test_inspections_requirements_complaints_and_enforcements(history: RegisterHistory) -> None:
    services = history.services.set_index("CSNumber")
    inspections = history.inspections.join(
        services[["CareService", "Date_Registered", "Date_Cancelled"]], on="CSNumber"
    )
    assert not inspections.duplicated(["CSNumber", "Inspection_Date"]).any()
    assert (inspections["Inspection_Date"] >= inspections["Date_Registered"]).all()
    assert not (inspections["Inspection_Date"] >= inspections["Date_Cancelled"]).any()
    assert len(history.gradings) / len(inspections) == pytest.approx(0.988, abs=0.005)  # nearly all graded
    requirements = inspections["Requirements_Made"].eq("Yes")
    assert requirements.mean() == pytest.approx(0.2, abs=0.05)
    by_type = requirements.groupby(inspections["CareService"]).mean()
    assert by_type["Care Home Service"] > by_type["Day Care of Children"] > by_type["Child Minding"]
    gaps = inspections.groupby("CSNumber")["Inspection_Date"].diff().dt.days.dropna() / 365.25
    assert gaps.min() > 0.3 and gaps.median() == pytest.approx(2, abs=0.8)

    financial_year = (pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    services_that_year = len(registered_on(history.services, financial_year[1]))
    complaints = history.complaints[history.complaints["Upheld_Date"].between(*financial_year)]
    assert len(complaints) / services_that_year == pytest.approx(0.055, abs=0.02)
    per_type = complaints.join(services["CareService"], on="CSNumber")["CareService"].value_counts()
    assert per_type["Care Home Service"] > per_type["Child Minding"]
    enforcements = history.enforcements[history.enforcements["Issued_Date"].between(*financial_year)]
    assert len(enforcements) / services_that_year == pytest.approx(0.003, abs=0.002)
    assert set(history.enforcements["Enforcement_Type"]) <= {
        "Improvement Notice",
        "Condition Notice",
        "Proposal to Cancel",
        "Emergency Condition Notice",
        "Emergency Cancellation",
    }
    for table, column in (("complaints", "Upheld_Date"), ("enforcements", "Issued_Date")):
        events = getattr(history, table).join(services[["Date_Registered", "Date_Cancelled"]], on="CSNumber")
        assert (events[column] >= events["Date_Registered"]).all()
        assert not (events[column] >= events["Date_Cancelled"]).any()


# Extracts -----------------------------------------------------------------------------------------


def test_extract_knows_nothing_after_its_date(history: RegisterHistory) -> None:
    day = dt.date(2024, 6, 5)
    stamp = pd.Timestamp(day)
    tables = extract_tables(history, day)
    services = tables["services"]
    assert (services["Date_Registered"] <= stamp).all() and not (services["Date_Cancelled"] > stamp).any()
    truth = history.services.set_index("CSNumber").loc[services["CSNumber"], "Date_Cancelled"]
    later = (truth > stamp).to_numpy()
    assert later.sum() > 100 and services.loc[later, "Date_Cancelled"].isna().all()  # not yet known
    registered = (history.services["Date_Registered"] <= stamp).sum()
    assert 0 < registered - len(services) < 15  # the last few days' registrations are not recorded yet
    for table, column in (
        ("gradings", "Publication_Date"),
        ("inspections", "Inspection_Date"),
        ("complaints", "Upheld_Date"),
        ("enforcements", "Issued_Date"),
    ):
        assert (tables[table][column] <= stamp).all(), table
        assert tables[table]["CSNumber"].isin(services["CSNumber"]).all(), table
        if table != "inspections":
            assert len(tables[table]) == (getattr(history, table)[column] <= stamp).sum(), table
    held = (history.inspections["Inspection_Date"] <= stamp).sum()
    assert 0 < held - len(tables["inspections"]) < 600  # an inspection is recorded when its report is out


def test_month_end_extract_dates() -> None:
    assert month_end_extract_dates(dt.date(2025, 8, 31), 3) == [
        (dt.date(2025, 6, 30), dt.date(2025, 7, 5)),
        (dt.date(2025, 7, 31), dt.date(2025, 8, 5)),
        (dt.date(2025, 8, 31), dt.date(2025, 9, 5)),
    ]
    assert month_end_extract_dates(dt.date(2025, 3, 15), 2, lag_days=4) == [
        (dt.date(2025, 1, 31), dt.date(2025, 2, 4)),
        (dt.date(2025, 2, 28), dt.date(2025, 3, 4)),
    ]


def test_clean_rendering(history: RegisterHistory) -> None:
    day = dt.date(2025, 9, 5)
    files = render_extract(extract_tables(history, day), day, seed=2025, messy=False)
    assert sorted(files) == sorted(f"{t}.csv" for t in DICTIONARY.extract_tables)
    for name, data in files.items():
        text = data.decode("utf-8")
        assert not data.startswith(b"\xef\xbb\xbf") and "\r" not in text, name
        assert ",NA," not in text and not re.search(r"\d\.0(,|\n)", text.split("\n", 1)[1]), name
    services = read(files["services.csv"])
    assert services.columns.tolist() == list(DICTIONARY.extract_table("services").columns)
    assert services["Date_Registered"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert services["Registered_Places"].str.fullmatch(r"\d*").all()
    assert services["Council_Area_Name"].isin(DICTIONARY.council_areas).all()
    gradings = read(files["gradings.csv"])
    assert len(gradings) == (history.gradings["Publication_Date"] <= pd.Timestamp(day)).sum()


def test_messy_rendering_decodes_back_to_the_same_values() -> None:
    history = simulate_history(seed=7, scale=0.3)
    seen: dict[str, set] = {"encoding": set(), "crlf": set(), "na": set()}
    for _, day in month_end_extract_dates(dt.date(2025, 12, 31), 6):
        tables = extract_tables(history, day)
        clean = {n: read(d) for n, d in render_extract(tables, day, seed=7, messy=False).items()}
        for name, data in render_extract(tables, day, seed=7, messy=True).items():
            seen["encoding"].add((name, decode(data)[1]))
            seen["crlf"].add(b"\r\n" in data)
            seen["na"].add(b",NA," in data or b",NA\r" in data or b",NA\n" in data)
            messy = read(data)
            if name == "services.csv":
                respelt = messy["Council_Area_Name"] != clean[name]["Council_Area_Name"]
                assert 0.05 < respelt.mean() < 0.3
                assert (
                    messy["Council_Area_Name"].map(normalise_council).tolist()
                    == clean[name]["Council_Area_Name"].tolist()
                )
                messy["Council_Area_Name"] = clean[name]["Council_Area_Name"]
            pd.testing.assert_frame_equal(messy, clean[name], obj=f"{name} of {day}")
    encodings = {encoding for _, encoding in seen["encoding"]}
    assert {"cp1252", "utf-8-sig"} <= encodings and ("services.csv", "cp1252") in seen["encoding"]
    assert seen["crlf"] == {True, False} and True in seen["na"]


def test_council_spellings_are_all_normalisable() -> None:
    from simulation.render import council_spellings

    for council in DICTIONARY.council_areas:
        spellings = council_spellings(council)
        assert spellings and all(normalise_council(s) == council for s in spellings), council
    assert "Edinburgh, City of" in council_spellings("City of Edinburgh")
    assert {"Argyll and Bute", "Fife Council", "PERTH & KINROSS"} <= {
        s for c in ("Argyll & Bute", "Fife", "Perth & Kinross") for s in council_spellings(c)
    }


# Determinism and scale ----------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    day = dt.date(2025, 9, 5)

    def files(seed: int) -> dict[str, bytes]:
        return render_extract(extract_tables(simulate_history(seed=seed, scale=0.2), day), day, seed=seed)

    first, again, other = files(11), files(11), files(12)
    assert first == again
    assert all(first[name] != other[name] for name in first)


def test_tiny_scale_works() -> None:
    history = simulate_history(seed=3, scale=0.01)
    current = registered_on(history.services, AS_AT)
    assert 60 <= len(current) <= 160
    day = dt.date(2026, 1, 5)
    files = render_extract(extract_tables(history, day), day, seed=3)
    assert len(read(files["services.csv"])) == len(extract_tables(history, day)["services"])
    assert np.isin(["services.csv", "enforcements.csv"], list(files)).all()
