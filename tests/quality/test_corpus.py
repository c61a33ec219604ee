"""Every case of the hostile-batch corpus, through ``outcomes validate`` and through the intake.

For each case: the exact outcome (rejected with exactly which reasons, or exactly which rows
quarantined with which codes), rows in raw = staged + quarantined, a rejected batch leaves
nothing in any layer and stays where it was, no traceback, and no identifying value printed.
"""
from __future__ import annotations

import re

import pytest

from pipeline import staging
from pipeline.cli import main
from pipeline.balance import unbalanced_batches

from tests.quality.conftest import (
    assert_balanced,
    assert_reasons,
    counts,
    quarantined,
    receive_and_stage,
    write_case,
)
from tests.quality.corpus import CASES, QUARANTINED, REJECTED, case_ids


def test_the_corpus_is_large_and_covers_every_reason_code():
    assert len(REJECTED) >= 30 and len(QUARANTINED) >= 20
    from pipeline import contract

    covered = {code for case in QUARANTINED for codes in case.quarantined.values() for code in codes}
    assert covered == set(contract.REASONS), set(contract.REASONS) ^ covered


@pytest.mark.parametrize("case", CASES, ids=case_ids())
def test_validate_reports_the_exact_outcome(tmp_path, capsys, case):
    folder = write_case(tmp_path, case)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text and err == ""
    for secret in case.secrets:
        assert secret not in text
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # validate changes nothing
    if case.rejected:
        assert code == 1
        n = len(case.reasons)
        assert f"REJECTED: it would not be loaded, for {n} reason{'s' if n > 1 else ''}:" in out
        for phrase in case.reasons:
            assert phrase in out
        return
    assert code == 0
    assert "ACCEPTED" in out
    by_table = _sections(out)
    for table in ("sessions", "measurements"):
        rows = sorted(n for (t, n) in case.quarantined if t == table)
        head, lines = by_table[table]
        if not rows:
            assert head == f"No {table[:-1]} row would be quarantined."
            continue
        assert head == f"{len(rows)} {table[:-1]} row{'s' if len(rows) > 1 else ''} would be quarantined, by reason:"
        codes = {c for (t, _), cs in case.quarantined.items() if t == table for c in cs}
        assert len(lines) == len(codes)  # one line per reason
        for code_ in codes:
            with_code = sorted(n for (t, n), cs in case.quarantined.items() if t == table and code_ in cs)
            line = next(ln for ln in lines if f"[{code_}]" in ln)
            more = ", ..." if len(with_code) > 5 else ""
            n = len(with_code)
            rows_ = f"{n} row{'s' if n > 1 else ''} (data row{'s' if n > 1 else ''} {', '.join(map(str, with_code[:5]))}{more})"
            assert line.endswith(f"[{code_}]: {rows_}")
    for phrase in case.warnings:
        assert phrase in out


def _sections(out: str) -> dict:
    """{table: (heading line, [reason lines])} of an accepted batch's report."""
    found, current = {}, None
    for line in out.splitlines():
        text = line.strip()
        m = re.match(r"(?:\d+ (\w+) rows? would be quarantined, by reason:|No (\w+) row would be quarantined\.)$", text)
        if m:
            current = (m.group(1) or m.group(2)) + "s"
            found[current] = (text, [])
        elif current and text.startswith("- "):
            found[current][1].append(text)
        elif not line.startswith("    "):
            current = None if not text.startswith("- ") else current
    return found


@pytest.mark.parametrize("case", CASES, ids=case_ids())
def test_intake_gives_the_exact_outcome_and_loses_nothing(tmp_path, wh, case):
    folder = write_case(tmp_path, case)
    batch = receive_and_stage(wh, folder)
    status, reasons, rows_raw, rows_staged, rows_quarantined = wh.execute(
        "select status, reasons, rows_raw, rows_staged, rows_quarantined from audit.batches where batch_id = $b",
        {"b": batch.batch_id}).fetchall()[0]
    layers = counts(wh, batch.batch_id)
    if case.rejected:
        assert status == "rejected"
        assert_reasons(reasons, case.reasons)
        assert reasons == batch.reasons
        assert rows_raw is None and sum(layers.values()) == 0  # nothing loaded, not even into raw
        assert folder.is_dir() and any(folder.iterdir())  # the batch stays where it was
        return
    assert status == "accepted" and reasons == [] and not batch.reasons
    assert quarantined(wh, batch.batch_id) == case.quarantined
    assert_balanced(wh, batch.batch_id)
    assert rows_raw == layers[("raw", "sessions")] + layers[("raw", "measurements")]
    assert rows_staged + rows_quarantined == rows_raw
    assert unbalanced_batches(staging.reconciliation(wh)) == []
    # every original value is kept, as text, in quarantine
    for table in ("sessions", "measurements"):
        lost = wh.execute(
            f"select count(*) from quarantine.{table} as q join raw.{table} as r using (_batch_id, _row_number) "  # constant
            f"where q.{'duration_min' if table == 'sessions' else 'value'} is distinct from "
            f"r.{'duration_min' if table == 'sessions' else 'value'}").fetchall()[0][0]
        assert lost == 0
    for phrase in case.warnings:
        assert any(phrase in w for w in batch.warnings), batch.warnings
