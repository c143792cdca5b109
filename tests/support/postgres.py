"""A throwaway PostgreSQL cluster from Debian's packages, for tests that run the production profile for real.

The binaries come from the distribution (/usr/lib/postgresql/<version>/bin, which `.ci/run` installs with the
`postgresql` package); they are not on PATH, so they are looked up there, newest version first. The cluster
listens on a free TCP port on 127.0.0.1 only, with no unix socket, and asks for a password (scram-sha-256):
Prefect connects as the owner of the database `prefect`, a login role that is not a superuser, as it would in
production. Durability is switched off (fsync, synchronous commit): nothing here outlives the test.

PostgreSQL refuses to run as root. When the tests run as root (containers, CI), initdb and the server run as
the `postgres` system user (the package creates it; it is created here when missing), and the cluster lives in
a folder of its own made with tempfile.mkdtemp() and given to that user: the test's own tmp_path cannot hold
it, since pytest makes /tmp/pytest-of-root and everything under it 0700 root, which `postgres` cannot enter.
The server's log still goes under `root`, through a file the test process opens for it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import stop_process_tree

DEBIAN_POSTGRESQL = Path("/usr/lib/postgresql")
SYSTEM_USER = "postgres"  # who runs the cluster when the tests run as root
SUPERUSER = "postgres"  # the cluster's bootstrap superuser, used only to create the role and database
DATABASE = "prefect"
ROLE = "carestats"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


@dataclasses.dataclass(frozen=True)
class PostgresDatabase:
    """Where a running throwaway cluster's `prefect` database is, and how to log in to it."""

    host: str
    port: int
    user: str
    password: str
    database: str
    data_dir: Path
    log: Path
    bin_dir: Path
    pid: int

    @property
    def prefect_url(self) -> str:
        """The connection URL a Prefect server takes (PREFECT_SERVER_DATABASE_CONNECTION_URL)."""
        return f"postgresql+asyncpg://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        """The same database as a libpq/asyncpg URL, for tests that look inside it."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"


def postgres_bin_dir() -> Path:
    """The bin folder of the newest PostgreSQL Debian has installed; fails the test when there is none."""
    found = [path.parent for path in DEBIAN_POSTGRESQL.glob("*/bin/postgres") if path.is_file()]
    if not found:
        pytest.fail(
            f"PostgreSQL is not installed (no {DEBIAN_POSTGRESQL}/*/bin/postgres): "
            "`.ci/run` installs Debian's `postgresql` package (apt-get install postgresql)",
            pytrace=False,
        )
    return max(found, key=lambda path: _version_key(path.parent.name))


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def postgres_database(root: Path) -> Iterator[PostgresDatabase]:
    """A fresh cluster with a database `prefect` and a password login, stopped and deleted after the block.

    The server's log is `root/postgres.log`. No PostgreSQL process outlives the block, even when it raises.
    """
    bin_dir = postgres_bin_dir()
    root.mkdir(parents=True, exist_ok=True)
    as_root = os.geteuid() == 0
    account = _system_user() if as_root else None
    # As root: 0700 in /tmp (1777), given to `postgres` below; see the module's docstring.
    base = Path(tempfile.mkdtemp(prefix="carestats-postgres-", dir=None if as_root else root))
    data_dir = base / "data"
    password = secrets.token_hex(16)
    port = free_port()
    log = root / "postgres.log"
    server = None
    try:
        if account is not None:
            os.chown(base, account.pw_uid, account.pw_gid)
        _initdb(bin_dir, base, data_dir, password, account)
        with open(log, "ab") as log_file:
            server = subprocess.Popen(
                [
                    str(bin_dir / "postgres"),
                    "-D",
                    str(data_dir),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"port={port}",
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=base,
                env=_environment(account, password),
                start_new_session=True,
                **_as_user(account),
            )
        _wait_until_ready(bin_dir, server, port, log)
        _create_database(bin_dir, port, password, log)
        yield PostgresDatabase(
            host="127.0.0.1",
            port=port,
            user=ROLE,
            password=password,
            database=DATABASE,
            data_dir=data_dir,
            log=log,
            bin_dir=bin_dir,
            pid=server.pid,
        )
    finally:
        try:
            if server is not None:
                _stop(server, data_dir)
        finally:
            shutil.rmtree(base, ignore_errors=True)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, for failure messages ('' when there is no such file)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _version_key(name: str) -> tuple[int, ...]:
    """'15' -> (15,), '9.6' -> (9, 6): numeric, so 15 sorts after 9.6; anything else sorts first."""
    return tuple(int(part) for part in name.split(".")) if re.fullmatch(r"\d+(\.\d+)*", name) else (-1,)


def _system_user() -> pwd.struct_passwd:
    """The `postgres` system account, created (system user with its own group, no login) when missing."""
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin"]
            + [SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


def _as_user(account: pwd.struct_passwd | None) -> dict:
    """Popen arguments that drop root to `account` (its own group, no supplementary groups); {} for none."""
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _environment(account: pwd.struct_passwd | None, password: str) -> dict[str, str]:
    """The environment of PostgreSQL's programs: C locale messages, the password for client tools."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(LC_ALL="C", LANG="C", PGPASSWORD=password)
    if account is not None:
        env.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name)
    return env


def _initdb(
    bin_dir: Path, base: Path, data_dir: Path, password: str, account: pwd.struct_passwd | None
) -> None:
    """A new cluster in data_dir: password (scram-sha-256) logins over TCP, no other way in."""
    password_file = base / "superuser-password"
    password_file.write_text(password + "\n", encoding="utf-8")
    os.chmod(password_file, 0o600)
    if account is not None:
        os.chown(password_file, account.pw_uid, account.pw_gid)
    try:
        done = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "--pgdata",
                str(data_dir),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(password_file),
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=base,
            env=_environment(account, password),
            capture_output=True,
            text=True,
            timeout=120,
            **_as_user(account),
        )
    finally:
        password_file.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _wait_until_ready(bin_dir: Path, server: subprocess.Popen, port: int, log: Path) -> None:
    """Return once the server takes connections on 127.0.0.1:port; raise with its log if it dies or stalls."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited ({server.returncode}) while starting:\n{log_tail(log)}")
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "--host", "127.0.0.1", "--port", str(port), "--timeout", "2"],
            capture_output=True,
        )
        if ready.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"PostgreSQL did not accept connections in {START_TIMEOUT:.0f} s:\n{log_tail(log)}"
            )
        time.sleep(0.1)


def _create_database(bin_dir: Path, port: int, password: str, log: Path) -> None:
    """The role Prefect logs in as (not a superuser) and the database `prefect` it owns."""
    script = (
        f"CREATE ROLE {ROLE} LOGIN PASSWORD '{password}';\n"
        f"CREATE DATABASE {DATABASE} OWNER {ROLE} ENCODING 'UTF8' TEMPLATE template0;\n"
    )
    done = subprocess.run(
        [
            str(bin_dir / "psql"),
            "--no-psqlrc",
            "--set=ON_ERROR_STOP=1",
            "--quiet",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--username={SUPERUSER}",
            "--dbname=postgres",
        ],
        input=script,
        env=_environment(None, password),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"creating the database failed:\n{done.stderr}\n{log_tail(log)}")


def _stop(server: subprocess.Popen, data_dir: Path) -> None:
    """Fast shutdown (SIGINT: disconnect the clients, write a checkpoint, exit), then the backends' end.

    The backends call setsid(), so they are not in the postmaster's process group: they are found in /proc,
    below the postmaster or, should it have died first, by their working directory (the data folder).
    """
    stop_process_tree(server, first=signal.SIGINT, timeout=STOP_TIMEOUT, group=False, cwd=data_dir)
