"""Where a published number comes from: the run, the code version, the software, the batches."""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable

import duckdb

from pipeline.warehouse import run, table_exists

REPO = Path(__file__).resolve().parents[1]
SOFTWARE = ("dagster", "duckdb", "pandas", "numpy", "scipy", "plotly", "great-expectations", "pyarrow")


def recorded_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """The analysis settings the warehouse's episodes were last built with
    (audit.analysis_settings: setting -> its JSON value); empty when none are recorded."""
    if not table_exists(con, "audit", "analysis_settings"):
        return {}
    return {name: json.loads(value) for name, value in run(con, "audit/analysis_settings")}


def with_recorded_settings(con: duckdb.DuckDBPyConnection, settings):
    """``settings`` (a contract.Settings) with the recorded analysis settings in place of the
    command's: what the figures were computed with is what the reports must state."""
    known = {f.name for f in dataclasses.fields(settings)}
    return dataclasses.replace(settings, **{k: v for k, v in recorded_settings(con).items() if k in known})


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the code (with '-dirty' when changed), else the package version."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], cwd=REPO,
                             capture_output=True, text=True, timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "massage-outcomes " + metadata.version("massage-outcomes")


def software_versions() -> dict[str, str]:
    out = {}
    for name in SOFTWARE:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _process_start(pid: int) -> str | None:
    """When a process started, as an opaque mark (the boot and the start tick, on Linux): with the
    pid it tells a process from a later one that got the same pid (after a reboot, say)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
        return f"{boot}:{stat[stat.rindex(')') + 2:].split()[19]}"  # field 22, after "pid (name) "
    except (OSError, ValueError, IndexError):
        return None


def this_process() -> dict:
    """host, pid and process_start of this process, as audit.runs records them."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "process_start": _process_start(pid)}


def process_alive(host: str | None, pid: int | None, process_start: str | None) -> bool | None:
    """Is the process that started a run still alive? None when it cannot be told from here
    (another host)."""
    if pid is None:  # recorded by a version that did not note its process
        return False
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    except OSError:
        return None
    now = _process_start(pid)
    return process_start is None or now is None or now == process_start


# A run's state as the Dagster instance running this one knows it: "running", "failed" (its run
# failed), "finished" (otherwise ended: canceled, say), or None when that instance does not know it
# (the ephemeral instance of ``outcomes run``).
RunState = Callable[[str], "str | None"]


def mark_interrupted_runs(con: duckdb.DuckDBPyConnection, run_id: str, run_state: RunState | None = None) -> list[str]:
    """Mark ``interrupted`` every run still recorded as running whose run is over.

    Several runs can be under way at once: a deployed instance queues the runs of several
    batches on DuckDB's lock, and each takes and gives back the lock step by step. So a
    ``running`` row is not dead merely because this run has the lock. It is dead when the
    Dagster instance says that run ended (a run that failed there is marked ``failed``: its
    step and error are in Dagster's run log), or, when the instance does not know it as under
    way, when its process is gone (the pid is not alive on this host, or it now belongs to a
    later process). A row of another host that the instance does not know is taken as dead:
    one warehouse file has its writers on one machine. A live run wrongly taken for dead (one
    started with the multiprocess executor, whose first step's process has ended) records its
    real end over the mark when it finishes. Returns the run ids marked.
    """
    marked = []
    for other, host, pid, started in run(con, "audit/runs_running", {"run_id": run_id}):
        state = run_state(other) if run_state else None
        if state == "running":
            continue
        if state is None and process_alive(host, pid, started) is True:
            continue
        if state == "failed":
            status, reason = "failed", "its Dagster run failed (the step and the error are in Dagster's run log)"
        else:
            where = f"process {pid} on {host}" if pid is not None else "its process"
            status, reason = "interrupted", f"{where} ended without finishing the run (killed, or the machine stopped)"
        run(con, "audit/run_mark_dead", {"run_id": other, "status": status, "reason": f"{reason}; found by run {run_id}"})
        marked.append(other)
    return marked


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, run_state: RunState | None = None) -> list[str]:
    """Record the start of a run (once per run id), after marking the dead runs ``interrupted``;
    returns the run ids marked."""
    marked = mark_interrupted_runs(con, run_id, run_state)
    run(con, "audit/run_start", {"run_id": run_id, "started_at": _now(), "code_version": code_version(),
                                 **this_process()})
    return marked


def count_batches(con: duckdb.DuckDBPyConnection, run_id: str, handled: list) -> None:
    run(con, "audit/run_batches", {
        "run_id": run_id,
        "batches_new": sum(1 for b in handled if b.accepted),
        "batches_rejected": sum(1 for b in handled if not b.accepted),
    })


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str = "success",
               failed_step: str | None = None, reason: str | None = None) -> None:
    """Record the end of a run: ``success``, or ``failed`` / ``interrupted`` with the step that
    failed or was stopped and the reason in one sentence."""
    run(con, "audit/run_finish", {"run_id": run_id, "finished_at": _now(), "status": status,
                                  "failed_step": failed_step, "reason": reason})


def step_seconds(instance, run_id: str, unfinished: bool = False):
    """Wall-clock seconds of each step of a Dagster run (asset or check), from the instance's event
    log, in execution order (for the Steps line of ``outcomes run`` and the shard job); with
    ``unfinished``, also the steps that failed or never ended, in order."""
    started, seconds, succeeded = {}, {}, set()
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            seconds[event.step_key] = entry.timestamp - started[event.step_key]
            if event.event_type_value == "STEP_SUCCESS":
                succeeded.add(event.step_key)
    if not unfinished:
        return seconds
    return seconds, [k for k in started if k not in succeeded]
