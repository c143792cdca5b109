"""Quarantine keeps every byte of a bad input beside what was wrong with it; the original stays in place."""

import json

from tasks.shared.lake import open_lake
from tasks.shared.quarantine import Problem, quarantine


def test_files_are_copied_byte_for_byte_with_every_problem(tmp_path):
    lake = open_lake(str(tmp_path))
    raw = b"\xef\xbb\xbfCSNumber,Date\r\nCS1,yesterday\r\n"
    lake.write_bytes("landing/things/2026-01-06/a.csv", raw)
    problems = [
        Problem("a.csv", 2, "Date", "yesterday", "not a date"),
        Problem("b.csv", None, None, None, "missing"),
    ]

    where = quarantine(
        lake,
        "quarantine/things/2026-01-06",
        {"a.csv": "landing/things/2026-01-06/a.csv", "b.csv": "landing/things/2026-01-06/b.csv"},
        problems,
        {"batch": "2026-01-06"},
    )

    assert where == str(tmp_path / "quarantine" / "things" / "2026-01-06")
    assert (
        lake.read_bytes("quarantine/things/2026-01-06/a.csv")
        == raw
        == lake.read_bytes("landing/things/2026-01-06/a.csv")
    )
    report = json.loads(lake.read_bytes("quarantine/things/2026-01-06/problems.json"))
    assert report["batch"] == "2026-01-06"
    assert report["problems"][0] == {
        "file": "a.csv",
        "line": 2,
        "field": "Date",
        "value": "yesterday",
        "message": "not a date",
    }
    assert str(problems[0]) == "a.csv line 2, field Date: not a date (value 'yesterday')"
    assert lake.list_keys("quarantine/things/2026-01-06") == [
        "quarantine/things/2026-01-06/a.csv",
        "quarantine/things/2026-01-06/problems.json",
    ]
