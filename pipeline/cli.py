"""The command line (contract section 4): ``outcomes run | demo | validate | publish``.

Every failure is one plain sentence on stderr and a non-zero exit, never a traceback: 1 for
a problem with the input or the environment, 2 for a bad command line, 3 for a bug (whose
traceback goes to a log file named in the message), 128 + the signal's number for a run
stopped by SIGINT (Ctrl-C, 130) or SIGTERM (143).

``outcomes run`` records how each run ends in ``audit.runs``: ``success``, ``failed`` (with the
step and the sentence), or ``interrupted`` (stopped by a signal here, or found dead by a later
run: ``pipeline.provenance.mark_interrupted_runs``). Every step commits whole or not at all,
so a run stopped at any point, even by SIGKILL, leaves a consistent warehouse that the next
run completes.
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import tempfile
import time
import traceback
import uuid
import warnings
import webbrowser
from pathlib import Path

from pipeline.errors import OutcomesError
from pipeline.stopping import RunStopper, Stopped, stoppable_warehouse

log = logging.getLogger("outcomes")

# numpy's OpenBLAS threads spin while they wait: next to DuckDB's threads (or any other load) on
# a small machine they made the case-mix models 10x slower (docs/scaling.md). Every matrix the
# pipeline hands numpy is small, so one thread is also the fastest. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

DEMO_DEFAULTS = {"clinics": 8, "patients": 3000, "seed": 7}

def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(2, f"outcomes: {message}; see '{self.prog} --help'\n")


def parser() -> argparse.ArgumentParser:
    from pipeline.aggregates import commands
    from pipeline.contract import DEFAULT_INBOX, DEFAULT_REPORTS, DEFAULT_WAREHOUSE

    p = _Parser(prog="outcomes", description="Outcome analytics for medical massage therapy.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="load new batches, rebuild the marts and the reports")
    r.add_argument("--inbox", default=DEFAULT_INBOX, help=f"folder of export batches (default {DEFAULT_INBOX})")
    r.add_argument("--warehouse", default=DEFAULT_WAREHOUSE, help=f"DuckDB file (default {DEFAULT_WAREHOUSE})")
    r.add_argument("--reports", default=DEFAULT_REPORTS, help=f"output folder (default {DEFAULT_REPORTS})")
    r.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 4GB")
    r.add_argument("--suppression-min-n", type=_positive, default=None, help="smallest published cell (default 11)")
    r.add_argument("--episode-gap-days", type=_positive, default=None, help="days without a session that end an episode (default 60)")
    r.add_argument("--open", action="store_true", help="open the reports in a browser afterwards")
    commands.add_shards_argument(r, _positive)  # pipeline/aggregates/commands.py

    d = sub.add_parser("demo", help="write demo export batches")
    d.add_argument("--out", default=DEFAULT_INBOX, help=f"inbox to write into (default {DEFAULT_INBOX})")
    d.add_argument("--clinics", type=_positive, default=DEMO_DEFAULTS["clinics"])
    d.add_argument("--patients", type=_positive, default=DEMO_DEFAULTS["patients"])
    d.add_argument("--seed", type=int, default=DEMO_DEFAULTS["seed"])

    v = sub.add_parser("validate", help="check one export batch before sending it")
    v.add_argument("batch_dir", metavar="BATCH_DIR")

    pub = sub.add_parser("publish", help="one folder per recipient: each clinic's, and the insurer's")
    pub.add_argument("--warehouse", default=DEFAULT_WAREHOUSE, help=f"DuckDB file, read only (default {DEFAULT_WAREHOUSE})")
    pub.add_argument("--out", required=True, help="folder to write clinics/<clinic_id>/ and insurer/ into")
    pub.add_argument("--name-clinics", action="store_true",
                     help="name the clinics by their ids in the insurer's bundle (default: anonymous labels)")
    commands.add_aggregates_parser(sub, _Parser, _positive)
    return p


def _has_batches(inbox: Path) -> bool:
    return inbox.is_dir() and any(p.is_dir() for p in inbox.iterdir())


def cmd_demo(args) -> int:
    from pipeline import demo

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OutcomesError(f"{out} exists and is not a folder")
    started = time.perf_counter()
    batches = demo.write_demo(out, clinics=args.clinics, patients=args.patients, seed=args.seed,
                              progress=lambda msg: log.info("[demo] %s", msg))
    log.info("[demo] wrote %d batches to %s in %.1f s", len(batches), out, time.perf_counter() - started)
    return 0


def _failure(result) -> tuple[str | None, str, str | None]:
    """How a failed Dagster run failed: (the step, the user's plain sentence, None), or for a bug
    (the step, a one-line summary, the details for the error log)."""
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if failed:  # a blocking check stops the run: its own sentence is the message
        return (failed[0].check_name,
                "; ".join(f"check {e.check_name} failed: {e.description}" for e in failed), None)
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        chain = []
        while error is not None:
            chain.append(error)
            error = error.cause
        for err in chain:
            if err.cls_name == "OutcomesError":
                return event.step_key, err.message.split(": ", 1)[-1].strip(), None
        last = chain[-1]
        first = (last.message.strip().splitlines() or [""])[0]
        first = first if first.startswith(last.cls_name) else f"{last.cls_name}: {first}"
        summary = f"internal error in step {event.step_key} ({first})"
        return (event.step_key, summary,
                f"step {event.step_key} failed: {last.cls_name}: {last.message.strip()}\n" + "".join(last.stack))
    return None, "the run failed", None


def _record_end(wh: Path, memory_limit: str | None, run_id: str, status: str,
                step: str | None = None, reason: str | None = None) -> None:
    """Record how the run ended in audit.runs; a warehouse that cannot be opened now (another
    process took it) is left as it is: the next run marks this one interrupted."""
    from pipeline import provenance, warehouse

    try:
        con = warehouse.connect(wh, memory_limit=memory_limit)
    except OutcomesError:
        return
    try:
        provenance.finish_run(con, run_id, status, step, reason)
    finally:
        con.close()


def cmd_run(args) -> int:
    if getattr(args, "shards", 1) > 1:
        return _run_shards(args)
    with RunStopper() as stopper, _CollectorPaused() as start_up:
        try:
            return _run(args, stopper, start_up)
        except Stopped:
            raise
        except Exception:
            if stopper.signum is not None:  # a query of this thread, interrupted by the signal
                raise Stopped(stopper.signum) from None
            raise


def _run(args, stopper: RunStopper, start_up: _CollectorPaused) -> int:
    """``outcomes run``: record the run's start, execute the asset job in the worker thread,
    record how it ended; then the summary."""
    inbox, wh, reports_dir = _inbox(args), Path(args.warehouse), Path(args.reports)
    run_id = str(uuid.uuid4())  # Dagster's own form of run id
    _begin(wh, args.memory_limit, run_id)
    try:
        job, resources = _job(args, inbox, wh, reports_dir, stopper)
    except Stopped as exc:
        _record_end(wh, args.memory_limit, run_id, "interrupted", None, exc.sentence().split(";")[0])
        raise
    started = time.perf_counter()
    outcome = _execute(job, resources, run_id, stopper, start_up.resume)
    _end(outcome, stopper, wh, args.memory_limit, run_id)
    _summary(wh, reports_dir, time.perf_counter() - started, outcome.get("steps", {}))
    if args.open:
        _open(reports_dir / "index.html")
    return 0


def _inbox(args) -> Path:
    """The run's inbox: the demo's batches written first into an empty default inbox."""
    from pipeline.contract import DEFAULT_INBOX

    inbox = Path(args.inbox)
    if args.inbox == DEFAULT_INBOX and not _has_batches(inbox):
        log.info("[demo] the default inbox %s is empty: writing the demo batches first", inbox)
        cmd_demo(argparse.Namespace(out=args.inbox, **DEMO_DEFAULTS))
    elif not inbox.is_dir():
        raise OutcomesError(f"the inbox {inbox} does not exist" if not inbox.exists() else f"the inbox {inbox} is not a folder")
    return inbox


def _begin(wh: Path, memory_limit: str | None, run_id: str) -> None:
    """Open the warehouse (a locked or unwritable file fails here, plainly) and record the run."""
    from pipeline import provenance, warehouse

    con = warehouse.connect(wh, memory_limit=memory_limit)
    try:
        from pipeline.aggregates.merge import refuse_hub  # a hub's marts come only from merged aggregates
        refuse_hub(con, wh)
        warehouse.ensure_schema(con)
        for other in provenance.start_run(con, run_id):
            log.info("[run] an earlier run (%s) did not finish (killed, or the machine stopped); "
                     "this run takes up where it stopped", other)
    finally:
        con.close()


def _job(args, inbox: Path, wh: Path, reports_dir: Path, stopper: RunStopper):
    """The implicit asset job of the definitions on these paths and settings, and its resources
    (the warehouse, stoppable). Dagster is imported here, not by the other commands."""
    from pipeline.definitions import build_definitions

    settings = {k: v for k, v in (("suppression_min_n", args.suppression_min_n),
                                  ("episode_gap_days", args.episode_gap_days)) if v is not None}
    defs = build_definitions(str(inbox), str(wh), str(reports_dir), memory_limit=args.memory_limit, **settings)
    job = defs.resolve_implicit_global_asset_job_def()
    return job, {"warehouse_db": stoppable_warehouse(defs.resources["warehouse_db"], stopper)}


def _execute(job, resources: dict, run_id: str, stopper: RunStopper, at_first_batch=None) -> dict:
    """Execute the job in process on an ephemeral instance, in the stopper's worker thread; the
    outcome holds the result, the steps' seconds (start-up first) and the unfinished steps.
    ``at_first_batch()`` is called when receiving reports its first batch."""
    import dagster as dg

    from pipeline import provenance

    first_batch = _FirstBatch(at_first_batch)

    def work(outcome: dict) -> None:
        with dg.DagsterInstance.ephemeral() as instance:
            try:
                outcome["result"] = job.execute_in_process(
                    instance=instance, raise_on_error=False, run_id=run_id, resources=resources,
                    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                )
            finally:
                outcome["steps"], outcome["unfinished"] = provenance.step_seconds(instance, run_id, unfinished=True)
                outcome["steps"] = _with_start_up(outcome["steps"], first_batch, instance, run_id)

    log.addFilter(first_batch)
    try:
        return stopper.run(work)
    finally:
        log.removeFilter(first_batch)


def _end(outcome: dict, stopper: RunStopper, wh: Path, memory_limit: str | None, run_id: str) -> None:
    """Record how the run ended in audit.runs; raise what stopped or failed it."""
    result = outcome.get("result")
    if stopper.signum is not None and not (result is not None and result.success):
        unfinished = outcome.get("unfinished") or [None]
        stop = Stopped(stopper.signum)
        _record_end(wh, memory_limit, run_id, "interrupted", unfinished[0], stop.sentence().split(";")[0])
        if outcome.get("abandoned"):  # a step that would not stop: end the process without it
            print(f"outcomes: {stop.sentence()}", file=sys.stderr, flush=True)
            sys.stdout.flush()
            os._exit(128 + stop.signum)
        raise stop
    if "error" in outcome:  # Dagster itself failed (a bug): record it, then report it
        exc = outcome["error"]
        _record_end(wh, memory_limit, run_id, "failed", (outcome.get("unfinished") or [None])[0],
                    f"internal error ({type(exc).__name__})")
        raise exc
    if not result.success or any(not e.passed for e in result.get_asset_check_evaluations()):
        step, sentence, bug = _failure(result)
        _record_end(wh, memory_limit, run_id, "failed", step, sentence)
        if bug:
            raise RuntimeError(bug)
        raise OutcomesError(sentence)
    _record_end(wh, memory_limit, run_id, "success")
    if stopper.signum is not None:  # the signal came as the run ended: it is complete, say so no further
        raise Stopped(stopper.signum)


def _open(page: Path) -> None:
    """Open a page in the desktop's browser; on a machine without a screen, just say where it is."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        log.info("No screen here: open %s in a browser.", page.resolve())
        return
    webbrowser.open(page.resolve().as_uri())


class _CollectorPaused:
    """Python's cyclic garbage collector paused for the start-up of ``outcomes run``: importing
    Dagster, the definitions and the instance's storage allocates ~300k objects that live as
    long as the process, and the collections they set off (three full ones among them) took
    about a fifth of it (1.2 vs 1.0 s, measured). ``resume`` (at the first batch received, or
    at the end of the run) freezes the objects made so far (``gc.freeze``: no collection scans
    them again; they are still freed when unreferenced) and turns the collector back on, so no
    deferred collection falls on the first step: turned on without freezing, its first
    collection took 0.15 s there (~3,300 unreachable objects of start-up are kept instead)."""

    def __enter__(self) -> "_CollectorPaused":
        self.paused = gc.isenabled()
        gc.disable()
        return self

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            gc.freeze()
            gc.enable()

    def __exit__(self, *exc) -> None:
        self.resume()


def _process_started() -> float:
    """When this process started (epoch seconds, to the clock tick: 10 ms).

    On Linux its start in clock ticks since boot (/proc/self/stat, field 22) read against the
    boot clock now. Not psutil's ``create_time``: that adds the start to the boot time as
    /proc/stat gives it, in whole seconds, so it is up to 1 s early (0.63 s on this machine),
    and start-up counted that second as its own."""
    try:
        with open("/proc/self/stat", "rb") as fh:  # "pid (name) state ...": field 22 is the start
            ticks = int(fh.read().rsplit(b")", 1)[1].split()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        return time.time() - age
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux
        import psutil

        return psutil.Process().create_time()


class _FirstBatch(logging.Filter):
    """Notes when receiving reported its first batch (``[ingest ...]``: the end of start-up) and,
    at the first accepted one, starts importing great-expectations beside receiving and staging
    (``suites.warm_up``): the suites will have rows to check."""

    def __init__(self, then=None):
        super().__init__()
        self.at: float | None = None
        self.warming = None
        self.then = then  # called at the first batch

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith("[ingest"):
            if self.at is None:
                self.at = record.created
                if self.then is not None:
                    self.then()
            if self.warming is None and " accepted" in message:
                from pipeline import suites

                self.warming = suites.warm_up()
        return True


def _with_start_up(steps: dict, first_batch: _FirstBatch, instance, run_id: str) -> dict:
    """``start-up`` first: seconds from the process's start to the first batch received (without
    a new batch, to the end of looking for one; failing that, to the first step's start)."""
    end = first_batch.at or min((e.timestamp for e in instance.all_logs(run_id)
                                 if e.dagster_event is not None and e.dagster_event.event_type_value == "STEP_START"),
                                default=None)
    return {"start-up": end - _process_started(), **steps} if end else steps


def _summary(wh: Path, reports_dir: Path, seconds: float, steps: dict[str, float] | None = None) -> None:
    from pipeline import warehouse

    con = warehouse.connect(wh, read_only=True)
    try:
        b = warehouse.run(con, "audit/summary")[0]
    finally:
        con.close()
    log.info("")
    log.info("Done in %.1f s. Batches: %d accepted, %d rejected. Sessions: %d staged, %d quarantined; "
             "scores: %d staged, %d quarantined.", seconds, *b[:6])
    log.info("Episodes: %d; episode x measure outcomes: %d. Effect-size cells: %d published, %d suppressed.", *b[6:10])
    if steps:
        log.info("Steps (s): %s.", ", ".join(f"{k} {v:.1f}" for k, v in steps.items()))
    log.info("Reports: %s", (reports_dir / "index.html").resolve())


def cmd_validate(args) -> int:
    from pipeline import validate

    logging.getLogger("outcomes").setLevel(logging.WARNING)
    report = validate.validate_batch(Path(args.batch_dir))
    print(report.text())
    return 0 if report.accepted else 1


def cmd_publish(args) -> int:
    from pipeline.reports.publish import publish

    publish(Path(args.warehouse), Path(args.out), name_clinics=args.name_clinics)
    return 0


def _run_shards(args) -> int:  # pipeline/aggregates/commands.py
    from pipeline.aggregates.commands import run_shards
    return run_shards(args, lambda: cmd_demo(argparse.Namespace(out=args.inbox, **DEMO_DEFAULTS)), _open)


def cmd_aggregates(args) -> int:  # pipeline/aggregates/commands.py
    from pipeline.aggregates.commands import cmd_aggregates as run
    return run(args)


COMMANDS = {"run": cmd_run, "demo": cmd_demo, "validate": cmd_validate, "publish": cmd_publish,
            "aggregates": cmd_aggregates}


def _exit_now_if_cli(code: int) -> None:
    """In the ``outcomes`` process itself, end it now: a stopped run has recorded its end and
    closed the warehouse, and the interpreter's own shutdown (freeing every module Dagster and
    great-expectations loaded) took seconds more than "stopped within seconds" allows. Called
    from Python (a notebook, a test), return as usual."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if (spec is not None and spec.name == "pipeline.cli") or Path(sys.argv[0]).name == "outcomes":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    args = parser().parse_args(argv)
    try:
        with warnings.catch_warnings():  # library deprecation chatter is not for the user
            warnings.simplefilter("ignore")
            return COMMANDS[args.command](args)
    except OutcomesError as exc:
        print(f"outcomes: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into a closed reader (e.g. head)
        sys.stderr.close()
        return 0
    except Stopped as exc:
        print(f"outcomes: {exc.sentence()}", file=sys.stderr)
        _exit_now_if_cli(128 + exc.signum)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("outcomes: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug: keep the details, show one line
        path = Path(tempfile.gettempdir()) / "outcomes-error.log"
        path.write_text(traceback.format_exc(), encoding="utf-8")
        kind = sys.exc_info()[0].__name__
        print(f"outcomes: internal error ({kind}); please report it with the details in {path}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
