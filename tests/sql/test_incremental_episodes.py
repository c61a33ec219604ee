"""The episode layer built incrementally by clinic (issue 11): after a new batch for some clinics,
a corrected delivery replacing a batch, a batch of a new clinic, rows removed or changed in
place, every intermediate table equals a full rebuild from scratch exactly (all columns, any
order), only the clinics whose staged rows changed are rebuilt, and a change of the settings,
the registry or a missing record rebuilds every clinic."""
from __future__ import annotations

import datetime as dt
import logging
import math
import random

import duckdb
import pytest

from pipeline import agg, contract, intermediate, marts, reference, warehouse

TABLES = ("int_episode_sessions", "int_episodes", "int_episode_measures", "int_episode_outcomes")
CODES = ("M545", "M5450", "M542", "S134XXA", "M25511", "M79604", "G44209")
MEASURES = ("pain_nrs", "ndi", "odi")
RANGES = {"pain_nrs": 10, "ndi": 50, "odi": 100}
SETTINGS = contract.Settings()


def _sessions(clinic: str, batch: str, month: int, seed: int, patients: int = 12, safe_harbor: bool = False,
              given_episodes: bool = False) -> tuple[list[tuple], list[tuple]]:
    """One export batch of a clinic: its session rows and score rows (as staging holds them).
    Each patient has sessions on distinct days of the month, some with a gap that starts a new
    episode in a later batch, some with the clinic's own episode id."""
    rnd = random.Random(seed)
    sessions, scores = [], []
    for p in range(patients):
        patient = f"{clinic}-p{p:03d}"
        code = CODES[(p + seed) % len(CODES)]
        days = sorted(rnd.sample(range(1, 29), rnd.randint(1, 5)))
        for k, day in enumerate(days):
            session = f"{batch}-s{p:03d}-{k}"
            date = dt.date(2025, 1, 1) + dt.timedelta(days=62 * month + day) if not safe_harbor else None
            day_number = 62 * month + day if safe_harbor else None
            episode = f"E{p}-{month // 2}" if given_episodes else None
            sessions.append((clinic, patient, session, episode, date, day_number,
                             2025 if safe_harbor else date.year, code, rnd.choice((30, 45, 60)), None, None, None,
                             ("18-44", "45-64", None)[p % 3], ("F", "M")[p % 2], ("self", "insurance", None)[p % 3],
                             batch, len(sessions) + 1))
            for measure in MEASURES[: 1 + p % 3]:
                for timepoint in (("pre", "post") if k in (0, len(days) - 1) else ("post",)):
                    value = float(rnd.randint(0, RANGES[measure]))
                    scores.append((clinic, session, measure, timepoint, value, batch, len(scores) + 1))
    return sessions, scores


def _stage(con, clinic: str, batch: str, month: int, seed: int, **kw) -> None:
    sessions, scores = _sessions(clinic, batch, month, seed, **kw)
    con.executemany("insert into staging.sessions values (" + ", ".join("?" * 17) + ")", sessions)
    con.executemany("insert into staging.measurements values (?, ?, ?, ?, ?, ?, ?)", scores)


def _replace(con, clinic: str, batch: str, month: int, seed: int) -> None:
    """A corrected delivery: the batch's rows replaced by a re-export with the same batch id."""
    con.execute("delete from staging.sessions where _batch_id = ?", [batch])
    con.execute("delete from staging.measurements where _batch_id = ?", [batch])
    _stage(con, clinic, batch, month, seed)


def _network(con) -> None:
    for c, clinic in enumerate(("c01", "c02", "c03", "c04")):
        for month in (0, 1):
            _stage(con, clinic, f"{clinic}-m{month}", month, seed=10 * c + month,
                   safe_harbor=clinic == "c04", given_episodes=clinic == "c03")


def _build(con, settings=SETTINGS) -> None:
    intermediate.build_episodes(con, settings)
    intermediate.build_episode_outcomes(con)


def _scratch(con, settings=SETTINGS) -> duckdb.DuckDBPyConnection:
    """A new warehouse holding the same staging and ref rows, built from scratch."""
    fresh = duckdb.connect()
    warehouse.ensure_schema(fresh)
    for schema, table in (("staging", "sessions"), ("staging", "measurements"),
                          ("ref", "measures"), ("ref", "condition_groups")):
        rows = con.sql(f"select * from {schema}.{table}").arrow()  # noqa: F841 (read by the next statement)
        fresh.execute(f"create or replace table {schema}.{table} as select * from rows")
    quiet = logging.getLogger("outcomes")
    quiet.disabled = True  # what the tests read is what the incremental build said
    try:
        _build(fresh, settings)
    finally:
        quiet.disabled = False
    return fresh


def _rows(con, schema: str, table: str) -> list[tuple]:
    key = lambda row: tuple((v is None, "" if v is None else str(v)) for v in row)  # noqa: E731
    return sorted(con.execute(f"select * from {schema}.{table}").fetchall(), key=key)


def _assert_equal_to_scratch(con, settings=SETTINGS) -> None:
    fresh = _scratch(con, settings)
    for table in TABLES:
        assert [d[:2] for d in con.sql(f"describe intermediate.{table}").fetchall()] == \
               [d[:2] for d in fresh.sql(f"describe intermediate.{table}").fetchall()], table
        got, want = _rows(con, "intermediate", table), _rows(fresh, "intermediate", table)
        assert len(got) == len(want) > 0, table
        assert got == want, table
    fresh.close()


def _rebuilt(caplog) -> str:
    """What the last build said it rebuilt (the episodes' line, then the outcomes')."""
    lines = [r.getMessage() for r in caplog.records if "rebuilt" in r.getMessage() or "no clinic" in r.getMessage()]
    caplog.clear()
    return " | ".join(lines)


@pytest.fixture()
def built(con, caplog):
    caplog.set_level(logging.INFO, logger="outcomes")
    _network(con)
    _build(con)
    assert "every clinic's episodes rebuilt (4 clinics): no episode tables" in _rebuilt(caplog)
    _assert_equal_to_scratch(con)
    return con


def test_new_batches_a_corrected_delivery_and_a_new_clinic_rebuild_only_their_clinics(built, caplog):
    con = built
    _stage(con, "c02", "c02-m2", 2, seed=21)                      # a new batch for two clinics
    _stage(con, "c04", "c04-m2", 2, seed=41, safe_harbor=True)
    _build(con)
    said = _rebuilt(caplog)
    assert "the episodes of 2 clinic(s) rebuilt (their staged rows changed): c02, c04" in said
    assert "int_episode_outcomes rebuilt for 2 clinic(s)" in said
    _assert_equal_to_scratch(con)

    _replace(con, "c01", "c01-m1", 1, seed=99)                     # a corrected delivery, same batch id
    _stage(con, "c05", "c05-m0", 0, seed=50)                       # a new clinic
    _build(con)
    assert "the episodes of 2 clinic(s) rebuilt (their staged rows changed): c01, c05" in _rebuilt(caplog)
    _assert_equal_to_scratch(con)

    con.execute("delete from staging.measurements where _batch_id = 'c03-m1' and _row_number % 3 = 0")  # rows removed
    con.execute("update staging.sessions set session_date = session_date + 40 where _batch_id = 'c01-m0' and _row_number = 2")
    _build(con)
    assert "the episodes of 2 clinic(s) rebuilt (their staged rows changed): c01, c03" in _rebuilt(caplog)
    _assert_equal_to_scratch(con)

    con.execute("delete from staging.sessions where clinic_id = 'c02'")  # a clinic no longer staged
    con.execute("delete from staging.measurements where clinic_id = 'c02'")
    _build(con)
    assert "the episodes of 1 clinic(s) rebuilt" in _rebuilt(caplog)
    _assert_equal_to_scratch(con)
    assert con.execute("select count(*) from intermediate.int_episode_outcomes where clinic_id = 'c02'").fetchone() == (0,)

    _build(con)                                                    # nothing changed
    assert _rebuilt(caplog) == "[episodes] no clinic's staged rows changed since the episodes were built"
    _assert_equal_to_scratch(con)


def test_the_marts_after_an_incremental_build_equal_those_of_a_full_one(built):
    con = built
    agg.build_all(con)
    marts.build_all(con, SETTINGS)
    _stage(con, "c02", "c02-m2", 2, seed=21)
    _replace(con, "c03", "c03-m0", 0, seed=77)
    _build(con)
    agg.build_all(con)
    marts.build_all(con, SETTINGS)
    fresh = _scratch(con)
    agg.build_all(fresh)
    marts.build_all(fresh, SETTINGS)
    published = [t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts' "
                                           "and table_type = 'BASE TABLE' order by 1").fetchall()]
    assert "effect_sizes" in published
    for table in published:
        got, want = _rows(con, "marts", table), _rows(fresh, "marts", table)
        assert len(got) == len(want), table
        for a, b in zip(got, want):  # exactly equal: NaN where the other has NaN
            assert all(x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)) for x, y in zip(a, b)), table


def test_a_settings_change_rebuilds_every_clinic(built, caplog):
    con = built
    longer = contract.Settings(episode_gap_days=20)
    _build(con, longer)
    said = _rebuilt(caplog)
    assert "every clinic's episodes rebuilt (4 clinics): settings, registry, schema or code differ" in said
    assert "int_episode_outcomes rebuilt for every clinic" in said
    _assert_equal_to_scratch(con, longer)
    assert warehouse.run(con, "audit/analysis_settings") == [("episode_gap_days", "20")]
    _build(con, longer)
    assert "no clinic's staged rows changed" in _rebuilt(caplog)


def test_recorded_settings_that_differ_rebuild_every_clinic(built, caplog):
    con = built
    warehouse.run(con, "audit/analysis_setting_record", {"setting": "episode_gap_days", "value": "30"})
    _build(con)
    assert "every clinic's episodes rebuilt (4 clinics): the recorded analysis settings differ" in _rebuilt(caplog)
    _assert_equal_to_scratch(con)


def test_a_registry_change_or_a_missing_record_rebuilds_every_clinic(built, caplog):
    con = built
    con.execute("update ref.measures set mcid = mcid + 1 where code = 'ndi'")
    _build(con)
    said = _rebuilt(caplog)
    assert "every clinic's episodes rebuilt" in said and "int_episode_outcomes rebuilt for every clinic" in said
    _assert_equal_to_scratch(con)
    con.execute("drop table audit.episode_inputs")
    _build(con)
    assert "every clinic's episodes rebuilt (4 clinics): no record of the last build" in _rebuilt(caplog)
    reference.load_reference(con)
    con.execute("drop table intermediate.int_episodes")
    _build(con)
    assert "every clinic's episodes rebuilt (4 clinics): no episode tables" in _rebuilt(caplog)
    _assert_equal_to_scratch(con)


def test_an_interrupted_incremental_build_changes_nothing(built, caplog, monkeypatch):
    con = built
    before = {t: _rows(con, "intermediate", t) for t in TABLES}
    _stage(con, "c01", "c01-m2", 2, seed=12)
    real = intermediate.run

    def failing(c, name, params=None):
        if name.endswith("insert_int_episode_measures"):
            raise RuntimeError("interrupted")
        return real(c, name, params)

    monkeypatch.setattr(intermediate, "run", failing)
    with pytest.raises(RuntimeError):
        intermediate.build_episodes(con, SETTINGS)
    monkeypatch.setattr(intermediate, "run", real)
    assert {t: _rows(con, "intermediate", t) for t in TABLES} == before  # rolled back with its record
    _build(con)
    assert "the episodes of 1 clinic(s) rebuilt (their staged rows changed): c01" in _rebuilt(caplog)
    _assert_equal_to_scratch(con)
