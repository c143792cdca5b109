"""A real Prefect server and process worker, as the production profile runs them, for tests that need them.

`prefect_server` starts `prefect server start` in a session of its own (on PostgreSQL when given a database
URL, else on SQLite under its home), with the UI, analytics off, and every background service the production
profile relies on (scheduler, late runs, triggers and actions for automations, event persister, foreman, ...)
left on; it checks them through the server's own settings endpoint. `process_worker` starts a process worker
on a pool and waits until the server has heard from it. Both stop everything they started, the flow-run
processes a worker spawned included (those call setsid(), so they are found in /proc, not by process group).

The environment of every process started here is the test process's own without any PREFECT_* variable: the
suite's harness, the Makefile's PREFECT_HOME or a developer's profile must not leak into a server that stands
for production. Whatever a test wants on top goes in `env`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.postgres import free_port, log_tail
from tests.support.processes import stop_process_tree, tag_environment

HOST = "127.0.0.1"
START_TIMEOUT = 120.0  # the first start on a fresh database runs every migration
STOP_TIMEOUT = 30.0
WORKER_TIMEOUT = 60.0
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})

# The server's background services the production profile relies on, by their settings under server.services.
REQUIRED_SERVICES = (
    "scheduler",  # deployment schedules -> scheduled runs
    "late_runs",  # scheduled runs nobody picked up -> Late
    "triggers",  # automations: reactive and proactive triggers, and their actions
    "event_persister",  # events kept, for the UI and for triggers that look back
    "task_run_recorder",  # task runs from their events
    "foreman",  # workers and work pools that stop heartbeating -> offline / not ready
    "cancellation_cleanup",
    "pause_expirations",
    "repossessor",
)


@dataclasses.dataclass(frozen=True)
class PrefectServer:
    """A running Prefect server: where its API and UI are, its home and log, and how a client reaches it."""

    api_url: str
    ui_url: str
    home: Path
    log: Path
    port: int
    database_url: str
    process: subprocess.Popen

    def env(self) -> dict[str, str]:
        """The environment for a client process of this server (deploy, worker, the `prefect` CLI)."""
        env = _clean_environment()
        env.update(
            PREFECT_API_URL=self.api_url,
            PREFECT_UI_URL=self.ui_url,
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
        )
        return env


class WorkerProcess(subprocess.Popen):
    """A `prefect worker start` process, with the name it registered under and its log file."""

    name: str
    pool: str
    log: Path


def prefect_executable() -> str:
    """The `prefect` command of the Python running the tests (the project's virtual environment)."""
    beside = Path(sys.executable).parent / "prefect"
    found = str(beside) if beside.is_file() else shutil.which("prefect")
    if found is None:
        raise RuntimeError(f"no `prefect` command beside {sys.executable} or on PATH")
    return found


@contextlib.contextmanager
def prefect_server(
    home: Path, database_url: str | None = None, env: dict[str, str] | None = None
) -> Iterator[PrefectServer]:
    """`prefect server start` on a free port of 127.0.0.1, ready and with its services on; stopped afterwards.

    Its log is home/server.log. Without `database_url` the database is SQLite in home/prefect.db.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = free_port(HOST)
    base_url = f"http://{HOST}:{port}"
    api_url = f"{base_url}/api"
    database_url = database_url or f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    server_env = _clean_environment()
    server_env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=database_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_API_URL=api_url,  # for the server's own services that call its API
        PREFECT_UI_URL=base_url,  # links in notifications and automations' templates
        PREFECT_SERVER_UI_API_URL=api_url,  # where the UI in the browser sends its requests
        PREFECT_SERVER_LOGGING_LEVEL="INFO",  # services' start and every request: the log is for failures
    )
    server_env.update(env or {})
    tag = tag_environment(server_env)
    log = home / "server.log"
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [prefect_executable(), "server", "start", "--host", HOST, "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=home,  # no prefect.toml or .env of the checkout is read
            env=server_env,
            start_new_session=True,
        )
    try:
        server = PrefectServer(
            api_url=api_url,
            ui_url=base_url,
            home=home,
            log=log,
            port=port,
            database_url=database_url,
            process=process,
        )
        _wait_until_ready(server)
        disabled = disabled_services(server)
        if disabled:
            raise RuntimeError(
                f"the Prefect server runs without services the production profile needs: {disabled}"
            )
        yield server
    finally:
        stop_process_tree(process, timeout=STOP_TIMEOUT, tag=tag)


def disabled_services(server: PrefectServer) -> list[str]:
    """Those of REQUIRED_SERVICES the running server has switched off, read from its own settings."""
    response = httpx.get(f"{server.api_url}/admin/settings", timeout=10)
    response.raise_for_status()
    services = response.json()["server"]["services"]
    return [name for name in REQUIRED_SERVICES if not services.get(name, {}).get("enabled", False)]


@contextlib.contextmanager
def process_worker(
    server: PrefectServer,
    pool: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    limit: int | None = None,
) -> Iterator[WorkerProcess]:
    """`prefect worker start --type process` on `pool` (made if missing), once the server lists it among the
    pool's workers; stopped afterwards with every flow-run process it started. Its log is in server.home."""
    name = f"carestats-test-{uuid.uuid4().hex[:8]}"
    command = [prefect_executable(), "worker", "start", "--pool", pool, "--type", "process", "--name", name]
    if limit is not None:
        command += ["--limit", str(limit)]
    worker_env = server.env()
    worker_env.update(env or {})
    tag = tag_environment(worker_env)  # flow-run processes inherit it: found even once the worker is gone
    log = server.home / f"worker-{name}.log"
    with open(log, "ab") as log_file:
        worker = WorkerProcess(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=worker_env,
            start_new_session=True,
        )
    worker.name, worker.pool, worker.log = name, pool, log
    try:
        _wait_for_worker(server, worker)
        yield worker
    finally:
        stop_process_tree(worker, timeout=STOP_TIMEOUT, tag=tag)


def pool_workers(server: PrefectServer, pool: str) -> list[dict]:
    """The workers the server lists for `pool` ([] while the pool does not exist yet)."""
    response = httpx.post(f"{server.api_url}/work_pools/{pool}/workers/filter", json={}, timeout=10)
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return response.json()


def run_prefect(
    server: PrefectServer,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """The `prefect` CLI against this server (`run_prefect(server, "work-pool", "create", ...)`), checked."""
    command_env = server.env()
    command_env.update(env or {})
    done = subprocess.run(
        [prefect_executable(), *args],
        env=command_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"prefect {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done


def wait_for_flow_run(api_url: str, flow_run_id: str | uuid.UUID, timeout: float = 300) -> dict:
    """The flow run (the API's JSON) once it is in a final state; TimeoutError with its last state if not."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=api_url, timeout=10) as client:
        while True:
            response = client.get(f"/flow_runs/{flow_run_id}")
            response.raise_for_status()
            flow_run = response.json()
            state = flow_run.get("state") or {}
            if state.get("type") in FINAL_STATES:
                return flow_run
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"flow run {flow_run_id} not finished after {timeout:.0f} s: "
                    f"{state.get('type')} ({state.get('name')}) {state.get('message') or ''}"
                )
            time.sleep(0.5)


def _clean_environment() -> dict[str, str]:
    """This process's environment without any Prefect setting (PREFECT_*, PREFECT__*)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}


def _wait_until_ready(server: PrefectServer) -> None:
    """Return once /api/health and /api/ready answer 200; raise with the log's tail if it dies or stalls."""
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=server.api_url, timeout=5) as client:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"the Prefect server exited ({server.process.returncode}) while starting; "
                    f"{server.log}:\n{log_tail(server.log)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/health").status_code == 200 and client.get("/ready").status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Prefect server did not answer in {START_TIMEOUT:.0f} s; "
                    f"{server.log}:\n{log_tail(server.log)}"
                )
            time.sleep(0.25)


def _wait_for_worker(server: PrefectServer, worker: WorkerProcess) -> None:
    """Return once the server lists the worker in its pool; raise with its log if it dies or stalls."""
    deadline = time.monotonic() + WORKER_TIMEOUT
    while True:
        if worker.poll() is not None:
            raise RuntimeError(
                f"the Prefect worker exited ({worker.returncode}) while starting; "
                f"{worker.log}:\n{log_tail(worker.log)}"
            )
        if any(found["name"] == worker.name for found in pool_workers(server, worker.pool)):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the Prefect worker {worker.name} did not register with pool {worker.pool} in "
                f"{WORKER_TIMEOUT:.0f} s; {worker.log}:\n{log_tail(worker.log)}"
            )
        time.sleep(0.25)
