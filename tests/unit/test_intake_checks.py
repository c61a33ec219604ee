"""The whole-batch checks without a warehouse (pipeline/intake/checks.py), and the one scan per
group of files that loads many batches at once (pipeline/ingest.py)."""
from __future__ import annotations

import hashlib
import os
import time

import duckdb
import pytest

from pipeline import ingest, reference, warehouse
from pipeline.definitions import SETTLE_SECONDS, batch_fingerprint
from pipeline.intake import checks
from tests.quality.batches import SESSION_COLUMNS, new_batch


def test_a_valid_batch_passes_every_check_without_a_warehouse(tmp_path):
    folder = new_batch(tmp_path / "c1-2026-01", "c1").write()
    batch = checks.check(folder)
    assert batch.accepted, batch.reasons
    assert batch.clinic_id == "c1" and batch.batch_id == "c1-2026-01"
    sessions = batch.files["sessions"]
    assert sessions.headers == list(SESSION_COLUMNS)
    assert sessions.sha256 == hashlib.sha256((folder / "sessions.csv").read_bytes()).hexdigest()
    assert sessions.columns == {h: "VARCHAR" for h in SESSION_COLUMNS}


def test_bytes_headers_and_manifest_are_checked_before_any_row_is_read(tmp_path):
    utf16 = new_batch(tmp_path / "c2-2026-01", "c2")
    utf16.raw_bytes["measurements"] = "clinic_id,session_id\nc2,S1\n".encode("utf-16")
    ident = new_batch(tmp_path / "c3-2026-01", "c3")
    ident.session_header = [*SESSION_COLUMNS, "patient_name"]
    altered = new_batch(tmp_path / "c4-2026-01", "c4")
    altered.late_bytes["sessions.csv"] = b"clinic_id,patient_id\n"
    batches = checks.check_batches([b.write() for b in (utf16, ident, altered)], workers=2)
    assert [b.batch_id for b in batches] == ["c2-2026-01", "c3-2026-01", "c4-2026-01"]  # in the folders' order
    assert any("measurements.csv is UTF-16 text" in r for r in batches[0].reasons)
    assert any("'patient_name' that looks like a direct identifier" in r for r in batches[1].reasons)
    assert any("does not match the sha256 in manifest.json" in r for r in batches[2].reasons)


def test_files_with_one_header_share_a_scan_and_others_do_not(tmp_path):
    a = checks.check(new_batch(tmp_path / "c1-2026-01", "c1").write())
    b = checks.check(new_batch(tmp_path / "c2-2026-01", "c2").write())
    other = new_batch(tmp_path / "c3-2026-01", "c3")
    other.session_header = [c for c in SESSION_COLUMNS if c != "payer"]
    c = checks.check(other.write())
    assert a.files["sessions"].scan_key == b.files["sessions"].scan_key != c.files["sessions"].scan_key
    assert a.files["sessions"].scan_key != a.files["measurements"].scan_key


@pytest.fixture()
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.ensure_schema(con)
    reference.load_reference(con)
    yield con
    con.close()


def test_many_batches_in_one_scan_keep_each_files_row_numbers_and_reject_only_the_bad_one(tmp_path, con):
    good = [new_batch(tmp_path / f"c{i}-2026-01", f"c{i}") for i in (1, 2, 3)]
    good[1].formats = {"sessions": "parquet", "measurements": "parquet"}
    bad = new_batch(tmp_path / "c9-2026-01", "c9")
    bad.raw_bytes["measurements"] = b"clinic_id,session_id,measure,timepoint,value\nc9,S1,pain_nrs,pre\n"
    bad.manifest = False
    folders = [b.write() for b in (good[0], bad, good[1], good[2])]
    handled = ingest.receive_batches(con, folders)
    assert [b.accepted for b in handled] == [True, False, True, True]
    assert any("line 2 of the file has 4 fields but the header has 5" in r for r in handled[1].reasons)
    rows = con.execute("select _batch_id, count(*), min(_row_number), max(_row_number) from raw.measurements "
                       "group by all order by all").fetchall()
    assert rows == [(f"c{i}-2026-01", 12, 1, 12) for i in (1, 2, 3)]  # nothing of the rejected batch
    first = con.execute("select session_id, timepoint from raw.measurements "
                        "where _batch_id = 'c2-2026-01' and _row_number = 3").fetchall()
    assert first == [("S2", "pre")]  # the file's third data row
    assert ingest.receive_batches(con, folders) == []  # the same contents again: nothing to do


def test_the_sensors_fingerprint_is_that_of_0_4_1_so_run_keys_do_not_change(tmp_path):
    """The sensor's run key holds a folder's fingerprint: computed by other code since 0.4.2, it
    must stay the same digest (else every folder would be run again after an upgrade)."""
    folder = tmp_path / "c1-2026-01"
    (folder / "sub").mkdir(parents=True)
    for name in ("sessions.csv", "measurements.csv", "manifest.json", ".DS_Store", "sub/extra.csv"):
        (folder / name).write_text(name * 3)
    (folder / "gone.csv").symlink_to(tmp_path / "nowhere")
    settled = time.time() - 2 * SETTLE_SECONDS
    for path in folder.rglob("*"):
        if path.exists():
            os.utime(path, (settled, settled))
    files = sorted((p.name, p.stat()) for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    before = hashlib.sha256("\n".join(f"{n}:{st.st_size}:{st.st_mtime_ns}" for n, st in files).encode()).hexdigest()[:16]
    assert batch_fingerprint(folder) == before
