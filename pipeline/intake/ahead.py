"""The whole-batch checks of an inbox started ahead, beside ``outcomes run``'s start-up.

``outcomes run`` spends about a second and a half importing Dagster and setting up its run
before the receiving step starts, nearly all of it in one thread holding Python's lock. The
whole-batch checks (``pipeline.intake.checks``: every byte hashed and decoded, the manifest,
the headers) are the same work whenever they run, mostly outside that lock (reading files,
sha256), and grow with the inbox: about 0.2 s at 1M sessions, 1 to 4 s at 10M (as much of the
files as is not in the page cache). ``start`` begins them on a pool of threads; the receiving
step's ``check_batches`` takes each folder's result from there, or checks the folder itself.

A result is taken only when the folder's files are as they were when its check began (names,
sizes, modification times, in nanoseconds); otherwise the folder is checked again. So a batch
is received as checked, exactly as when the step checks it. Nothing is started ahead unless a
caller asks (``dagster dev``'s runs check in their step, as before).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pipeline.intake import checks

_lock = threading.Lock()
_ahead: dict[str, Future] = {}  # folder -> the Future of (its files before the check, its Batch)


def files_state(folder: Path) -> tuple:
    """Every file under the folder with its size and modification time (ns), sorted."""
    found = []

    def walk(path: str, rel: str) -> None:
        with os.scandir(path) as entries:
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    walk(e.path, f"{rel}{e.name}/")
                else:
                    st = e.stat()
                    found.append((f"{rel}{e.name}", st.st_size, st.st_mtime_ns))

    try:
        walk(str(folder), "")
    except OSError:
        return ("unreadable",)
    return tuple(sorted(found))


def _check(folder: Path) -> tuple[tuple, checks.Batch]:
    before = files_state(folder)
    return before, checks.check(folder)


def start(folders: list[Path], workers: int | None = None) -> None:
    """Begin the whole-batch checks of these folders on a pool of threads (returns at once)."""
    if not folders:
        return
    pool = ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1),
                              thread_name_prefix="checks-ahead")
    with _lock:
        for folder in folders:
            _ahead[str(folder)] = pool.submit(_check, folder)
    pool.shutdown(wait=False)  # its threads end when the last check has run


def clear() -> None:
    """Forget the checks started ahead (those not begun yet are not run)."""
    with _lock:
        futures = list(_ahead.values())
        _ahead.clear()
    for future in futures:
        future.cancel()


def check_batches(folders: list[Path]) -> list[checks.Batch]:
    """``checks.check_batches``: each folder's result started ahead, when its files are as they
    were when that check began; the other folders checked now. In the folders' order."""
    if len({str(f) for f in folders}) < len(folders):  # a folder twice: each its own record, as checks gives
        return checks.check_batches(folders)
    with _lock:
        taken = {str(f): _ahead.pop(str(f), None) for f in folders}
    results: dict[str, checks.Batch] = {}
    for key, future in taken.items():
        if future is None or future.cancel():  # not begun yet: checked below, with the others
            continue
        before, batch = future.result()  # a check that raised raises here, as in the step
        if before == files_state(Path(key)):
            results[key] = batch
    missing = [f for f in folders if str(f) not in results]
    for folder, batch in zip(missing, checks.check_batches(missing)):
        results[str(folder)] = batch
    return [results[str(f)] for f in folders]
