"""Who must submit an annual return, who has, and who to chase: pure functions over the register.

A return year describes every service as at 31 December of the year before (CollectionWindow.describes).
A service registered before 1 October of that year and not cancelled by 31 December must submit, inactive
ones included; one registered from 1 October to 31 December may; anyone else is not asked. A service
cancelled after 31 December still operated on the day described, so it must submit, and carries its
cancellation date so whoever chases it knows. Every function here takes frames and returns frames: the
flows read the register and the curated returns and write the results.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from carestats.collection import CollectionWindow

MANDATORY, OPTIONAL = "Mandatory", "Optional"
YES, NO = "Yes", "No"
ALL = "All"
SEPARATOR = "; "

REGISTER_COLUMNS = [
    "CSNumber",
    "ServiceName",
    "CareService",
    "ServiceStatus",
    "SP_number",
    "ServiceProvider",
    "Council_Area_Name",
]
CONTACT_COLUMNS = ["Contact_Email", "Eforms_email_address"]
ASKED_COLUMNS = [*REGISTER_COLUMNS, *CONTACT_COLUMNS, "Date_Registered", "Date_Cancelled", "Obligation"]
RETURN_COLUMNS = ["CSNumber", "Submitted_At", "Late"]
BY_SERVICE_COLUMNS = [
    *REGISTER_COLUMNS,
    "Obligation",
    "First_Submitted",
    "Submissions",
    "Late",
    "Missing",
    "Cancelled_Since",
]
GROUP_KEYS = {"ServiceProvider": ["SP_number", "ServiceProvider"], "Council_Area_Name": ["Council_Area_Name"]}
GROUP_COUNTS = ["Mandatory", "Submitted", "Missing", "Percent_Submitted"]
REMINDER_COLUMNS = ["SP_number", "ServiceProvider", "Contact_Emails", "Services_Outstanding", "Outstanding"]


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical (compacted) columns of a loaded extract as plain values, so keys compare and join."""
    return frame.astype(
        {
            name: dtype.categories.dtype
            for name, dtype in frame.dtypes.items()
            if isinstance(dtype, pd.CategoricalDtype)
        }
    )


def services_asked(services: pd.DataFrame, window: CollectionWindow) -> pd.DataFrame:
    """Every service the return year asks for a return, with whether it must (Obligation) or may submit.

    Asked: registered on or before the day described and not cancelled on or before it. Mandatory when
    registered before `window.optional_from`, whatever its status; Optional otherwise.
    """
    describes, optional_from = pd.Timestamp(window.describes), pd.Timestamp(window.optional_from)
    registered, cancelled = services["Date_Registered"], services["Date_Cancelled"]
    operating = (registered <= describes) & ~(cancelled.notna() & (cancelled <= describes))
    asked = _as_text(services.loc[operating, [c for c in ASKED_COLUMNS if c != "Obligation"]])
    asked["Obligation"] = (asked["Date_Registered"] < optional_from).map({True: MANDATORY, False: OPTIONAL})
    return asked.sort_values("CSNumber", kind="stable").reset_index(drop=True)


def _submissions_as_at(returns: pd.DataFrame, window: CollectionWindow, as_at: dt.date) -> pd.DataFrame:
    """Per CS number, the accepted returns of the window's year submitted by the end of `as_at`.

    Amendments are further rows: the service submitted on the day of its first one, and its Late flag is
    that first one's (an amendment made after the close does not make an on-time return late). Where
    the frame says which year a return is for (Return_Year, as the curated store does), other years'
    returns are left out.
    """
    counted = _as_text(returns[[c for c in [*RETURN_COLUMNS, "Return_Year"] if c in returns.columns]])
    if "Return_Year" in counted.columns:
        counted = counted.loc[counted["Return_Year"] == window.return_year]
    day = counted["Submitted_At"].dt.normalize()
    counted = counted.assign(Day=day).loc[day <= pd.Timestamp(as_at)]
    counted = counted.sort_values(["CSNumber", "Submitted_At"], kind="stable")
    first = counted.drop_duplicates("CSNumber").set_index("CSNumber")
    return pd.DataFrame(
        {
            "First_Submitted": first["Day"],
            "Submissions": counted.groupby("CSNumber").size(),
            "Late": first["Late"],
        }
    )


def compliance_by_service(
    services: pd.DataFrame, returns: pd.DataFrame, window: CollectionWindow, as_at: dt.date
) -> pd.DataFrame:
    """Each asked service's standing on `as_at`: whether and when it submitted, and whether it is missing.

    Only returns submitted on or before `as_at` (by calendar day) count, so a run can be repeated for
    any past day. Returns from services that were not asked are left out. Sorted by provider, then
    CS number, which is how the chasing is shared out.
    """
    asked = services_asked(services, window)
    submitted = _submissions_as_at(returns, window, as_at)
    by_service = asked[[*REGISTER_COLUMNS, "Obligation"]].copy()
    own = submitted.reindex(by_service["CSNumber"]).set_axis(by_service.index)
    by_service["First_Submitted"] = own["First_Submitted"]
    by_service["Submissions"] = own["Submissions"].fillna(0).astype("int64")
    by_service["Late"] = own["Late"]
    missing = (by_service["Obligation"] == MANDATORY) & by_service["First_Submitted"].isna()
    by_service["Missing"] = missing.map({True: YES, False: NO})
    by_service["Cancelled_Since"] = asked["Date_Cancelled"]
    return by_service.sort_values(
        ["ServiceProvider", "SP_number", "CSNumber"], kind="stable", na_position="last"
    ).reset_index(drop=True)[BY_SERVICE_COLUMNS]


def compliance_summary(by_service: pd.DataFrame) -> dict:
    """The headline counts of a compliance_by_service table, for the run log and the close-out report.

    share_missing is missing over mandatory (0.0 when no service must submit).
    """
    mandatory = by_service["Obligation"] == MANDATORY
    submitted = by_service["First_Submitted"].notna()
    must, missing = int(mandatory.sum()), int((by_service["Missing"] == YES).sum())
    return {
        "mandatory": must,
        "optional": int((~mandatory).sum()),
        "submitted_mandatory": int((mandatory & submitted).sum()),
        "submitted_optional": int((~mandatory & submitted).sum()),
        "missing": missing,
        "late": int((by_service["Late"] == YES).sum()),
        "share_missing": round(missing / must, 4) if must else 0.0,
    }


def _percent(submitted: pd.Series, mandatory: pd.Series) -> pd.Series:
    return (100 * submitted / mandatory).round(1)


def compliance_by_group(by_service: pd.DataFrame, group: str) -> pd.DataFrame:
    """Mandatory services, how many submitted and how many are missing, per provider or council area.

    `group` is 'ServiceProvider' (rows keyed by SP_number, with the provider's name) or
    'Council_Area_Name'. Only mandatory services count: optional ones can't be missing. Worst first
    (most missing), then by name; a last 'All' row holds the totals.
    """
    if group not in GROUP_KEYS:
        raise ValueError(f"group must be one of {', '.join(GROUP_KEYS)}, not {group!r}")
    keys = GROUP_KEYS[group]
    order = ["Missing", group, *(key for key in keys if key != group)]
    mandatory = by_service.loc[by_service["Obligation"] == MANDATORY]
    flags = mandatory.assign(
        Submitted=mandatory["First_Submitted"].notna(), Missing=mandatory["Missing"] == YES
    )
    table = (
        flags.groupby(keys, dropna=False, sort=False)
        .agg(Mandatory=("CSNumber", "size"), Submitted=("Submitted", "sum"), Missing=("Missing", "sum"))
        .reset_index()
        .sort_values(order, ascending=[False] + [True] * (len(order) - 1), kind="stable")
    )
    total = {key: pd.NA for key in keys} | {
        group: ALL,
        "Mandatory": int(table["Mandatory"].sum()),
        "Submitted": int(table["Submitted"].sum()),
        "Missing": int(table["Missing"].sum()),
    }
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table = table.astype({"Mandatory": "int64", "Submitted": "int64", "Missing": "int64"})
    table["Percent_Submitted"] = _percent(table["Submitted"], table["Mandatory"])
    return table[[*keys, *GROUP_COUNTS]]


def _contact_email(services: pd.DataFrame) -> pd.Series:
    """Each service's address for chasing: the named contact's where set, else the forms system's."""
    contacts = _as_text(services[["CSNumber", *CONTACT_COLUMNS]]).set_index("CSNumber")
    named, forms = (contacts[c].astype("string").str.strip().replace("", pd.NA) for c in CONTACT_COLUMNS)
    return named.fillna(forms)


def reminder_list(by_service: pd.DataFrame, services: pd.DataFrame) -> pd.DataFrame:
    """One row per provider with missing returns: who to e-mail and which services to name.

    Internal to the regulator and never published: childminders' addresses are personal e-mail
    addresses. Contact_Emails is blank when none of the provider's outstanding services has one.
    """
    outstanding = by_service.loc[
        by_service["Missing"] == YES, ["SP_number", "ServiceProvider", "CSNumber", "ServiceName"]
    ].sort_values(["SP_number", "CSNumber"], kind="stable")
    outstanding["Email"] = outstanding["CSNumber"].map(_contact_email(services))
    rows = [
        {
            "SP_number": sp_number,
            "ServiceProvider": provider["ServiceProvider"].iloc[0],
            "Contact_Emails": SEPARATOR.join(sorted(set(provider["Email"].dropna()))) or pd.NA,
            "Services_Outstanding": len(provider),
            "Outstanding": SEPARATOR.join(provider["CSNumber"] + " " + provider["ServiceName"]),
        }
        for sp_number, provider in outstanding.groupby("SP_number", sort=True)
    ]
    return pd.DataFrame(rows, columns=REMINDER_COLUMNS)
