import datetime as dt

import pandas as pd

from tasks.register.point_in_time import registered_on


def services(*rows):
    frame = pd.DataFrame(rows, columns=["CSNumber", "Date_Registered", "Date_Cancelled"])
    for column in ("Date_Registered", "Date_Cancelled"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def test_month_boundaries():
    register = services(
        ("CS2025000001", "2025-08-31", None),  # registered on the last day: in
        ("CS2025000002", "2025-09-01", None),  # registered the next day: out
        ("CS2002000003", "2002-04-01", "2025-08-31"),  # cancelled on the last day: out
        ("CS2002000004", "2002-04-01", "2025-09-01"),  # cancelled the next day: in
        ("CS2010000005", "2010-01-01", "2025-08-15"),  # cancelled and re-registered under a new number
        ("CS2025000006", "2025-08-15", None),
        ("CS2002000007", "2002-04-01", "2024-01-01"),  # long gone
    )
    selected = registered_on(register, dt.date(2025, 8, 31))["CSNumber"].tolist()
    assert selected == ["CS2002000004", "CS2025000001", "CS2025000006"]
    assert registered_on(register, dt.date(2025, 8, 14))["CSNumber"].tolist() == [
        "CS2002000003",
        "CS2002000004",
        "CS2010000005",
    ]
