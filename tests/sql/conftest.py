"""An in-memory warehouse with the project's schema, for SQL model tests on hand-built rows."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipeline import agg, contract, intermediate, marts, reference, warehouse


@pytest.fixture()
def con():
    c = duckdb.connect()
    warehouse.ensure_schema(c)
    reference.load_reference(c)
    yield c
    c.close()


def add_sessions(con, rows):
    """rows: (clinic, patient, session, date or day, code, duration[, episode_id, age_band, sex, payer])."""
    for r in rows:
        clinic, patient, session, when, code, duration, *rest = r
        episode_id, age_band, sex, payer = (rest + [None] * 4)[:4]
        date = when if isinstance(when, dt.date) else None
        day = when if isinstance(when, int) else None
        year = 2026 if day is not None else None
        con.execute(
            "insert into staging.sessions values ($c, $p, $s, $e, $d, $day, $y, $code, $dur, null, null, null, $a, $sex, $payer, 'b1', 1)",
            {"c": clinic, "p": patient, "s": session, "e": episode_id, "d": date, "day": day, "y": year or (date.year if date else None),
             "code": code, "dur": duration, "a": age_band, "sex": sex, "payer": payer},
        )


def add_scores(con, rows):
    """rows: (clinic, session, measure, timepoint, value)."""
    con.executemany("insert into staging.measurements values (?, ?, ?, ?, ?, 'b1', 1)", rows)


def rows(con, query, params=None):
    return con.execute(query, params or {}).fetchall()


def build_episodes(con, settings: contract.Settings = contract.Settings()) -> None:
    """The episode layer from staging, and marts.episode_outcomes over it."""
    intermediate.build_episodes(con, settings)
    intermediate.build_episode_outcomes(con)
    marts.build_episode_outcomes(con)


def build_marts(con, settings: contract.Settings = contract.Settings()) -> None:
    """Everything after staging, as a run builds it: intermediate, agg, then the marts from agg."""
    build_episodes(con, settings)
    agg.build_all(con)
    marts.build_all(con, settings)
