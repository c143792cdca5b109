"""prefect.yaml lists real flows, every flow module has a deployment, and the schedules that follow the
collection windows come from configuration."""

import datetime as dt
import importlib
from pathlib import Path

import pytest
import yaml
from dateutil.rrule import rrulestr
from prefect import Flow

from carestats.collection import collection_windows
from carestats.errors import BadInputError
from carestats.schedules import ScheduleRules, publish_deadline_after_start, schedule_rules
from cli.deploy import on_pool, resolved_prefect_file

ROOT = Path(__file__).resolve().parents[1]


def deployments():
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def test_every_deployment_entrypoint_is_a_prefect_flow():
    for deployment in deployments():
        module_path, _, name = deployment["entrypoint"].partition(":")
        module = importlib.import_module(module_path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, name), Flow), deployment["name"]


def test_every_flow_module_is_deployed():
    deployed = {d["entrypoint"].partition(":")[0] for d in deployments()}
    modules = {f"flows/{p.name}" for p in (ROOT / "flows").glob("*.py") if p.name != "__init__.py"}
    assert modules == deployed


def test_monthly_schedule_runs_after_the_extract_lands():
    monthly = next(d for d in deployments() if d["name"] == "monthly")
    assert monthly["schedules"] == [{"cron": "0 7 8 * *", "timezone": "Europe/London"}]


def test_every_deployment_reads_well_in_the_ui_and_runs_on_the_process_pool():
    for deployment in deployments():
        assert len(deployment["description"]) > 60, deployment["name"]
        assert "carestats" in deployment["tags"], deployment["name"]  # what the failure alert listens to
        assert deployment["work_pool"]["name"] == "carestats-process", deployment["name"]


def expand(schedule: dict) -> list[dt.datetime]:
    """Every start a schedule makes, in its time zone."""
    return list(rrulestr(schedule["rrule"]))


def test_returns_run_every_morning_of_each_window_then_close_out_then_what_is_built_on_them():
    resolved = resolved_prefect_file(
        yaml.safe_load((ROOT / "prefect.yaml").read_text()), schedule_rules(), collection_windows()
    )
    by_name = {d["name"]: d for d in resolved["deployments"]}
    daily = next(
        s for s in by_name["annual-returns-daily"]["schedules"] if s["parameters"]["return_year"] == 2026
    )
    days = expand(daily)
    assert (days[0], days[-1], len(days)) == (
        dt.datetime(2026, 1, 6, 6, 30),
        dt.datetime(2026, 2, 17, 6, 30),
        43,
    )
    assert daily["timezone"] == "Europe/London"
    close_out = [
        s for s in by_name["annual-returns-close-out"]["schedules"] if s["parameters"]["return_year"] == 2026
    ]
    assert [expand(s) for s in close_out] == [[dt.datetime(2026, 2, 18, 6, 30)]]
    after_close = {
        name: [expand(s) for s in by_name[name]["schedules"] if s["parameters"]["return_year"] == 2026]
        for name in ("sssc-share", "inspection-benchmarks", "return-statistics")
    }
    assert after_close == {
        "sssc-share": [[dt.datetime(2026, 2, 19, 8, 0)]],
        "inspection-benchmarks": [[dt.datetime(2026, 2, 19, 8, 30)]],
        "return-statistics": [[dt.datetime(2026, 2, 19, 9, 0)]],
    }
    assert by_name["monthly"]["schedules"] == [{"cron": "0 7 8 * *", "timezone": "Europe/London"}]
    assert by_name["rerun"]["schedules"] == by_name["backfill"]["schedules"] == []


def test_an_extended_window_moves_its_runs_at_the_next_deploy_without_a_change_of_code(tmp_path, monkeypatch):
    windows = yaml.safe_load((ROOT / "deployments" / "annual_return_windows.yaml").read_text())
    windows["windows"][2026]["closes"] = dt.date(2026, 3, 3)
    windows["windows"][2027] = {"opens": dt.date(2027, 1, 5), "closes": dt.date(2027, 2, 16)}
    (tmp_path / "windows.yaml").write_text(yaml.safe_dump(windows))
    monkeypatch.setenv("CARESTATS_RETURN_WINDOWS", str(tmp_path / "windows.yaml"))

    resolved = resolved_prefect_file(
        yaml.safe_load((ROOT / "prefect.yaml").read_text()), schedule_rules(), collection_windows()
    )
    by_name = {d["name"]: d for d in resolved["deployments"]}
    by_year = {
        s["parameters"]["return_year"]: expand(s) for s in by_name["annual-returns-daily"]["schedules"]
    }
    assert by_year[2026][-1] == dt.datetime(2026, 3, 3, 6, 30)
    assert (by_year[2027][0], len(by_year[2027])) == (dt.datetime(2027, 1, 5, 6, 30), 43)
    close_out = {
        s["parameters"]["return_year"]: expand(s) for s in by_name["annual-returns-close-out"]["schedules"]
    }
    assert close_out[2026] == [dt.datetime(2026, 3, 4, 6, 30)]


def test_a_window_rule_for_a_deployment_prefect_yaml_lacks_is_refused_before_anything_registers():
    rules = schedule_rules()
    wrong = ScheduleRules(
        rules.timezone,
        {**rules.window_rules, "annual-returns-nightly": {"days_after_close": 1, "at": "06:30"}},
        10,
    )
    with pytest.raises(BadInputError, match="annual-returns-nightly"):
        resolved_prefect_file(
            yaml.safe_load((ROOT / "prefect.yaml").read_text()), wrong, collection_windows()
        )


def test_the_monthly_edition_is_late_from_the_start_of_the_tenth():
    # The run starts at 07:00 on the 8th: the edition is due by 00:00 on the 10th, 41 hours later.
    assert publish_deadline_after_start("0 7 8 * *", 10) == dt.timedelta(hours=41)
    with pytest.raises(ValueError, match="must come after"):
        publish_deadline_after_start("0 7 8 * *", 8)


def test_carestats_work_pool_moves_every_deployment_to_another_pool_keeping_its_queue():
    resolved = resolved_prefect_file(
        yaml.safe_load((ROOT / "prefect.yaml").read_text()), schedule_rules(), collection_windows()
    )
    moved = on_pool(resolved, "carestats-k8s")
    assert {d["work_pool"]["name"] for d in moved["deployments"]} == {"carestats-k8s"}
    assert {d["work_pool"]["work_queue_name"] for d in moved["deployments"]} == {"default"}
    assert {d["work_pool"]["name"] for d in resolved["deployments"]} == {"carestats-process"}  # a copy
