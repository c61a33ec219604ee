"""Runs that do not end well end honestly, and the next run completes them.

``outcomes run`` on a small demo inbox, in a subprocess, killed (SIGKILL: nothing of it runs
after the signal, like a power loss) at several points: inside the receiving of
batches, right after a staging split, in the marts. Each kill is followed by the next run, which
marks the killed one ``interrupted``, and the last run goes to the end: its warehouse must hold
exactly what an uninterrupted run on a fresh warehouse holds (every ``marts.*`` table, staging,
quarantine, the batch counts; order-independent, exact). SIGTERM and SIGINT stop a run within
seconds, with one sentence and exit 143 / 130, the run recorded ``interrupted``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]
# No browser: the reports skip their PDFs (a second or more per run, and no Chromium left behind by a kill)
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "BROWSER_PATH": "/nonexistent/chromium"}
RUN_TIMEOUT = 180
STOP_SECONDS = 5.0  # "within a few seconds"
SENTENCE = "the warehouse is consistent, the next run takes up where this one stopped"


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("interrupted")
    assert main(["demo", "--out", str(root / "inbox"), "--clinics", "3", "--patients", "300"]) == 0
    return root / "inbox"


def _args(inbox: Path, wh: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "run", "--inbox", str(inbox), "--warehouse", str(wh),
            "--reports", str(wh.with_suffix(".reports"))]


def _run(inbox: Path, wh: Path) -> str:
    out = subprocess.run(_args(inbox, wh), cwd=REPO, env=ENV, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    return out.stdout


def _stop_at(inbox: Path, wh: Path, line: str, sig: int, delay: float = 0.0, whole_group: bool = True):
    """Start a run, and send it ``sig`` once its output has a line starting with ``line`` (plus
    ``delay`` seconds). Returns (exit code, seconds from the signal to the exit, stdout, stderr)."""
    proc = subprocess.Popen(_args(inbox, wh), cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    watchdog = threading.Timer(RUN_TIMEOUT, lambda: os.killpg(proc.pid, signal.SIGKILL))
    watchdog.start()
    try:
        seen = []
        for text in proc.stdout:
            seen.append(text)
            if text.startswith(line):
                break
        else:
            proc.wait()
            pytest.fail(f"the run ended before a line '{line}':\n{''.join(seen)[-2000:]}{proc.stderr.read()}")
        time.sleep(delay)
        if whole_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
        return proc.returncode, time.monotonic() - sent, "".join(seen) + out, err
    finally:
        watchdog.cancel()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything the run left behind
        except ProcessLookupError:
            pass


def _tables(wh: Path) -> dict[str, list]:
    """Every marts table, staging, quarantine and the batches' counts, order-independent."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        marts = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts' order by table_name").fetchall()]
        out = {f"marts.{t}": con.execute(f'select * from marts."{t}" order by all').fetchall() for t in marts}  # names from the catalog
        for layer in ("raw", "staging", "quarantine"):
            for table in ("sessions", "measurements"):
                out[f"{layer}.{table}"] = con.execute(f"select * from {layer}.{table} order by all").fetchall()  # constants
        out["audit.batches"] = con.execute("select batch_id, status, reasons, sha256, rows_raw, rows_staged, "
                                           "rows_quarantined from audit.batches order by all").fetchall()
        out["audit.checks"] = con.execute("select batch_id, table_name, suite, expectation, column_name, success, "
                                          "unexpected_count from audit.checks order by all").fetchall()
        return out
    finally:
        con.close()


def _runs(wh: Path) -> list[tuple]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute("select status, failed_step, reason, pid, finished_at is not null from audit.runs "
                           "order by started_at").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(inbox, tmp_path_factory) -> dict[str, list]:
    wh = tmp_path_factory.mktemp("reference") / "w.duckdb"
    _run(inbox, wh)
    tables = _tables(wh)
    assert len(tables["marts.effect_sizes"]) > 0 and len(tables["marts.episode_outcomes"]) > 0
    assert len([t for t in tables if t.startswith("marts.")]) >= 8
    return tables


def _assert_same(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], f"{name} differs from the uninterrupted run's"


# Where each run of the chain is stopped: (a line of its output, then seconds, the signal). The demo
# inbox has 18 batches, received together: "[ingest] 18 new ..." is printed once they are checked
# whole and before their files are read; the other lines once their work is committed, so a short
# delay lands inside the next piece of work. SIGKILL goes to the run's whole process group, like a power loss; SIGTERM
# and SIGINT to its process only, like `kill` and Ctrl-C.
STOPS = [
    ("[ingest] ", 0.03, signal.SIGKILL),              # inside the receiving (the scans, raw, audit.batches)
    ("[ingest] ", 0.02, signal.SIGTERM),              # the same, stopped by SIGTERM (or in staging, when
                                                      # the first run's receiving was committed)
    ("[staging] measurements", 0.0, signal.SIGKILL),  # scores split and committed, their batch counts not yet
    ("[marts] episode_outcomes", 0.0, signal.SIGINT),  # in the marts, by Ctrl-C
    ("[marts] effect_sizes", 0.1, signal.SIGKILL),    # later in the marts and the syntheses
]
EXIT = {signal.SIGTERM: 143, signal.SIGINT: 130}


def test_stopped_runs_end_honestly_and_the_next_run_completes_them(inbox, reference, tmp_path):
    wh = tmp_path / "w.duckdb"
    for line, delay, sig in STOPS:
        code, seconds, out, err = _stop_at(inbox, wh, line, sig, delay, whole_group=sig == signal.SIGKILL)
        name = signal.Signals(sig).name
        if sig == signal.SIGKILL:  # nothing of the run ran after the kill: it is still 'running'
            assert code == -signal.SIGKILL, (line, out[-1500:], err)
            assert _runs(wh)[-1][0] == "running", line
            continue
        # SIGTERM and SIGINT: within seconds, one sentence, 143 or 130, the run recorded 'interrupted'
        assert code == EXIT[sig], (line, out[-1500:], err)
        assert seconds < STOP_SECONDS, (line, seconds)
        assert err.strip() == f"outcomes: stopped by {name}; {SENTENCE}", line
        assert "Traceback" not in out + err
        status, step, reason, _, finished = _runs(wh)[-1]
        assert (status, reason, finished) == ("interrupted", f"stopped by {name}", True), line
        assert step, line  # the step it was stopped in
    out = _run(inbox, wh)
    assert "did not finish" in out  # the last killed run, found by this one

    _assert_same(_tables(wh), reference)
    runs = _runs(wh)
    assert [r[0] for r in runs] == ["interrupted"] * len(STOPS) + ["success"]
    for (_, _, sig), (_, _, reason, pid, finished) in zip(STOPS, runs):
        if sig == signal.SIGKILL:  # marked by the next run, which found its process gone
            assert f"process {pid} on " in reason and "ended without finishing the run" in reason
            assert not finished  # when it stopped is not known
    assert runs[-1][1:3] == (None, None) and runs[-1][4]
