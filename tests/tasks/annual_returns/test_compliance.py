import datetime as dt

import pandas as pd
import pytest

from carestats.collection import CollectionWindow
from tasks.annual_returns.compliance import (
    BY_SERVICE_COLUMNS,
    compliance_by_group,
    compliance_by_service,
    compliance_summary,
    reminder_list,
    services_asked,
)

WINDOW = CollectionWindow(2026, dt.date(2026, 1, 6), dt.date(2026, 2, 17))
A_WEEK_AFTER_CLOSE = dt.date(2026, 2, 24)
ASHGROVE = {"SP_number": "SP2003000001", "ServiceProvider": "Ashgrove Care Ltd"}
BIRCHWOOD = {"SP_number": "SP2004000002", "ServiceProvider": "Birchwood Group"}
PERTH, GLASGOW, FIFE = "Perth & Kinross", "Glasgow City", "Fife"
GROUP_COUNT_COLUMNS = ["Mandatory", "Submitted", "Missing", "Percent_Submitted"]


def service(cs, name, registered, cancelled=None, **fields):
    return {
        "CSNumber": cs,
        "ServiceName": name,
        "CareService": "Care Home Service",
        "ServiceStatus": "Active",
        "Council_Area_Name": PERTH,
        "Eforms_email_address": None,
        "Contact_Email": None,
        "Date_Registered": registered,
        "Date_Cancelled": cancelled,
        **fields,
    }


def register():
    rows = [
        service(
            "CS2002000001",
            "Ashgrove House",
            "2002-04-01",
            Contact_Email="morag.smith@ashgrove.example",
            Eforms_email_address="ashgrove@example.org",
            **ASHGROVE,
        ),
        # Registered the day before 1 October: mandatory. Its named contact is blank: the forms address.
        service(
            "CS2025000002",
            "Birch Lodge",
            "2025-09-30",
            Contact_Email="  ",
            Eforms_email_address="birchlodge@example.org",
            **ASHGROVE,
        ),
        service("CS2025000003", "Cedar Court", "2025-10-01", **ASHGROVE),  # on 1 October: optional
        # Cancelled on 31 December: not operating on the day described, not asked.
        service(
            "CS2010000004",
            "Dunedin House",
            "2010-05-01",
            "2025-12-31",
            Council_Area_Name=GLASGOW,
            **BIRCHWOOD,
        ),
        # Cancelled on 1 January: it operated on 31 December, so it must still submit.
        service(
            "CS2010000005",
            "Elm Bank",
            "2010-05-01",
            "2026-01-01",
            Council_Area_Name=GLASGOW,
            Contact_Email="chris@birchwood.example",
            Eforms_email_address="elmbank@example.org",
            **BIRCHWOOD,
        ),
        service(
            "CS2011000006",
            "Fir Tree",
            "2011-03-01",
            ServiceStatus="Inactive",
            Council_Area_Name=FIFE,
            **BIRCHWOOD,
        ),
        service(
            "CS2026000007",
            "Lorna Grant",
            "2026-01-05",  # registered after 31 December: not asked, though it sent a return
            CareService="Child Minding",
            Council_Area_Name=FIFE,
            SP_number="SP2026000004",
            ServiceProvider="Lorna Grant",
        ),
        service(
            "CS2012000008",
            "Hazel House",
            "2012-06-01",
            Council_Area_Name=GLASGOW,
            Eforms_email_address="hazel@example.org",
            **BIRCHWOOD,
        ),
        service(
            "CS2013000009",
            "Iona House",
            "2013-07-01",
            Council_Area_Name=FIFE,
            Contact_Email="chris@birchwood.example",  # the same person as Elm Bank's: named once
            Eforms_email_address="iona@example.org",
            **BIRCHWOOD,
        ),
        service(
            "CS2025000010",
            "Juniper Nursery",
            "2025-11-15",
            CareService="Day Care of Children",
            Council_Area_Name=FIFE,
            **BIRCHWOOD,
        ),
        service(
            "CS2019000011",
            "Kirsty Brown",
            "2019-08-01",
            CareService="Child Minding",
            Council_Area_Name=FIFE,
            Eforms_email_address="kirsty.brown@example.com",
            SP_number="SP2019000003",
            ServiceProvider="Kirsty Brown",
        ),
    ]
    frame = pd.DataFrame(rows)
    for column in ("Date_Registered", "Date_Cancelled"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    return frame


def returns():
    rows = [
        ("CS2002000001", 2026, "2026-01-10T09:00:00", "No"),
        ("CS2002000001", 2026, "2026-02-01T14:30:00", "No"),  # an amendment
        ("CS2025000002", 2025, "2025-01-15T10:00:00", "No"),  # last year's return: not this year's
        ("CS2011000006", 2026, "2026-02-20T11:00:00", "Yes"),
        ("CS2026000007", 2026, "2026-01-20T16:00:00", "No"),
        ("CS2012000008", 2026, "2026-02-25T08:00:00", "Yes"),
        ("CS2025000010", 2026, "2026-02-17T23:59:00", "No"),
    ]
    frame = pd.DataFrame(rows, columns=["CSNumber", "Return_Year", "Submitted_At", "Late"])
    frame["Submitted_At"] = pd.to_datetime(frame["Submitted_At"])
    return frame


def plain(frame):
    """Rows as lists, dates as yyyy-mm-dd and blanks as '', so whole tables compare exactly."""

    def value(v):
        if pd.isna(v):
            return ""
        return v.date().isoformat() if isinstance(v, pd.Timestamp) else v

    return [[value(v) for v in row] for row in frame.itertuples(index=False)]


def by_service(as_at=A_WEEK_AFTER_CLOSE):
    return compliance_by_service(register(), returns(), WINDOW, as_at)


def test_who_is_asked_and_whether_they_must_submit():
    asked = services_asked(register(), WINDOW)
    assert dict(zip(asked["CSNumber"], asked["Obligation"], strict=True)) == {
        "CS2002000001": "Mandatory",
        "CS2025000002": "Mandatory",  # registered 30 September
        "CS2025000003": "Optional",  # registered 1 October
        "CS2010000005": "Mandatory",  # cancelled 1 January
        "CS2011000006": "Mandatory",  # inactive
        "CS2012000008": "Mandatory",
        "CS2013000009": "Mandatory",
        "CS2025000010": "Optional",
        "CS2019000011": "Mandatory",
    }
    assert "CS2010000004" not in set(asked["CSNumber"])  # cancelled 31 December
    assert "CS2026000007" not in set(asked["CSNumber"])  # registered 5 January
    assert asked["CSNumber"].tolist() == sorted(asked["CSNumber"])
    assert {"SP_number", "Council_Area_Name", "Contact_Email", "Eforms_email_address"} <= set(asked.columns)


def test_standing_of_every_asked_service_a_week_after_the_close():
    table = by_service()
    assert list(table.columns) == BY_SERVICE_COLUMNS
    standing = [
        "CSNumber",
        "Obligation",
        "First_Submitted",
        "Submissions",
        "Late",
        "Missing",
        "Cancelled_Since",
    ]
    assert plain(table[standing]) == [
        ["CS2002000001", "Mandatory", "2026-01-10", 2, "No", "No", ""],  # and amended on 1 February
        ["CS2025000002", "Mandatory", "", 0, "", "Yes", ""],
        ["CS2025000003", "Optional", "", 0, "", "No", ""],
        ["CS2010000005", "Mandatory", "", 0, "", "Yes", "2026-01-01"],
        ["CS2011000006", "Mandatory", "2026-02-20", 1, "Yes", "No", ""],
        ["CS2012000008", "Mandatory", "", 0, "", "Yes", ""],  # submitted on the 25th
        ["CS2013000009", "Mandatory", "", 0, "", "Yes", ""],
        ["CS2025000010", "Optional", "2026-02-17", 1, "No", "No", ""],
        ["CS2019000011", "Mandatory", "", 0, "", "Yes", ""],
    ]
    home, day_care, minder = "Care Home Service", "Day Care of Children", "Child Minding"
    ashgrove, birchwood = list(ASHGROVE.values()), list(BIRCHWOOD.values())
    assert plain(table.iloc[:, 1:7]) == [
        ["Ashgrove House", home, "Active", *ashgrove, PERTH],
        ["Birch Lodge", home, "Active", *ashgrove, PERTH],
        ["Cedar Court", home, "Active", *ashgrove, PERTH],
        ["Elm Bank", home, "Active", *birchwood, GLASGOW],
        ["Fir Tree", home, "Inactive", *birchwood, FIFE],
        ["Hazel House", home, "Active", *birchwood, GLASGOW],
        ["Iona House", home, "Active", *birchwood, FIFE],
        ["Juniper Nursery", day_care, "Active", *birchwood, FIFE],
        ["Kirsty Brown", minder, "Active", "SP2019000003", "Kirsty Brown", FIFE],
    ]


def test_only_returns_submitted_by_the_end_of_the_day_count():
    on_the_close = by_service(dt.date(2026, 2, 17)).set_index("CSNumber")
    # Submitted at 23:59 on the closing day: it counts on that day.
    assert on_the_close.loc["CS2025000010", "First_Submitted"] == pd.Timestamp("2026-02-17")
    # Submitted on the 20th and 25th: not yet.
    assert on_the_close.loc[["CS2011000006", "CS2012000008"], "Missing"].tolist() == ["Yes", "Yes"]
    assert on_the_close.loc[["CS2011000006", "CS2012000008"], "Submissions"].tolist() == [0, 0]
    # The amendment of 1 February is not yet made on 31 January.
    before_amendment = by_service(dt.date(2026, 1, 31)).set_index("CSNumber")
    assert before_amendment.loc["CS2002000001", "Submissions"] == 1
    assert before_amendment.loc["CS2002000001", "Missing"] == "No"
    # A day later Hazel House is in, late.
    next_day = by_service(dt.date(2026, 2, 25)).set_index("CSNumber")
    assert next_day.loc["CS2012000008", ["Submissions", "Late", "Missing"]].tolist() == [1, "Yes", "No"]


def test_last_years_return_does_not_count_this_year():
    assert by_service().set_index("CSNumber").loc["CS2025000002", "Missing"] == "Yes"


def test_an_amendment_after_the_close_does_not_make_an_on_time_return_late():
    late_amendment = pd.concat(
        [
            returns(),
            pd.DataFrame(
                {
                    "CSNumber": ["CS2002000001"],
                    "Return_Year": [2026],
                    "Submitted_At": [pd.Timestamp("2026-02-19T10:00:00")],
                    "Late": ["Yes"],
                }
            ),
        ],
        ignore_index=True,
    )
    table = compliance_by_service(register(), late_amendment, WINDOW, A_WEEK_AFTER_CLOSE).set_index(
        "CSNumber"
    )
    assert table.loc["CS2002000001", ["First_Submitted", "Submissions", "Late"]].tolist() == [
        pd.Timestamp("2026-01-10"),
        3,
        "No",
    ]


def test_summary_counts():
    summary = compliance_summary(by_service())
    assert all(type(value) in (int, float) for value in summary.values())  # plain numbers, for logs and JSON
    assert summary == {
        "mandatory": 7,
        "optional": 2,
        "submitted_mandatory": 2,
        "submitted_optional": 1,
        "missing": 5,
        "late": 1,
        "share_missing": 0.7143,
    }


def test_by_provider_worst_first_with_an_all_row():
    table = compliance_by_group(by_service(), "ServiceProvider")
    assert list(table.columns) == ["SP_number", "ServiceProvider", *GROUP_COUNT_COLUMNS]
    assert plain(table) == [
        ["SP2004000002", "Birchwood Group", 4, 1, 3, 25.0],
        ["SP2003000001", "Ashgrove Care Ltd", 2, 1, 1, 50.0],
        ["SP2019000003", "Kirsty Brown", 1, 0, 1, 0.0],
        ["", "All", 7, 2, 5, 28.6],
    ]


def test_by_council_area_worst_first_with_an_all_row():
    table = compliance_by_group(by_service(), "Council_Area_Name")
    assert list(table.columns) == ["Council_Area_Name", *GROUP_COUNT_COLUMNS]
    assert plain(table) == [
        [FIFE, 3, 1, 2, 33.3],
        [GLASGOW, 2, 0, 2, 0.0],
        [PERTH, 2, 1, 1, 50.0],
        ["All", 7, 2, 5, 28.6],
    ]


@pytest.mark.parametrize("group", ["ServiceProvider", "Council_Area_Name"])
def test_group_totals_equal_the_summary(group):
    table, summary = compliance_by_group(by_service(), group), compliance_summary(by_service())
    groups, total = table.iloc[:-1], table.iloc[-1]
    assert total[group] == "All"
    assert [int(groups[c].sum()) for c in ("Mandatory", "Submitted", "Missing")] == [
        summary["mandatory"],
        summary["submitted_mandatory"],
        summary["missing"],
    ]
    assert [int(total[c]) for c in ("Mandatory", "Submitted", "Missing")] == [
        summary["mandatory"],
        summary["submitted_mandatory"],
        summary["missing"],
    ]


def test_an_unknown_group_is_refused():
    with pytest.raises(ValueError, match="group must be one of ServiceProvider, Council_Area_Name"):
        compliance_by_group(by_service(), "CareService")


def test_reminder_list_names_each_providers_outstanding_services_and_addresses():
    reminders = reminder_list(by_service(), register())
    assert list(reminders.columns) == [
        "SP_number",
        "ServiceProvider",
        "Contact_Emails",
        "Services_Outstanding",
        "Outstanding",
    ]
    assert plain(reminders) == [
        # Birch Lodge's named contact is blank: the forms address.
        ["SP2003000001", "Ashgrove Care Ltd", "birchlodge@example.org", 1, "CS2025000002 Birch Lodge"],
        # Elm Bank and Iona House share a named contact; Hazel House has only a forms address.
        [
            "SP2004000002",
            "Birchwood Group",
            "chris@birchwood.example; hazel@example.org",
            3,
            "CS2010000005 Elm Bank; CS2012000008 Hazel House; CS2013000009 Iona House",
        ],
        ["SP2019000003", "Kirsty Brown", "kirsty.brown@example.com", 1, "CS2019000011 Kirsty Brown"],
    ]


def test_a_provider_with_no_address_is_listed_with_a_blank_one():
    services = register()
    services.loc[services["CSNumber"] == "CS2019000011", "Eforms_email_address"] = None
    reminders = reminder_list(
        compliance_by_service(services, returns(), WINDOW, A_WEEK_AFTER_CLOSE), services
    )
    assert plain(reminders)[-1] == ["SP2019000003", "Kirsty Brown", "", 1, "CS2019000011 Kirsty Brown"]


def test_a_loaded_extract_with_categorical_columns_gives_the_same_tables():
    services = register()
    compacted = services.astype(
        {c: "category" for c in ("CareService", "ServiceProvider", "Council_Area_Name")}
    )
    loaded_returns = returns().astype({"Late": "category", "CSNumber": "category"})
    table = compliance_by_service(compacted, loaded_returns, WINDOW, A_WEEK_AFTER_CLOSE)
    assert plain(table) == plain(by_service())
    assert plain(compliance_by_group(table, "ServiceProvider")) == plain(
        compliance_by_group(by_service(), "ServiceProvider")
    )
    assert plain(reminder_list(table, compacted)) == plain(reminder_list(by_service(), services))


def test_no_returns_yet_means_every_mandatory_service_is_missing():
    empty = returns().iloc[0:0]
    summary = compliance_summary(compliance_by_service(register(), empty, WINDOW, dt.date(2026, 1, 6)))
    assert summary == {
        "mandatory": 7,
        "optional": 2,
        "submitted_mandatory": 0,
        "submitted_optional": 0,
        "missing": 7,
        "late": 0,
        "share_missing": 1.0,
    }
