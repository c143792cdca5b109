"""The blocked-edition demo: the gate stops the corrupted edition; the corrupt copy never outlives the run."""

import datetime as dt

import pytest

from simulation.blocked_demo import corrupted_extract_place, run_blocked_demo
from tasks.register.extract import ExtractError
from tasks.shared.lake import open_lake
from tests.support.extracts import service, write_extract

pytestmark = pytest.mark.usefixtures("prefect_harness")

AS_AT = dt.date(2025, 9, 30)
CARE_HOMES = [service(f"CS20020000{n:02d}") for n in range(1, 13)]


def test_the_gate_blocks_the_corrupted_edition_and_the_copy_is_removed(tmp_path):
    lake = str(tmp_path / "lake")
    write_extract(lake, "2025-09-05", services=CARE_HOMES)
    outcome = run_blocked_demo(lake, AS_AT)
    assert outcome["blocked"] and outcome["message"].startswith(
        "Quality gate 'datastore' blocked Datastore edition"
    )
    assert open_lake(lake).list_keys(corrupted_extract_place(AS_AT).folder) == []
    assert not (tmp_path / "lake" / "publish").exists()


def test_the_corrupted_extract_is_removed_when_the_run_fails_for_another_reason(tmp_path):
    lake = str(tmp_path / "lake")
    write_extract(
        lake, "2025-09-05", services=[*CARE_HOMES, service("CS2002000099", Council_Area_Name="Atlantis")]
    )
    with pytest.raises(ExtractError, match="unknown council area"):
        run_blocked_demo(lake, AS_AT)
    store = open_lake(lake)
    assert store.list_keys(corrupted_extract_place(AS_AT).folder) == []
    assert store.list_keys("quarantine/register/2025-10-01")  # what the failed run read is kept, as always


def test_an_existing_extract_is_never_overwritten(tmp_path):
    lake = str(tmp_path / "lake")
    write_extract(lake, "2025-09-05", services=CARE_HOMES)
    write_extract(lake, "2025-10-01", services=CARE_HOMES)
    with pytest.raises(ValueError, match="already holds an extract"):
        run_blocked_demo(lake, AS_AT)
    assert open_lake(lake).list_keys(corrupted_extract_place(AS_AT).folder)
