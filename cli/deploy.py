"""`carestats deploy`: register every deployment of prefect.yaml, its alerts and its secrets with the server
PREFECT_API_URL names, in one idempotent step that a redeploy repeats.

prefect.yaml lists the deployments; the schedules that follow the annual-return collection windows are
added from deployments/schedules.yaml and deployments/annual_return_windows.yaml, so an extended window
is a change of configuration and a redeploy. Then the process work pool is made if missing, Prefect's
own `prefect deploy` registers the resolved file, and the alert automations are replaced by name.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml

from carestats.collection import collection_windows
from carestats.errors import BadInputError
from carestats.schedules import ScheduleRules, publish_deadline_after_start, schedule_rules, window_schedules
from carestats.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
PREFECT_FILE = ROOT / "prefect.yaml"
MONTHLY = "monthly"  # the deployment the publication deadline watches
PROJECT_TAG = "carestats"  # on every deployment: what the failure alert listens to

FAILURE_EVENTS = {"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"}
FAILURE_ALERT = "carestats: a run failed"
DEADLINE_ALERT = "carestats: monthly edition not published in time"

FAILURE_SUBJECT = "carestats: {{ flow.name }} run {{ flow_run.name }} {{ flow_run.state.name|lower }}"
FAILURE_BODY = """\
The run {{ flow_run.name }} of {{ flow.name }}\
{% if deployment %} (deployment {{ deployment.name }}){% endif %} ended {{ flow_run.state.name }}.
Parameters: {{ flow_run.parameters|tojson }}
Error: {{ flow_run.state.message }}
Run: {{ flow_run|ui_url }}"""
DEADLINE_SUBJECT = "carestats: the monthly Datastore edition is not published by day {day}"
DEADLINE_BODY = """\
No run of the monthly deployment has completed within {within} of one starting, so this month's \
Datastore edition is not published by day {day} of the month (the scheduled run failed, or never ran). \
See the deployment's runs: {link}
Run it again from the UI (Quick run: the edition date defaults to the last month end)."""


@dataclass
class DeployReport:
    """What a deploy registered, for the command's summary and --json."""

    api_url: str
    work_pool: str
    deployments: list[dict] = field(default_factory=list)
    alert_block: str | None = None
    automations: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The report as plain data."""
        return self.__dict__.copy()


def resolved_prefect_file(
    project: dict, rules: ScheduleRules, windows: dict, today: dt.date | None = None
) -> dict:
    """prefect.yaml as it is registered: each deployment a window rule names gets one schedule per window.

    A rule naming no deployment of prefect.yaml is a mistake in the configuration, said before anything
    is registered.
    """
    resolved = copy.deepcopy(project)
    names = {deployment["name"] for deployment in resolved["deployments"]}
    unknown = sorted(set(rules.window_rules) - names)
    if unknown:
        raise BadInputError(f"deployments/schedules.yaml names deployments prefect.yaml has not: {unknown}")
    for deployment in resolved["deployments"]:
        rule = rules.window_rules.get(deployment["name"])
        if rule is not None:
            deployment["schedules"] = window_schedules(rule, windows, rules.timezone)
    return resolved


def deploy(settings: Settings | None = None, prefect_file: Path = PREFECT_FILE) -> DeployReport:
    """Register everything with the server PREFECT_API_URL names: the work pool, the deployments (through
    `prefect deploy`), the SSSC key and the alert block when their values are in the environment, and the
    alert automations."""
    from prefect.settings import PREFECT_API_URL

    settings = settings or get_settings()
    api_url = PREFECT_API_URL.value()
    if not api_url:
        raise BadInputError(
            "PREFECT_API_URL is not set: deploy registers with a running Prefect server "
            "(make server, then make deploy; production: the server's URL)"
        )
    project = yaml.safe_load(prefect_file.read_text(encoding="utf-8"))
    rules = schedule_rules()
    resolved = resolved_prefect_file(project, rules, collection_windows())
    default_pool = project["definitions"]["work_pools"]["carestats"]["name"]
    pool = settings.work_pool or default_pool
    report = DeployReport(api_url=api_url, work_pool=pool)

    if pool == default_pool:
        ensure_process_pool(pool)
    else:
        require_pool(pool)
        resolved = on_pool(resolved, pool)
    register_deployments(resolved, prefect_file.parent)
    report.deployments = [
        {"name": d["name"], "entrypoint": d["entrypoint"], "schedules": len(d.get("schedules") or [])}
        for d in resolved["deployments"]
    ]
    report.secrets = save_secrets(settings)
    block_id = alert_block_id(settings)
    if block_id is None:
        report.notes.append(
            f"no alerts: the notification block {settings.alert_block!r} does not exist "
            "(set CARESTATS_ALERT_WEBHOOK_URL and deploy again, or create it in the UI)"
        )
        return report
    report.alert_block = settings.alert_block
    monthly = next(d for d in resolved["deployments"] if d["name"] == MONTHLY)
    within = publish_deadline_after_start(monthly["schedules"][0]["cron"], rules.monthly_publish_by_day)
    report.automations = replace_alerts(block_id, within, rules.monthly_publish_by_day)
    return report


def on_pool(resolved: dict, pool: str) -> dict:
    """The resolved file with every deployment on `pool` (CARESTATS_WORK_POOL), its queue and job
    variables kept."""
    moved = copy.deepcopy(resolved)
    for deployment in moved["deployments"]:
        deployment["work_pool"] = {**deployment.get("work_pool", {}), "name": pool}
    return moved


def require_pool(name: str) -> None:
    """A pool other than the default is the platform's (a Kubernetes pool and its job template): deploy
    never makes it, and says how when it is missing."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            raise BadInputError(
                f"the work pool {name} (CARESTATS_WORK_POOL) does not exist: create it first "
                f"(prefect work-pool create {name} --type kubernetes; docs/kubernetes.md)"
            ) from None


def ensure_process_pool(name: str) -> None:
    """The process work pool the deployments run on, made with the process worker's own job template."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type="process",
                    description="carestats flows, run as processes on this checkout's machine",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )


def register_deployments(resolved: dict, project_root: Path) -> None:
    """`prefect deploy --all` on the resolved file, from the project's root (entrypoints are relative to
    it); the pull step's checkout defaults to this one."""
    env = {**os.environ, "CARESTATS_CHECKOUT": os.environ.get("CARESTATS_CHECKOUT") or str(project_root)}
    with tempfile.TemporaryDirectory(prefix="carestats-deploy-") as folder:
        path = Path(folder) / "prefect.yaml"
        path.write_text(yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all", "--prefect-file", str(path)],
            cwd=project_root,
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"prefect deploy failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def save_secrets(settings: Settings) -> list[str]:
    """Copy the secrets set in this environment into the server's Secret blocks, so workers need none:
    the SSSC pseudonym key (CARESTATS_SSSC_PSEUDONYM_KEY into the block sssc_key_block names)."""
    from prefect.blocks.system import Secret

    saved = []
    if settings.sssc_pseudonym_key is not None:
        Secret(value=settings.sssc_pseudonym_key).save(settings.sssc_key_block, overwrite=True)
        saved.append(settings.sssc_key_block)
    return saved


def alert_block_id(settings: Settings) -> UUID | None:
    """The alert block's id: written from CARESTATS_ALERT_WEBHOOK_URL when that is set, else the existing
    block's (made by an administrator), else None."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    if settings.alert_webhook_url is not None:
        block = CustomWebhookNotificationBlock(
            name=settings.alert_block,
            url=settings.alert_webhook_url.get_secret_value(),
            json_data={"subject": "{{subject}}", "text": "{{body}}"},
        )
        return block.save(settings.alert_block, overwrite=True)
    try:
        return CustomWebhookNotificationBlock.load(settings.alert_block)._block_document_id
    except ValueError:
        return None


def replace_alerts(block_id: UUID, publish_within: dt.timedelta, publish_by_day: int) -> list[str]:
    """The alert automations, each replaced by name so a redeploy leaves exactly one of each: any failed,
    crashed or timed-out run of a carestats deployment (a quality gate's block among them, its reasons in
    the error), and a monthly edition not published by the deadline day."""
    from prefect.automations import Automation
    from prefect.client.orchestration import get_client
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.settings import PREFECT_UI_URL

    with get_client(sync_client=True) as client:
        monthly = client.read_deployment_by_name(f"publish-monthly-datastore/{MONTHLY}")
        for name in (FAILURE_ALERT, DEADLINE_ALERT):
            for existing in client.read_automations_by_name(name):
                client.delete_automation(existing.id)

    failure = Automation(
        name=FAILURE_ALERT,
        description="A failed, crashed or timed-out run of any carestats deployment, a quality gate's block "
        "among them, sent to the alert block with its parameters, error and link.",
        trigger=EventTrigger(
            posture=Posture.Reactive,
            expect=FAILURE_EVENTS,
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={
                "prefect.resource.role": "tag",
                "prefect.resource.id": f"prefect.tag.{PROJECT_TAG}",
            },
            threshold=1,
            within=dt.timedelta(0),
        ),
        actions=[SendNotification(block_document_id=block_id, subject=FAILURE_SUBJECT, body=FAILURE_BODY)],
    )
    link = f"{PREFECT_UI_URL.value() or ''}/deployments/deployment/{monthly.id}"
    deadline = Automation(
        name=DEADLINE_ALERT,
        description=f"The monthly run started (or went late) and no monthly run completed by day "
        f"{publish_by_day} of the month.",
        trigger=EventTrigger(
            posture=Posture.Proactive,
            after={"prefect.flow-run.Pending", "prefect.flow-run.Late"},
            expect={"prefect.flow-run.Completed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={
                "prefect.resource.role": "deployment",
                "prefect.resource.id": f"prefect.deployment.{monthly.id}",
            },
            threshold=1,
            within=publish_within,
        ),
        actions=[
            SendNotification(
                block_document_id=block_id,
                subject=DEADLINE_SUBJECT.format(day=publish_by_day),
                body=DEADLINE_BODY.format(within=publish_within, day=publish_by_day, link=link),
            )
        ],
    )
    return [str(automation.create().name) for automation in (failure, deadline)]


def deployments_summary(report: dict[str, Any]) -> str:
    """The deploy's summary for a person: where, what, which alerts."""
    lines = [f"Registered with {report['api_url']} on work pool {report['work_pool']}:"]
    lines += [f"  {d['name']}: {d['entrypoint']} ({d['schedules']} schedules)" for d in report["deployments"]]
    lines += [f"  alert: {name} (block {report['alert_block']})" for name in report["automations"]]
    lines += [f"  secret block: {name}" for name in report["secrets"]]
    lines += [f"  note: {note}" for note in report["notes"]]
    return "\n".join(lines)
