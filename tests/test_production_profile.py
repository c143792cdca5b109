"""The production profile started for real: PostgreSQL from Debian's packages, a Prefect server on it, the
deployments registered by `carestats deploy`, a process worker, the lake in a moto S3 server over HTTP, and
the alerts posted to a webhook on loopback. Every process is stopped at the end, and the test checks it.

The runs are started together (a monthly bare run and two reruns of the same edition, a run that fails and
one a quality gate blocks) and waited for once; each test then looks at one part of what happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from carestats.settings import last_month_end
from tests.support.browser import screenshot
from tests.support.extracts import land_monthly_extracts, service, write_extract
from tests.support.postgres import postgres_database
from tests.support.prefect_server import PrefectServer, prefect_server, process_worker, wait_for_flow_run
from tests.support.processes import processes_left
from tests.support.webhook import Received, webhook_receiver

ROOT = Path(__file__).resolve().parents[1]
POOL = "carestats-process"
BUCKET = "carestats-lake"
LAKE = f"s3://{BUCKET}/prod"
EDITION = last_month_end()  # what the monthly deployment's bare run publishes today
BLOCKED = last_month_end(EDITION)  # the month before: its extract has a care home without places
WRONG = BLOCKED - dt.timedelta(days=1)  # not a month end: the run fails at once
RUN_TIMEOUT = 420


@dataclass
class Production:
    """The running system a test looks at."""

    server: PrefectServer
    alerts: Received
    deployed: dict
    env: dict[str, str]

    def api(self) -> httpx.Client:
        """A client of the server's REST API."""
        return httpx.Client(base_url=self.server.api_url, timeout=30)

    def start(self, deployment: str, **parameters: str) -> str:
        """A run of `flow/deployment` created with `parameters` (none: a bare run, as the schedule makes)."""
        with self.api() as api:
            found = api.get(f"/deployments/name/{deployment}")
            found.raise_for_status()
            created = api.post(
                f"/deployments/{found.json()['id']}/create_flow_run", json={"parameters": parameters}
            )
            created.raise_for_status()
            return created.json()["id"]


def land_extracts() -> None:
    """A good extract for the edition, and one a quality gate blocks for the month before."""
    import boto3

    boto3.client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    land_monthly_extracts(LAKE, [EDITION])
    homes = [service(f"CS20020000{n:02d}", ServiceName=f"Home {n}") for n in range(1, 21)]
    homes[4]["Registered_Places"] = ""  # a care home without places: a critical rule fails
    write_extract(LAKE, BLOCKED + dt.timedelta(days=3), services=homes)


@pytest.fixture(scope="module")
def production(tmp_path_factory, s3_endpoint) -> Iterator[Production]:
    """The whole system up, deployed, and afterwards down: no process it started is left running."""
    root = tmp_path_factory.mktemp("production")
    land_extracts()
    started: list[int] = []
    with contextlib.ExitStack() as stack:
        alerts = stack.enter_context(webhook_receiver())
        database = stack.enter_context(postgres_database(root / "postgres"))
        server = stack.enter_context(prefect_server(root / "prefect", database.prefect_url))
        env = {
            "CARESTATS_ENVIRONMENT": "production",
            "CARESTATS_LAKE": LAKE,
            "CARESTATS_ALERT_WEBHOOK_URL": alerts.url,
            "PREFECT_LOCAL_STORAGE_PATH": str(root / "results"),
        }
        deployed = deploy(server, env)
        worker = stack.enter_context(process_worker(server, POOL, env=env, cwd=ROOT))
        started += [database.pid, server.process.pid, worker.pid]
        yield Production(server, alerts, deployed, {**server.env(), **env})
    assert processes_left(started) == []


def deploy(server: PrefectServer, env: dict[str, str]) -> dict:
    """`carestats deploy --json` as an engineer runs it, against the server."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "carestats"), "deploy", "--json"],
        env={**server.env(), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def runs(production) -> dict[str, dict]:
    """The runs of the module, started together and waited for: each as the API returns it when done."""
    ids = {
        "monthly": production.start("publish-monthly-datastore/monthly"),
        "rerun-1": production.start("publish-monthly-datastore/rerun", as_at=EDITION.isoformat()),
        "rerun-2": production.start("publish-monthly-datastore/rerun", as_at=EDITION.isoformat()),
        "wrong": production.start("publish-monthly-datastore/rerun", as_at=WRONG.isoformat()),
        "blocked": production.start("publish-monthly-datastore/rerun", as_at=BLOCKED.isoformat()),
    }
    return {key: wait_for_flow_run(production.server.api_url, run, RUN_TIMEOUT) for key, run in ids.items()}


def test_deploy_registers_every_deployment_with_its_schedules_and_the_alerts(production):
    expected = {d["name"] for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]}
    with production.api() as api:
        deployments = {d["name"]: d for d in api.post("/deployments/filter", json={}).json()}
        automations = {a["name"] for a in api.post("/automations/filter", json={}).json()}
    assert set(deployments) == expected
    assert {d["work_pool_name"] for d in deployments.values()} == {POOL}
    assert [s["schedule"]["cron"] for s in deployments["monthly"]["schedules"]] == ["0 7 8 * *"]
    daily = {
        s["parameters"]["return_year"]: s["schedule"]
        for s in deployments["annual-returns-daily"]["schedules"]
    }
    assert daily[2026]["rrule"] == "DTSTART:20260106T063000\nRRULE:FREQ=DAILY;UNTIL=20260217T063000"
    assert daily[2026]["timezone"] == "Europe/London"
    assert automations == {"carestats: a run failed", "carestats: monthly edition not published in time"}
    assert production.deployed["alert_block"] == "carestats-alerts"


def test_a_bare_monthly_run_publishes_the_last_month_end_to_s3_named_for_its_edition(production, runs):
    monthly = runs["monthly"]
    assert monthly["state"]["type"] == "COMPLETED", monthly["state"]
    assert monthly["name"] == f"datastore-{EDITION}"
    # Resolved when the run started and written back: the UI, the alerts and "run again" show the edition.
    assert monthly["parameters"]["as_at"] == EDITION.isoformat()
    assert monthly["parameters"]["revise"] is False

    import boto3

    s3 = boto3.client("s3")
    prefix = f"prod/publish/datastore/{EDITION}/"
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=prefix + "manifest.json")["Body"].read())
    assert manifest["as_at"] == EDITION.isoformat()
    for name, facts in manifest["files"].items():
        body = s3.get_object(Bucket=BUCKET, Key=prefix + name)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == facts["sha256"], name
    latest = json.loads(s3.get_object(Bucket=BUCKET, Key="prod/publish/datastore/latest.json")["Body"].read())
    assert latest["edition"] == EDITION.isoformat()


def held_span(production: Production, flow_run: dict) -> tuple[str, str]:
    """When a run worked on its edition: from loading the register to publishing, by its task runs."""
    with production.api() as api:
        tasks = api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [flow_run["id"]]}}}).json()
    inside = [t for t in tasks if t["name"].startswith(("load-register-extract-", "publish-edition-"))]
    assert len(inside) == 2, [t["name"] for t in tasks]
    return min(t["start_time"] for t in inside), max(t["end_time"] for t in inside)


def test_three_runs_of_one_edition_never_interleave(production, runs):
    together = [runs["monthly"], runs["rerun-1"], runs["rerun-2"]]
    assert [r["state"]["type"] for r in together] == ["COMPLETED"] * 3
    assert {r["name"] for r in together} == {f"datastore-{EDITION}"}
    spans = sorted(held_span(production, r) for r in together)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end, spans  # each waited until the one before had published


def alert_for(production: Production, flow_run: dict, timeout: float = 90) -> dict:
    """The failure alert naming `flow_run`'s link."""
    link = f"{production.server.ui_url}/runs/flow-run/{flow_run['id']}"
    return production.alerts.wait_for(lambda body: link in body.get("text", ""), timeout)


def test_a_failed_run_alerts_with_its_flow_parameters_error_and_link(production, runs):
    failed = runs["wrong"]
    assert failed["state"]["type"] == "FAILED"
    alert = alert_for(production, failed)
    assert alert["subject"] == f"carestats: publish-monthly-datastore run datastore-{WRONG} failed"
    assert "deployment rerun" in alert["text"]
    assert f'"as_at": "{WRONG}"' in alert["text"]
    assert f"edition date {WRONG} is not a month end" in alert["text"]


def test_a_publication_a_quality_gate_blocks_alerts_with_the_reasons(production, runs):
    blocked = runs["blocked"]
    assert blocked["state"]["type"] == "FAILED"
    alert = alert_for(production, blocked)
    assert f"datastore-{BLOCKED} failed" in alert["subject"]
    assert "critical expectation(s) failed" in alert["text"]
    assert "registered_places_present" in alert["text"]


def test_a_monthly_edition_not_published_in_time_alerts(production, runs):
    # The deadline shortened to 15 s (it is 41 hours: the 8th at 07:00 to the 10th), then a monthly run
    # that cannot publish: no monthly run completes in time.
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    from carestats.settings import Settings
    from cli.deploy import DEADLINE_SUBJECT, alert_block_id, replace_alerts

    with temporary_settings(
        updates={PREFECT_API_URL: production.server.api_url, PREFECT_UI_URL: production.server.ui_url}
    ):
        replace_alerts(alert_block_id(Settings(alert_block="carestats-alerts")), dt.timedelta(seconds=15), 10)
    late = wait_for_flow_run(
        production.server.api_url,
        production.start("publish-monthly-datastore/monthly", as_at=WRONG.isoformat()),
        RUN_TIMEOUT,
    )
    assert late["state"]["type"] == "FAILED"
    alert = production.alerts.wait_for(
        lambda body: body.get("subject") == DEADLINE_SUBJECT.format(day=10), timeout=120
    )
    assert "not published by day 10" in alert["text"]


def test_the_ui_lists_the_runs_named_for_their_editions(production, runs, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{production.server.ui_url}/runs", wait_until="networkidle")
        page.get_by_text(f"datastore-{EDITION}").first.wait_for(timeout=60_000)
        page.get_by_text(f"datastore-{BLOCKED}").first.wait_for(timeout=30_000)
        shot = screenshot(page, "prefect-ui-runs.png")
        page.goto(f"{production.server.ui_url}/deployments", wait_until="networkidle")
        page.get_by_text("annual-returns-close-out").first.wait_for(timeout=60_000)
        screenshot(page, "prefect-ui-deployments.png")
    finally:
        page.close()
    assert shot.stat().st_size > 20_000
