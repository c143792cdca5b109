"""Finding and stopping every process a test started, children and grandchildren included (Linux, via /proc).

Signalling a process group is not enough: PostgreSQL's backends and the flow-run processes a Prefect worker
starts each call setsid(), so they leave the group of the process that started them. The tree is read from
/proc instead, before anything is signalled, and each process is remembered with its start time, so a PID the
kernel has since handed to an unrelated process is never signalled. A process whose parent died earlier is no
longer below anything of ours; it is still found by a tag in its environment (TAG, which descendants inherit)
or by its working directory (PostgreSQL's processes overwrite their environment with their titles, but all
work in the cluster's data folder).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
TAG = "CARESTATS_TEST_PROCESS_TAG"  # in the environment of a process tree this module is to stop

# (pid, start time in clock ticks since boot): one process, even after its PID is reused.
Process = tuple[int, int]


def descendants(pid: int) -> list[int]:
    """The PIDs of every living process below `pid` (children, their children, ...), nearest first."""
    return [child for child, _ in _descendants(pid)]


def tag_environment(env: dict[str, str]) -> str:
    """Put a new tag in `env` (for a process about to start) and return it, for `tagged` and stopping."""
    tag = uuid.uuid4().hex
    env[TAG] = tag
    return tag


def working_in(folder: Path) -> list[int]:
    """The PIDs of every living process whose working directory is `folder`."""
    return [pid for pid, _ in _working_in(folder)]


def tagged(tag: str) -> list[int]:
    """The PIDs of every living process started with `tag` in its environment (by tag_environment)."""
    return [pid for pid, _ in _tagged(tag)]


def processes_left(pids: Iterable[int]) -> list[int]:
    """Those of `pids` that still run (zombies, exited and only waiting to be reaped, do not count)."""
    return [pid for pid in pids if _stat(pid) is not None]


def stop_process_tree(
    process: subprocess.Popen,
    first: signal.Signals = signal.SIGTERM,
    timeout: float = 30.0,
    group: bool = True,
    tag: str | None = None,
    cwd: Path | None = None,
) -> None:
    """Stop `process` and everything below it; return only once none of them runs any more.

    `first` goes to the process's group (`group`, for a process started in a session of its own) or to the
    process alone; whatever outlives it by `timeout` seconds is sent SIGTERM, and what still runs 10 s
    later, SIGKILL. Every process started with `tag` in its environment, or working in the folder `cwd`,
    counts as below it.
    """

    def strays() -> list[Process]:
        return (_tagged(tag) if tag else []) + (_working_in(cwd) if cwd else [])

    tree = _extend(_descendants(process.pid), strays())
    leader = _identity(process.pid)
    if process.poll() is None:
        if group:
            _signal_group(process.pid, first)
        else:
            _signal(leader, first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    for signum, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        more = strays() + ([leader] if process.poll() is None else [])
        tree = _still_running(_extend(tree, more))
        if process.poll() is None and group:
            _signal_group(process.pid, signum)
        for member in tree:
            _signal(member, signum)
        if process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(grace)
        _wait_gone(tree, grace)
    if process.poll() is None:
        process.kill()
    process.wait()
    left = _still_running(tree)
    if left:
        raise RuntimeError(f"processes outlived SIGKILL: {[pid for pid, _ in left]}")


def _extend(tree: list[Process], more: list[Process | None]) -> list[Process]:
    """`tree` and `more` with everything started below them since, without repeats (one pass over /proc)."""
    children = _children()
    seen = dict.fromkeys(tree)
    for member in [*tree, *more]:
        if member is not None:
            seen[member] = None
            seen.update(dict.fromkeys(_below(member[0], children)))
    return list(seen)


def _still_running(tree: list[Process]) -> list[Process]:
    """The members of `tree` that run still (same PID and start time, not a zombie)."""
    return [member for member in tree if _identity(member[0]) == member]


def _wait_gone(tree: list[Process], timeout: float) -> None:
    """Wait up to `timeout` seconds for every member of `tree` to exit."""
    deadline = time.monotonic() + timeout
    while _still_running(tree) and time.monotonic() < deadline:
        time.sleep(0.05)


def _signal(member: Process | None, signum: signal.Signals) -> None:
    """Send `signum` to one process, if it is still the one remembered."""
    if member is not None and _identity(member[0]) == member:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(member[0], signum)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    """Send `signum` to a process group, if any of it is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _descendants(pid: int) -> list[Process]:
    """Every living process below `pid`, nearest first."""
    return _below(pid, _children())


def _children() -> dict[int, list[Process]]:
    """Parent PID -> its living children, read from /proc in one pass."""
    children: dict[int, list[Process]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                parent, started = stat
                children.setdefault(parent, []).append((int(entry.name), started))
    return children


def _below(pid: int, children: dict[int, list[Process]]) -> list[Process]:
    """The processes below `pid` in a parent -> children map, nearest first."""
    found: list[Process] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child[0])
    return found


def _tagged(tag: str) -> list[Process]:
    """Every living process whose environment holds TAG=tag."""
    wanted = f"{TAG}={tag}".encode()
    found: list[Process] = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                environment = (entry / "environ").read_bytes().split(b"\0")
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            if wanted in environment:
                identity = _identity(int(entry.name))
                if identity is not None:
                    found.append(identity)
    return found


def _working_in(folder: Path) -> list[Process]:
    """Every living process whose working directory is `folder`."""
    wanted = str(folder.resolve())
    found: list[Process] = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                here = os.readlink(entry / "cwd")
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            if here == wanted:
                identity = _identity(int(entry.name))
                if identity is not None:
                    found.append(identity)
    return found


def _identity(pid: int) -> Process | None:
    """(pid, start time) of a living process; None when it has exited."""
    stat = _stat(pid)
    return None if stat is None else (pid, stat[1])


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent PID, start time) from /proc/<pid>/stat; None for a process gone or a zombie."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')': split after the last one.
    fields = text[text.rindex(")") + 2 :].split()
    state, parent, started = fields[0], int(fields[1]), int(fields[19])
    return None if state in ("Z", "X") else (parent, started)
