"""The carestats command, in process, calling the same flows as the deployments."""

import json

import pytest

from tests.support.cli import run_carestats
from tests.support.extracts import service, write_extract


@pytest.mark.parametrize(
    ("command", "value", "says"),
    [
        (
            "publish-datastore",
            "2025-08-30",
            "--as-at 2025-08-30 is not a month end (did you mean 2025-08-31?)",
        ),
        ("publish-datastore", "2099-01-31", "--as-at 2099-01-31 is after today"),
        ("simulate", "2025-02-27", "--until 2025-02-27 is not a month end (did you mean 2025-02-28?)"),
        ("simulate", "2099-01-31", "--until 2099-01-31 is after today"),
    ],
)
def test_a_date_that_is_not_a_past_month_end_is_refused_at_once_and_nothing_is_written(
    tmp_path, command, value, says
):
    import subprocess
    import sys

    option = "--as-at" if command == "publish-datastore" else "--until"
    probe = (
        "import sys; from cli.main import main; code = main(sys.argv[1:]); "
        "print(code, sorted(m for m in ('prefect', 'great_expectations') if m in sys.modules))"
    )
    lake = tmp_path / "lake"
    run = subprocess.run(
        [sys.executable, "-c", probe, command, option, value, "--lake", str(lake)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "2 []"  # exit 2, before Prefect (and its server) or GX is even imported
    assert run.stderr.strip().splitlines() == [run.stderr.strip()] and says in run.stderr
    assert not lake.exists()


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


def test_help_version_and_a_bare_command_answer_without_error(capsys):
    assert run_carestats(capsys, ["--version"]).stdout.strip() == "carestats, version 0.1.0"
    short = run_carestats(capsys, ["publish-datastore", "-h"])
    assert short.exit_code == 0 and "--as-at YYYY-MM-DD" in short.stdout
    assert "<bool>" not in short.stdout and "--workbook / --no-workbook" in short.stdout
    bare = run_carestats(capsys, [])
    assert bare.exit_code == 0 and "Exit codes: 0 done; 1 blocked by a quality gate" in " ".join(
        bare.stdout.split()
    )


def test_every_failure_under_json_is_one_json_object_with_its_exit_code(capsys):
    for arguments, code in ((["publish-datastore", "--as-at", "tomorrow"], 2), (["no-such-command"], 2)):
        result = run_carestats(capsys, [*arguments, "--json"])
        reply = json.loads(result.stdout)  # one object, nothing else on stdout
        assert (result.exit_code, reply["exit_code"]) == (code, code)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("carestats: ")


@pytest.mark.usefixtures("prefect_harness")
def test_no_extract_for_the_date_is_bad_input_in_one_line(capsys, tmp_path):
    result = run_carestats(
        capsys, ["publish-datastore", "--as-at", "2025-08-31", "--lake", tmp_path / "empty"]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("carestats: no register extract taken after 2025-08-31")


@pytest.mark.usefixtures("prefect_harness")
def test_a_blocked_edition_exits_1_naming_the_failure_and_its_report(capsys, tmp_path):
    lake = tmp_path / "lake"
    write_extract(lake, "2025-09-03", services=[service("CS2002000001", Registered_Places="")])
    result = run_carestats(capsys, ["publish-datastore", "--as-at", "2025-08-31", "--lake", lake, "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)
    report = lake / "quality" / "datastore" / "2025-08-31" / "quality_2025-08-31.html"
    assert error["error"] == (
        "Quality gate 'datastore' blocked Datastore edition 2025-08-31: 1 critical expectation(s) failed; "
        f"report at {report}"
    )
    assert report.exists() and not (lake / "publish").exists()
    assert error["details"] == [
        "  rule: registered_places_present [Registered_Places]: 1 row(s) fail; lines 2"
    ]


@pytest.mark.usefixtures("prefect_harness")
def test_an_unexpected_failure_exits_3_with_its_traceback(capsys):
    result = run_carestats(
        capsys, ["publish-datastore", "--as-at", "2025-08-31", "--lake", "s3://not a bucket!/x"]
    )
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr and "carestats: " in result.stderr


def test_workbook_into_a_missing_folder_creates_it(capsys, tmp_path, reference_extract):
    out = tmp_path / "new" / "folder" / "book.xlsx"
    head = b"".join(reference_extract.read_bytes().splitlines(keepends=True)[:4])
    (tmp_path / "datastore_2025-08-31.csv").write_bytes(head)
    result = run_carestats(capsys, ["workbook", tmp_path / "datastore_2025-08-31.csv", "-o", out])
    assert result.exit_code == 0 and out.read_bytes()[:2] == b"PK"


def test_an_excel_file_where_a_csv_belongs_is_named_as_such(capsys, tmp_path):
    book = tmp_path / "datastore_2025-08-31.xlsx"
    book.write_bytes(b"PK\x03\x04" + bytes(200))
    result = run_carestats(capsys, ["validate-datastore", book, "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == (
        f"cannot read {book.name}: it is an Excel workbook (.xlsx) or another zip file, not a CSV: "
        "save it as CSV first"
    )


def test_help_workbook_and_simulate_import_neither_prefect_nor_great_expectations():
    import subprocess
    import sys

    probe = (
        "import sys, cli.main, tasks.datastore.datastore_file, tasks.datastore.workbook, simulation.command, "
        "simulation.landing; print(sorted(m for m in ('prefect', 'great_expectations') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert loaded.strip() == "[]"
