"""The command line (contract section 4): ``outcomes run | demo | validate``.

Every failure is one plain sentence on stderr and a non-zero exit, never a traceback: 1 for
a problem with the input or the environment, 2 for a bad command line, 3 for a bug (whose
traceback goes to a log file named in the message).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import traceback
import warnings
import webbrowser
from pathlib import Path

from pipeline.errors import OutcomesError

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

    d = sub.add_parser("demo", help="write demo export batches")
    d.add_argument("--out", default=DEFAULT_INBOX, help=f"inbox to write into (default {DEFAULT_INBOX})")
    d.add_argument("--clinics", type=_positive, default=DEMO_DEFAULTS["clinics"])
    d.add_argument("--patients", type=_positive, default=DEMO_DEFAULTS["patients"])
    d.add_argument("--seed", type=int, default=DEMO_DEFAULTS["seed"])

    v = sub.add_parser("validate", help="check one export batch before sending it")
    v.add_argument("batch_dir", metavar="BATCH_DIR")
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


def _failure_message(result) -> str:
    """The first error of a failed Dagster run, as the user's plain sentence when it is one."""
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if failed:  # a blocking check stops the run: its own sentence is the message
        return "; ".join(f"check {e.check_name} failed: {e.description}" for e in failed)
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
                return err.message.split(": ", 1)[-1].strip()
        last = chain[-1]
        raise RuntimeError(f"step {event.step_key} failed: {last.cls_name}: {last.message.strip()}\n"
                           + "".join(last.stack))
    return "the run failed"


def cmd_run(args) -> int:
    import dagster as dg

    from pipeline import warehouse
    from pipeline.contract import DEFAULT_INBOX
    from pipeline.definitions import build_definitions

    inbox, wh, reports_dir = Path(args.inbox), Path(args.warehouse), Path(args.reports)
    if args.inbox == DEFAULT_INBOX and not _has_batches(inbox):
        log.info("[demo] the default inbox %s is empty: writing the demo batches first", inbox)
        cmd_demo(argparse.Namespace(out=args.inbox, **DEMO_DEFAULTS))
    elif not inbox.is_dir():
        raise OutcomesError(f"the inbox {inbox} does not exist" if not inbox.exists() else f"the inbox {inbox} is not a folder")
    warehouse.connect(wh, memory_limit=args.memory_limit).close()  # a locked or unwritable file fails here, plainly

    settings = {k: v for k, v in (("suppression_min_n", args.suppression_min_n),
                                  ("episode_gap_days", args.episode_gap_days)) if v is not None}
    defs = build_definitions(str(inbox), str(wh), str(reports_dir), memory_limit=args.memory_limit, **settings)
    started = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
        steps = _step_seconds(instance, result.run_id)
    if not result.success:
        raise OutcomesError(_failure_message(result))
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if failed:
        raise OutcomesError("; ".join(f"check {e.check_name} failed: {e.description}" for e in failed))
    _summary(wh, reports_dir, time.perf_counter() - started, steps)
    if args.open:
        _open(reports_dir / "index.html")
    return 0


def _open(page: Path) -> None:
    """Open a page in the desktop's browser; on a machine without a screen, just say where it is."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        log.info("No screen here: open %s in a browser.", page.resolve())
        return
    webbrowser.open(page.resolve().as_uri())


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall-clock seconds of each step of a run (asset or check), in execution order."""
    started, seconds = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            seconds[event.step_key] = entry.timestamp - started[event.step_key]
    return seconds


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


COMMANDS = {"run": cmd_run, "demo": cmd_demo, "validate": cmd_validate}


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
