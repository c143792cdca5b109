import hashlib
import io
import json
import os
import subprocess
import sys

import openpyxl

from tasks.shared.published_text import csv_bytes
from tests.support.cli import run_carestats
from tests.support.editions import synthetic_edition


def run_workbook(capsys, *args):
    result = run_carestats(capsys, ["workbook", *map(str, args), "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_workbook_command_builds_from_a_published_csv_and_says_what_it_built(capsys, tmp_path):
    source = tmp_path / "datastore_2025-08-31.csv"
    source.write_bytes(csv_bytes(synthetic_edition(60, seed=3)))
    code, summary = run_workbook(capsys, source, "-o", tmp_path / "out.xlsx")
    assert code == 0
    data = (tmp_path / "out.xlsx").read_bytes()
    assert summary["sha256"] == hashlib.sha256(data).hexdigest()
    assert (summary["as_at"], summary["rows"], summary["pivots_skipped"]) == ("2025-08-31", 60, {})
    assert len(summary["pivots_built"]) == 4 and summary["sheets"][:2] == ["Cover", "Data"]
    assert openpyxl.load_workbook(io.BytesIO(data))["Data"].max_row == 63  # title, note, header, 60 rows


def test_workbook_command_reads_the_real_extract(capsys, reference_extract, tmp_path):
    # The real file's first 500 lines, bytes as they are (Windows-1252, its header, its name): the whole
    # extract's workbook is built and opened in LibreOffice by the pivot tests.
    head = tmp_path / reference_extract.name
    head.write_bytes(b"".join(reference_extract.read_bytes().splitlines(keepends=True)[:500]))
    code, summary = run_workbook(capsys, head, "-o", tmp_path / "real.xlsx")
    assert code == 0
    assert (summary["as_at"], summary["rows"]) == ("2025-08-31", 499)
    assert summary["pivots_skipped"] == {
        "PlacesByCareServiceAndHealthBoard": "the file has no Health_Board_Name column"
    }


def test_workbook_command_fails_clearly_on_a_missing_file(capsys, tmp_path):
    code, summary = run_workbook(capsys, tmp_path / "nothing.csv", "-o", tmp_path / "x.xlsx")
    assert code == 2 and summary["error"] == f"{tmp_path / 'nothing.csv'}: no such file"
    assert not (tmp_path / "x.xlsx").exists()


def test_separate_processes_write_identical_bytes(tmp_path):
    """Whatever the process's hash seed, the same CSV gives the same workbook."""
    source = tmp_path / "edition.csv"
    source.write_bytes(csv_bytes(synthetic_edition(40, seed=8)))
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out_{seed}.xlsx"
        subprocess.run(
            [sys.executable, "-m", "cli", "workbook", str(source), "-o", str(out), "--as-at", "2025-08-31"],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
