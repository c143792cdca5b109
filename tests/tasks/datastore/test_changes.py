import datetime as dt

import pandas as pd

from tasks.datastore.changes import change_counts, changes_between


def test_changes_between_editions_say_what_changed_with_before_and_after():
    before = pd.DataFrame(
        {
            "CSNumber": ["CS1", "CS2", "CS3"],
            "ServiceName": ["Oak", "Elm", "Ash"],
            "KQ_Setting": ["4", "5", ""],
            "MinGrade": ["4", "5", ""],
            "Service_town": ["Ayr", "Troon", "Largs"],
            "Complaints_upheld_2223": ["1", "", ""],
        }
    )
    after = pd.DataFrame(
        {
            "CSNumber": ["CS1", "CS2", "CS4"],
            "ServiceName": ["Oak", "Elm House", "Birch"],
            "KQ_Setting": ["5", "5", ""],
            "MinGrade": ["5", "5", ""],
            "Service_town": ["Ayr", "Troon", "Irvine"],
            "Complaints_upheld_2526": ["", "", "1"],
        }
    )
    changes = changes_between(before, after, dt.date(2025, 7, 31))
    assert changes.values.tolist() == [
        ["Registered", "CS4", "Birch", "", "", "", "2025-07-31"],
        ["Cancelled", "CS3", "Ash", "", "", "", "2025-07-31"],
        ["Grades changed", "CS1", "Oak", "KQ_Setting", "4", "5", "2025-07-31"],
        ["Grades changed", "CS1", "Oak", "MinGrade", "4", "5", "2025-07-31"],
        ["Details changed", "CS2", "Elm House", "ServiceName", "Elm", "Elm House", "2025-07-31"],
    ]
    assert change_counts(changes) == {
        "Registered": 1,
        "Cancelled": 1,
        "Grades changed": 1,
        "Details changed": 1,
    }
    assert changes_between(None, after).empty
