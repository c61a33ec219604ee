"""Deliveries over time: a rejected batch, its correction, the same content twice, a re-export.

A rejected batch loads nothing and stays where it is; once a corrected batch (new content)
arrives it is processed. The same content sent twice is loaded once. A re-export with the
same export_id replaces the earlier delivery, in every layer and in audit.checks; a re-export
that is itself rejected leaves the earlier delivery as it was.
"""
from __future__ import annotations

import json
import os
import shutil
import time

from pipeline import ingest, staging, suites
from pipeline.balance import unbalanced_batches

from tests.quality.batches import new_batch
from tests.quality.conftest import assert_balanced, counts, quarantined, receive_and_stage


def _audit(con, batch_id):
    return con.execute("select status, reasons, rows_raw, rows_staged, rows_quarantined from audit.batches "
                       "where batch_id = $b order by loaded_at", {"b": batch_id}).fetchall()


def test_a_rejected_batch_loads_nothing_and_its_correction_is_processed(tmp_path, wh):
    bad = new_batch(tmp_path / "inbox" / "c1-2026-01", "c1")
    bad.session_header.append("Patient Name")
    for r in bad.sessions:
        r["Patient Name"] = "Jane Roe"
    folder = bad.write()
    batch = receive_and_stage(wh, folder)
    assert not batch.accepted
    assert _audit(wh, "c1-2026-01") == [("rejected", batch.reasons, None, None, None)]
    assert sum(counts(wh, "c1-2026-01").values()) == 0
    assert (folder / "sessions.csv").is_file()  # left in place

    assert receive_and_stage(wh, folder) is None  # the same content again: nothing to do
    assert len(_audit(wh, "c1-2026-01")) == 1

    good = new_batch(tmp_path / "inbox" / "c1-2026-01-fixed", "c1", export_id="c1-2026-01")
    batch = receive_and_stage(wh, good.write())
    assert batch.accepted
    assert [row[0] for row in _audit(wh, "c1-2026-01")] == ["rejected", "accepted"]
    assert counts(wh, "c1-2026-01")[("staging", "sessions")] == 6
    assert_balanced(wh, "c1-2026-01")


def test_a_corrected_manifest_alone_is_a_new_delivery(tmp_path, wh):
    b = new_batch(tmp_path / "c2-2026-01", "c2")
    b.manifest_edit = lambda m: m.update(schema_version="7")
    folder = b.write()
    assert not receive_and_stage(wh, folder).accepted
    b.manifest_edit = None
    b.write()  # same data files, a manifest that is right now
    assert receive_and_stage(wh, folder).accepted


def test_the_same_content_twice_is_loaded_once(tmp_path, wh):
    folder = new_batch(tmp_path / "c3-2026-01", "c3").write()
    assert receive_and_stage(wh, folder).accepted
    copy = tmp_path / "c3-2026-01-sent-again"
    shutil.copytree(folder, copy)
    assert receive_and_stage(wh, copy) is None
    assert counts(wh, "c3-2026-01")[("raw", "sessions")] == 6
    assert wh.execute("select count(*) from audit.batches").fetchall()[0][0] == 1


def test_a_reexport_with_the_same_export_id_replaces_the_earlier_one(tmp_path, wh):
    first = new_batch(tmp_path / "c4-2026-01", "c4")
    first.sessions[1]["duration_min"] = "5"  # quarantined in the first delivery
    assert receive_and_stage(wh, first.write()).accepted
    for table in ("sessions", "measurements"):
        suites.check_new_batches(wh, table)
    assert quarantined(wh, "c4-2026-01")[("sessions", 2)] == {"duration_out_of_range"}
    checks_before = wh.execute("select count(*) from audit.checks where batch_id = 'c4-2026-01'").fetchall()[0][0]
    assert checks_before > 0

    again = new_batch(tmp_path / "c4-2026-01-reexport", "c4", export_id="c4-2026-01")
    again.sessions.append(dict(again.sessions[0], session_id="S7"))  # corrected, and one session more
    batch = receive_and_stage(wh, again.write())
    assert batch.accepted and any("replaces the earlier delivery" in w for w in batch.warnings)
    assert [r[0] for r in _audit(wh, "c4-2026-01")] == ["replaced", "accepted"]
    assert counts(wh, "c4-2026-01") == {
        ("raw", "sessions"): 7, ("raw", "measurements"): 12, ("staging", "sessions"): 7,
        ("staging", "measurements"): 12, ("quarantine", "sessions"): 0, ("quarantine", "measurements"): 0}
    # the earlier delivery's check results are gone; the new one is split and waits for the suites
    results = dict(wh.execute("select suite, count(*) from audit.checks where batch_id = 'c4-2026-01' group by all").fetchall())
    assert results == {staging.SPLIT_SUITE: 2}
    assert suites.pending_batches(wh, "sessions") == ["c4-2026-01"]
    assert unbalanced_batches(staging.reconciliation(wh)) == []


def test_a_rejected_reexport_leaves_the_earlier_delivery_as_it_was(tmp_path, wh):
    assert receive_and_stage(wh, new_batch(tmp_path / "c5-2026-01", "c5").write()).accepted
    before = counts(wh, "c5-2026-01")
    broken = new_batch(tmp_path / "c5-2026-01-reexport", "c5", export_id="c5-2026-01")
    broken.late_bytes["sessions.csv"] = b"clinic_id,patient_id\n"  # truncated after the manifest was written
    batch = receive_and_stage(wh, broken.write())
    assert not batch.accepted
    assert [r[0] for r in _audit(wh, "c5-2026-01")] == ["accepted", "rejected"]
    assert counts(wh, "c5-2026-01") == before


def test_sessions_and_scores_across_batches(tmp_path, wh):
    """A score may come in a later batch than its session; a session id sent again is a duplicate;
    a session quarantined before and sent again corrected is staged."""
    jan = new_batch(tmp_path / "c6-2026-01", "c6")
    jan.sessions[2]["duration_min"] = "500"  # S3 quarantined in January
    jan.measurements = jan.measurements[:2]  # scores of S1 only
    assert receive_and_stage(wh, jan.write()).accepted
    feb = new_batch(tmp_path / "c6-2026-02", "c6")
    feb.sessions = [dict(feb.sessions[0]), dict(feb.sessions[2], session_date="2026-02-03")]  # S1 again, S3 corrected
    feb.measurements = [dict(feb.measurements[2]), dict(feb.measurements[4])]  # scores of S2 (January) and S3
    assert receive_and_stage(wh, feb.write()).accepted
    assert quarantined(wh, "c6-2026-02") == {("sessions", 1): {"session_id_duplicate"}}
    staged = wh.execute("select session_id, _batch_id from staging.sessions where clinic_id = 'c6' and session_id = 'S3'").fetchall()
    assert staged == [("S3", "c6-2026-02")]
    for b in ("c6-2026-01", "c6-2026-02"):
        assert_balanced(wh, b)


def test_staging_again_after_an_interruption_counts_nothing_twice(tmp_path, wh):
    folder = new_batch(tmp_path / "c7-2026-01", "c7").write()
    receive_and_stage(wh, folder)
    wh.execute("update audit.batches set rows_staged = null where batch_id = 'c7-2026-01'")  # as if interrupted
    assert staging.pending_batches(wh, "sessions") == ["c7-2026-01"]
    staging.stage_pending(wh)
    assert_balanced(wh, "c7-2026-01")
    split = wh.execute("select table_name, details from audit.checks where suite = $s order by 1",
                       {"s": staging.SPLIT_SUITE}).fetchall()
    assert [(t, json.loads(d)["rows_raw"]) for t, d in split] == [("measurements", 12), ("sessions", 6)]


def _settle(folder, seconds_ago: float = 60.0) -> None:
    """Date every file of a folder back, as if it had been delivered a while ago."""
    when = time.time() - seconds_ago
    for path in folder.iterdir():
        os.utime(path, (when, when))


def _checked(monkeypatch) -> list:
    """The folders each receive checks whole (hashes every byte of)."""
    calls: list = []
    real = ingest.check_batches
    monkeypatch.setattr(ingest, "check_batches", lambda folders: calls.append([f.name for f in folders]) or real(folders))
    return calls


def test_an_unchanged_folder_is_not_read_again_and_any_change_reads_it_whole(tmp_path, wh, monkeypatch):
    checked = _checked(monkeypatch)
    first = new_batch(tmp_path / "inbox" / "c6-2026-01", "c6")
    folder = first.write()
    _settle(folder)
    assert ingest.receive_batches(wh, [folder])[0].accepted
    recorded = wh.execute("select folder, sha256 from audit.received_folders").fetchall()
    assert recorded == [(str(folder), _audit_sha(wh, "c6-2026-01"))]

    assert ingest.receive_batches(wh, [folder]) == []  # unchanged: only listed
    assert checked == [["c6-2026-01"], []]

    _settle(folder, seconds_ago=30.0)  # touched, not changed: read whole once, then trusted again
    assert ingest.receive_batches(wh, [folder]) == []
    assert ingest.receive_batches(wh, [folder]) == []
    assert checked[2:] == [["c6-2026-01"], []]

    first.sessions[0]["duration_min"] = "45" if first.sessions[0]["duration_min"] != "45" else "50"  # same size
    first.write()  # a correction, just written: read whole, and its fingerprint not kept while it may still change
    batch = ingest.receive_batches(wh, [folder])[0]
    assert batch.accepted and batch.warnings[-1] == "replaces the earlier delivery of export c6-2026-01"
    assert ingest.receive_batches(wh, [folder]) == []
    assert checked[4:] == [["c6-2026-01"], ["c6-2026-01"]]
    assert wh.execute("select count(*) from audit.batches where batch_id = 'c6-2026-01'").fetchall()[0][0] == 2


def test_a_fingerprint_is_trusted_only_while_its_content_is_on_record(tmp_path, wh, monkeypatch):
    checked = _checked(monkeypatch)
    folder = new_batch(tmp_path / "inbox" / "c7-2026-01", "c7").write()
    _settle(folder)
    assert ingest.receive_batches(wh, [folder])[0].accepted
    wh.execute("delete from audit.batches")  # e.g. a warehouse restored from before the delivery
    assert ingest.receive_batches(wh, [folder])[0].accepted
    assert checked == [["c7-2026-01"], ["c7-2026-01"]]


def _audit_sha(con, batch_id):
    return con.execute("select sha256 from audit.batches where batch_id = $b", {"b": batch_id}).fetchall()[0][0]
