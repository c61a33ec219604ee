"""An empty month is a valid export: files with a header (CSV) or a schema (Parquet) and no rows,
with a manifest saying ``rows: 0``, are accepted with 0 rows, never rejected; ``outcomes validate``
says so, and the quality page shows the batch with 0 rows."""
from __future__ import annotations

import json
import re

import pytest

from pipeline import staging, validate
from pipeline.cli import main
from pipeline.balance import unbalanced_batches

from tests.quality.batches import new_batch
from tests.quality.conftest import assert_balanced, counts, receive_and_stage


def _empty_month(folder, clinic, fmt="csv", sessions=True, measurements=True):
    batch = new_batch(folder, clinic)
    batch.formats = {"sessions": fmt, "measurements": fmt}
    if sessions:
        batch.sessions.clear()
    if measurements:
        batch.measurements.clear()
    return batch.write()


def _audit(con, batch_id):
    return con.execute("select status, reasons, rows_raw, rows_staged, rows_quarantined from audit.batches "
                       "where batch_id = $b", {"b": batch_id}).fetchall()


def _file_rows(con, batch_id):
    return dict(con.execute("select file_name, rows from audit.batch_files where batch_id = $b", {"b": batch_id}).fetchall())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_empty_month_is_accepted_with_0_rows(tmp_path, wh, fmt, capsys):
    folder = _empty_month(tmp_path / "inbox" / "c1-2026-02", "c1", fmt)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [f["rows"] for f in manifest["files"]] == [0, 0]
    if fmt == "csv":
        assert (folder / "sessions.csv").read_text().count("\n") == 1  # the header only

    report = validate.validate_batch(folder)
    assert report.accepted and report.reasons == [] and report.rows == {"sessions": 0, "measurements": 0}
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "ACCEPTED (0 sessions, 0 measurements)." in out and "REJECTED" not in out

    batch = receive_and_stage(wh, folder)
    assert batch.accepted and batch.warnings == []  # the manifest says rows: 0, so nothing to note
    assert _audit(wh, "c1-2026-02") == [("accepted", [], 0, 0, 0)]
    assert _file_rows(wh, "c1-2026-02") == {f"sessions.{fmt}": 0, f"measurements.{fmt}": 0}
    assert sum(counts(wh, "c1-2026-02").values()) == 0
    assert staging.pending_batches(wh, "sessions") == staging.pending_batches(wh, "measurements") == []
    assert unbalanced_batches(staging.reconciliation(wh)) == []


def test_an_empty_month_without_a_manifest_is_accepted_with_a_note(tmp_path, wh):
    batch = new_batch(tmp_path / "inbox" / "c1-2026-02", "c1")
    batch.sessions.clear()
    batch.measurements.clear()
    batch.manifest = False
    received = receive_and_stage(wh, batch.write())
    assert received.accepted
    assert "sessions.csv has no rows: a month without sessions, which is a valid export" in received.warnings
    assert _audit(wh, "c1-2026-02") == [("accepted", [], 0, 0, 0)]


def test_a_manifest_that_counts_rows_the_file_does_not_have_still_rejects(tmp_path, wh):
    batch = new_batch(tmp_path / "inbox" / "c1-2026-02", "c1")
    batch.sessions.clear()
    batch.measurements.clear()
    batch.manifest_edit = lambda m: m["files"][0].update(rows=3)
    received = receive_and_stage(wh, batch.write())
    assert not received.accepted
    assert received.reasons == ["sessions.csv has 0 rows but manifest.json says 3 (truncated or altered file)"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_no_sessions_but_scores_of_an_earlier_months_sessions(tmp_path, wh, fmt):
    """Empty sessions, non-empty measurements that refer to the sessions of an earlier batch:
    accepted, and the scores are staged against the sessions received before."""
    first = new_batch(tmp_path / "inbox" / "c1-2026-01", "c1")
    del first.measurements[6:]  # the scores of sessions S1 to S3 come with them...
    assert receive_and_stage(wh, first.write()).accepted
    second = new_batch(tmp_path / "inbox" / "c1-2026-02", "c1")
    second.formats = {"sessions": fmt, "measurements": fmt}
    second.sessions.clear()
    del second.measurements[:6]  # ...those of S4 to S6 a month later, with no session of their own
    folder = second.write()

    report = validate.validate_batch(folder)  # validate knows only this batch: unknown sessions, but accepted
    assert report.accepted and report.rows == {"sessions": 0, "measurements": 6}
    assert main(["validate", str(folder)]) == 0

    batch = receive_and_stage(wh, folder)
    assert batch.accepted
    assert _audit(wh, "c1-2026-02") == [("accepted", [], 6, 6, 0)]
    c = counts(wh, "c1-2026-02")
    assert (c[("raw", "sessions")], c[("staging", "measurements")], c[("quarantine", "measurements")]) == (0, 6, 0)
    assert_balanced(wh, "c1-2026-02")
    assert unbalanced_batches(staging.reconciliation(wh)) == []


def test_the_quality_page_shows_an_empty_month_with_0_rows(tmp_path):
    inbox = tmp_path / "inbox"
    new_batch(inbox / "c1-2026-01", "c1").write()
    _empty_month(inbox / "c1-2026-02", "c1")
    _empty_month(inbox / "c1-2026-03", "c1", "parquet")
    assert main(["run", "--inbox", str(inbox), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "reports")]) == 0
    html = (tmp_path / "reports" / "quality.html").read_text(encoding="utf-8")
    for batch_id in ("c1-2026-02", "c1-2026-03"):
        row = re.search(rf"<tr><td[^>]*><code>{batch_id}</code>.*?</tr>", html, re.S)
        assert row, batch_id
        assert "accepted" in row.group(0)
        cells = re.findall(r'<td class="num rows">([^<]*)</td>', row.group(0))
        assert cells == ["0"] * 6, cells
