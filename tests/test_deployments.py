"""prefect.yaml lists real flows, and every flow module has a deployment."""

import importlib
from pathlib import Path

import yaml
from prefect import Flow

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
