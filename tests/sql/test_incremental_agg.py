"""The agg layer built incrementally by clinic (issue 11): after new batches of one clinic, a
corrected delivery, a new clinic, a clinic removed or nothing changed, every agg table equals a
fresh full build exactly (all columns, floating-point sums bit for bit), and so do the marts
built from it; only the clinics whose episodes changed are rebuilt (the log and audit.agg_inputs
say which); a change of the fingerprint, of the episode layer's build or a missing table or
record rebuilds every clinic; a failure in the middle of a build changes nothing."""
from __future__ import annotations

import logging
import math

import pytest

from pipeline import agg, contract, marts
from tests.sql.test_incremental_episodes import SETTINGS, _build, _network, _replace, _rows, _scratch, _stage


def _exactly_equal(got: list[tuple], want: list[tuple]) -> bool:
    return len(got) == len(want) and all(
        len(a) == len(b) and all(x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))
        for a, b in zip(got, want))


def _assert_equal_to_scratch(con, settings=SETTINGS) -> None:
    """Every agg table, and every mart built from them, equal to a fresh full build's."""
    fresh = _scratch(con, settings)
    quiet = logging.getLogger("outcomes")
    quiet.disabled = True
    try:
        agg.build_all(fresh)
        marts.build_all(con, settings)
        marts.build_all(fresh, settings)
    finally:
        quiet.disabled = False
    for table in agg.TABLES:
        assert con.sql(f"describe agg.{table}").fetchall() == fresh.sql(f"describe agg.{table}").fetchall(), table
        got, want = _rows(con, "agg", table), _rows(fresh, "agg", table)
        assert len(want) > 0, table
        assert got == want, table  # floats too: == on every value
    published = [t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts' "
                                           "and table_type = 'BASE TABLE' order by 1").fetchall()]
    assert "effect_sizes" in published and "dose_response_points" in published
    for table in published:
        assert _exactly_equal(_rows(con, "marts", table), _rows(fresh, "marts", table)), table
    fresh.close()


def _said(caplog) -> list[str]:
    """What the last agg build said it rebuilt, one line per table."""
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("[aggregates] agg.")]
    caplog.clear()
    return lines


def _rebuilt_for(caplog, clinics: str) -> None:
    """Every agg table said it rebuilt exactly these clinics (', '-joined)."""
    n = len(clinics.split(", "))
    assert [line.rsplit(";", 1)[0] for line in _said(caplog)] == \
           [f"[aggregates] agg.{t} rebuilt for {n} clinic(s): {clinics}" for t in agg.TABLES]


def _recorded(con, table: str = "effect_cells") -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute("select clinic_id, sessions_digest, scores_digest, outcome_sessions_digest "
                                             "from audit.agg_inputs where agg_table = ?", [table]).fetchall()}


@pytest.fixture()
def built(con, caplog):
    caplog.set_level(logging.INFO, logger="outcomes")
    _network(con)
    # session minutes whose means are not exact in binary: a sum over clinics then depends on its order
    con.execute("update staging.sessions set duration_min = 20 + hash(session_id) % 71")
    _build(con)
    caplog.clear()
    agg.build_all(con)
    said = _said(caplog)
    assert len(said) == len(agg.TABLES)
    assert all("rebuilt for every clinic: no table" in line for line in said), said
    _assert_equal_to_scratch(con)
    caplog.clear()
    return con


def _rebuild(con) -> None:
    _build(con)
    agg.build_all(con)


def test_new_batches_a_correction_a_new_and_a_removed_clinic_rebuild_only_their_clinics(built, caplog):
    con = built
    before = _recorded(con)
    assert sorted(before) == ["c01", "c02", "c03", "c04"]
    _stage(con, "c02", "c02-m2", 2, seed=21)  # a new batch of one clinic (not the last: its rows move)
    caplog.clear()
    _rebuild(con)
    _rebuilt_for(caplog, "c02")
    after = _recorded(con)
    assert after["c02"] != before["c02"] and all(after[c] == before[c] for c in ("c01", "c03", "c04"))
    _assert_equal_to_scratch(con)

    _replace(con, "c03", "c03-m0", 0, seed=77)  # a corrected delivery, the same batch id
    caplog.clear()
    _rebuild(con)
    _rebuilt_for(caplog, "c03")
    _assert_equal_to_scratch(con)

    _stage(con, "c00", "c00-m0", 0, seed=5)  # a new clinic (first in every table's order)
    caplog.clear()
    _rebuild(con)
    _rebuilt_for(caplog, "c00")
    _assert_equal_to_scratch(con)

    con.execute("delete from staging.sessions where clinic_id = 'c02'")  # a clinic no longer staged
    con.execute("delete from staging.measurements where clinic_id = 'c02'")
    caplog.clear()
    _rebuild(con)
    _rebuilt_for(caplog, "c02")
    for table in agg.TABLES:
        assert con.execute(f"select count(*) from agg.{table} where clinic_id = 'c02'").fetchall() == [(0,)], table
    assert "c02" not in _recorded(con)
    _assert_equal_to_scratch(con)

    caplog.clear()
    _rebuild(con)  # nothing changed
    assert _said(caplog) == [f"[aggregates] agg.{t}: no clinic's episodes changed since it was built" for t in agg.TABLES]
    _assert_equal_to_scratch(con)


def test_a_changed_fingerprint_rebuilds_every_clinic(built, caplog, monkeypatch):
    con = built
    monkeypatch.setattr(agg, "_code_digest", lambda table: "other code")  # the SQL or agg.py changed
    _stage(con, "c01", "c01-m2", 2, seed=12)
    _rebuild(con)
    said = _said(caplog)
    assert len(said) == len(agg.TABLES) and all("rebuilt for every clinic: no record, or" in line for line in said), said
    _assert_equal_to_scratch(con)
    agg.build_all(con)
    assert all("no clinic's episodes changed" in line for line in _said(caplog))


def test_the_episode_layer_rebuilt_in_full_rebuilds_every_clinic(built, caplog):
    con = built
    longer = contract.Settings(episode_gap_days=20)  # other settings: every episode build changes
    _build(con, longer)
    caplog.clear()
    agg.build_all(con)
    assert all("rebuilt for every clinic" in line for line in _said(caplog))
    _assert_equal_to_scratch(con, longer)


def test_a_missing_table_or_record_rebuilds_every_clinic(built, caplog):
    con = built
    con.execute("drop table agg.trend_cells")
    agg.build_all(con)
    said = _said(caplog)
    assert [line for line in said if "every clinic" in line] == [s for s in said if s.startswith("[aggregates] agg.trend_cells ")]
    assert "rebuilt for every clinic: no table" in said[list(agg.TABLES).index("trend_cells")]
    con.execute("delete from audit.agg_inputs where agg_table = 'effect_cells'")
    agg.build_all(con)
    assert [line.split(";")[0] for line in _said(caplog) if "every clinic" in line] == \
           ["[aggregates] agg.effect_cells rebuilt for every clinic: no record, or the episode layer's builds, "
            "the SQL, parameters, registry or code differ"]
    con.execute("drop table audit.episode_outcome_inputs")  # what int_episode_outcomes was built from: unknown
    agg.build_all(con)
    readers = [t for t, inputs in agg.TABLES.items() if "int_episode_outcomes" in inputs]
    assert len(readers) == 6
    assert _said(caplog) == [
        f"[aggregates] agg.{t} rebuilt for every clinic: the episode layer has no record; {len(_rows(con, 'agg', t))} rows"
        if t in readers else f"[aggregates] agg.{t}: no clinic's episodes changed since it was built" for t in agg.TABLES]
    assert con.execute("select distinct agg_table from audit.agg_inputs order by 1").fetchall() == \
           [("completeness_cells",), ("condition_episodes",)]  # the others keep none: their next build is full too
    _assert_equal_to_scratch(con)


def test_a_failure_in_the_middle_of_a_build_changes_nothing(built, caplog, monkeypatch):
    con = built
    tables = {t: _rows(con, "agg", t) for t in agg.TABLES}
    record = _rows(con, "audit", "agg_inputs")
    _stage(con, "c02", "c02-m2", 2, seed=21)
    _build(con)
    real = agg.run

    def failing(c, name, params=None):
        if name == "audit/agg_inputs_insert":  # after the clinic's rows were deleted and inserted
            raise RuntimeError("interrupted")
        return real(c, name, params)

    monkeypatch.setattr(agg, "run", failing)
    for table in agg.TABLES:
        with pytest.raises(RuntimeError):
            agg.build(con, table)
    monkeypatch.setattr(agg, "run", real)
    assert {t: _rows(con, "agg", t) for t in agg.TABLES} == tables  # rolled back with the record
    assert _rows(con, "audit", "agg_inputs") == record
    caplog.clear()
    agg.build_all(con)
    _rebuilt_for(caplog, "c02")
    _assert_equal_to_scratch(con)


def test_the_marts_sum_floats_in_the_grains_order_whatever_order_agg_stores_its_rows(con, caplog):
    """An incremental build appends the changed clinic's rows at the end of each agg table; the
    marts' floating-point sums over clinics (mean session minutes) still equal a full build's bit
    for bit (summed in the order of the grain). Nine clinics with inexact means, the middle one
    changed: the marts differ in the last bits if the sums follow the stored order."""
    _network(con)
    for i, clinic in enumerate(("c05", "c06", "c07", "c08", "c09")):
        _stage(con, clinic, f"{clinic}-m0", 0, seed=100 + i, patients=30)
    con.execute("update staging.sessions set duration_min = 20 + hash(session_id) % 71")
    _rebuild(con)
    _stage(con, "c05", "c05-m1", 1, seed=200, patients=30)
    con.execute("update staging.sessions set duration_min = 20 + hash(session_id) % 71 where _batch_id = 'c05-m1'")
    caplog.set_level(logging.INFO, logger="outcomes")
    caplog.clear()
    _rebuild(con)
    _rebuilt_for(caplog, "c05")
    assert con.execute("select clinic_id from agg.duration_cells").fetchall()[-1] == ("c05",)  # stored last
    _assert_equal_to_scratch(con)
