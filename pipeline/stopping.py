"""Stopping ``outcomes run`` within seconds on SIGINT or SIGTERM, with the warehouse consistent.

The CLI runs the Dagster job in a worker thread and installs :class:`RunStopper`'s handlers on the
main thread: a signal interrupts every open warehouse connection (DuckDB's ``interrupt``), and
after ``STOP_RAISE_SECONDS`` the run's Python code too. ``Stopped`` carries the signal to the
exit code (130 after SIGINT, 143 after SIGTERM) and to ``audit.runs`` (``interrupted``).
"""
from __future__ import annotations

import ctypes
import signal
import threading
import time
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_RAISE_SECONDS = 1.0  # after a stop signal: then stop the run's Python code too, not only its queries
STOP_GRACE_SECONDS = 10.0  # after a stop signal: the longest wait for the run's steps to stop


class Stopped(KeyboardInterrupt):
    """A run stopped by a signal (SIGINT or SIGTERM)."""

    def __init__(self, signum: int = signal.SIGINT):  # no argument when raised in the worker thread
        super().__init__(signum)
        self.signum = signum

    def sentence(self) -> str:
        return (f"stopped by {signal.Signals(self.signum).name}; the warehouse is consistent, "
                "the next run takes up where this one stopped")



class RunStopper:
    """SIGINT and SIGTERM while ``outcomes run`` runs: stop it within seconds, consistently.

    The Dagster job runs in a worker thread, so the signals reach these handlers, never
    Dagster's: on the main thread ``execute_in_process`` installs its own, which turn SIGTERM
    into SIGINT, only set a flag outside a step, and inside one raise an error that a running
    DuckDB query turns into a plain step failure ("Query interrupted"; the other steps then went
    on and the run ended as an internal error). Here a signal interrupts every open warehouse
    connection (``con.interrupt()``: a query stops at once, and its transaction is rolled back),
    makes every later step fail as it opens its connection, and after STOP_RAISE_SECONDS raises
    ``Stopped`` in the worker's Python code too. Outside the job (before, after) the handler
    raises ``Stopped`` in the main thread.
    """

    def __init__(self):
        self.signum: int | None = None
        self.stopped_at: float | None = None
        self.worker: threading.Thread | None = None
        self.stopping = threading.Event()
        self.lock = threading.RLock()  # also taken by the handler, on the thread it may interrupt
        self.connections: set = set()
        self._previous: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in STOP_SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)

    def _handle(self, signum: int, frame) -> None:
        if self.signum is None:
            self.signum, self.stopped_at = signum, time.monotonic()
        if self.worker is None or not self.worker.is_alive():
            raise Stopped(self.signum)
        self.stopping.set()
        self.interrupt_queries()

    def interrupt_queries(self) -> None:
        with self.lock:
            for con in list(self.connections):
                try:
                    con.interrupt()
                except Exception:  # noqa: BLE001 - a connection closing meanwhile
                    pass

    def check(self) -> None:
        if self.stopping.is_set():
            raise Stopped(self.signum)

    def raise_in_worker(self) -> None:
        """Raise ``Stopped`` in the worker thread's Python code (its next bytecode)."""
        if self.worker is not None and self.worker.ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.worker.ident), ctypes.py_object(Stopped))

    def run(self, work) -> dict:
        """Run ``work(outcome)`` in the worker thread; returns its outcome, or what is known of
        it when the worker did not stop within STOP_GRACE_SECONDS of a signal."""
        outcome: dict = {}

        def target():
            try:
                try:
                    work(outcome)
                except BaseException as exc:  # noqa: BLE001 - the main thread reports it
                    outcome.setdefault("error", exc)
            except BaseException:  # noqa: BLE001 - a late Stopped while recording the outcome
                pass

        self.worker = threading.Thread(target=target, name="outcomes-run", daemon=True)
        self.worker.start()
        raised = False
        while self.worker.is_alive():
            self.worker.join(0.1)
            if self.stopped_at is None:
                continue
            waited = time.monotonic() - self.stopped_at
            self.interrupt_queries()  # also the queries started since
            if waited > STOP_RAISE_SECONDS and not raised:
                self.raise_in_worker()
                raised = True
            if waited > STOP_GRACE_SECONDS:
                outcome["abandoned"] = True
                break
        return outcome

    @contextmanager
    def connection(self, con):
        """Register a warehouse connection of a step, so that a stop interrupts its queries."""
        self.check()
        with self.lock:
            self.connections.add(con)
        try:
            self.check()
            yield con
        finally:
            with self.lock:
                self.connections.discard(con)


def stoppable_warehouse(resource, stopper: RunStopper):
    """The run's warehouse resource, whose connections the stopper can interrupt."""
    from dagster_duckdb import DuckDBResource

    class StoppableWarehouse(DuckDBResource):
        @contextmanager
        def get_connection(self):
            stopper.check()
            with DuckDBResource.get_connection(self) as con:
                try:
                    with stopper.connection(con):
                        yield con
                finally:
                    con.close()  # also on an error: a connection left open would hold the file

    return StoppableWarehouse(database=resource.database, connection_config=resource.connection_config)
