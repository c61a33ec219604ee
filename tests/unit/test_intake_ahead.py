"""The whole-batch checks started ahead by ``outcomes run`` (pipeline/intake/ahead.py): a result
is taken only for a folder whose files are as they were when its check began."""
from __future__ import annotations

import dataclasses
import os

import pytest

from pipeline.intake import ahead, checks
from tests.quality.batches import new_batch


@pytest.fixture(autouse=True)
def _nothing_left_ahead():
    ahead.clear()
    yield
    ahead.clear()


def _record(batch: checks.Batch) -> dict:
    return dataclasses.asdict(batch)


def test_results_started_ahead_are_those_the_step_would_get(tmp_path):
    folders = [new_batch(tmp_path / f"c{i}-2026-01", f"c{i}").write() for i in (1, 2, 3)]
    bad = new_batch(tmp_path / "c4-2026-01", "c4")
    bad.late_bytes["sessions.csv"] = b"clinic_id,patient_id\n"
    folders.append(bad.write())
    ahead.start(folders)
    futures = dict(ahead._ahead)
    got = ahead.check_batches(folders)
    assert all(f.done() for f in futures.values())  # taken from ahead, not checked again
    assert [_record(b) for b in got] == [_record(b) for b in checks.check_batches(folders)]
    assert not got[3].accepted and all(b.accepted for b in got[:3])
    assert ahead._ahead == {}  # each result is taken once


def test_a_folder_changed_after_its_check_began_is_checked_again(tmp_path):
    folder = new_batch(tmp_path / "c1-2026-01", "c1").write()
    ahead.start([folder])
    ahead._ahead[str(folder)].result()  # its check is done: then the file changes
    sessions = folder / "sessions.csv"
    st = sessions.stat()
    sessions.write_bytes(sessions.read_bytes() + b"\x00")
    os.utime(sessions, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    (batch,) = ahead.check_batches([folder])
    assert batch.files["sessions"].sha256 == checks.check(folder).files["sessions"].sha256
    assert not batch.accepted  # the changed bytes, not the result of before


def test_without_a_start_and_after_clear_every_folder_is_checked_in_the_step(tmp_path):
    folders = [new_batch(tmp_path / f"c{i}-2026-01", f"c{i}").write() for i in (1, 2)]
    assert [_record(b) for b in ahead.check_batches(folders)] == [_record(b) for b in checks.check_batches(folders)]
    ahead.start(folders)
    ahead.clear()
    assert ahead._ahead == {}
    assert [b.batch_id for b in ahead.check_batches(folders[::-1])] == ["c2-2026-01", "c1-2026-01"]
