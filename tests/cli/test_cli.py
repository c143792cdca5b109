"""The carestats command, in process, calling the same flows as the deployments."""

import json

import pytest

from tests.support.cli import run_carestats
from tests.support.extracts import service, write_extract


def test_help_explains_every_command(capsys):
    result = run_carestats(capsys, ["--help"])
    assert result.exit_code == 0
    for command in ("publish-datastore", "simulate"):
        assert command in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_publish_datastore_json_summary(capsys, tmp_path):
    lake = str(tmp_path / "lake")
    write_extract(
        lake,
        "2025-09-03",
        services=[service("CS2002000001"), service("CS2002000002", Date_Registered="2025-09-01")],
    )
    result = run_carestats(capsys, ["publish-datastore", "--as-at", "2025-08-31", "--lake", lake, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 1 and summary["edition"].endswith("publish/datastore/2025-08-31")
    edition = tmp_path / "lake" / "publish" / "datastore" / "2025-08-31"
    assert set(summary["files"]) == {p.name for p in edition.iterdir()}


@pytest.mark.usefixtures("prefect_harness")
def test_publish_datastore_reports_bad_input_in_one_line_with_exit_status_2(capsys, tmp_path):
    lake = str(tmp_path / "lake")
    write_extract(lake, "2025-09-03", services=[service("CS2002000001", Date_Registered="yesterday")])
    result = run_carestats(capsys, ["publish-datastore", "--as-at", "2025-08-31", "--lake", lake, "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert "services.csv line 2, field Date_Registered: not a date (yyyy-mm-dd) (value 'yesterday')" in error
    assert "quarantine/register/2025-09-03" in error
    assert result.stderr.splitlines()[-1] == f"carestats: {error}" and "Traceback" not in result.stderr


def test_bad_date_is_a_usage_error(capsys):
    result = run_carestats(capsys, ["publish-datastore", "--as-at", "31/08/2025"])
    assert result.exit_code == 2 and "is not a date" in result.output
