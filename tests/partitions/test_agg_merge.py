"""The aggregates layer merges: the marts built from agg.* alone, on a warehouse that holds only
ref.* and the UNION ALL of several sites' agg tables (clinics split between the sites, the
sites and their rows in any order), equal the single run's marts: counts and strings exactly,
floats to 1e-12 relative (docs/aggregates-layer.md)."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline import agg, contract, marts, reference
from pipeline.cli import main
from pipeline.marts import grain

MARTS = tuple(grain.GRAIN)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A demo network run the ordinary way (intake to reports)."""
    root = tmp_path_factory.mktemp("single")
    inbox, wh = root / "inbox", root / "w.duckdb"
    assert main(["demo", "--out", str(inbox), "--clinics", "5", "--patients", "500", "--seed", "7"]) == 0
    mp = pytest.MonkeyPatch()
    mp.setenv("BROWSER_PATH", "/nonexistent/chromium")
    try:
        assert main(["run", "--inbox", str(inbox), "--warehouse", str(wh), "--reports", str(root / "reports")]) == 0
    finally:
        mp.undo()
    return wh


def _hub(site_path, order: list[int], sites: int, seed: int) -> duckdb.DuckDBPyConnection:
    """A warehouse with ref.* and the agg tables of ``sites`` sites (clinics dealt round-robin),
    united in the given site order, each site's rows shuffled: and nothing else."""
    hub = duckdb.connect()
    for schema in ("ref", "agg", "marts"):
        hub.execute(f"create schema {schema}")
    reference.load_reference(hub)
    hub.execute(f"attach '{site_path}' as site (read_only)")
    clinics = [c for (c,) in hub.execute("select distinct clinic_id from site.agg.condition_episodes order by 1").fetchall()]
    parts = [clinics[i::sites] for i in range(sites)]
    for table in agg.TABLES:
        selects = [f"(select * from site.agg.{table} where list_contains($p{i}, clinic_id) order by hash(rowid + {seed}))"
                   for i in order]
        hub.execute(f"create table agg.{table} as " + " union all ".join(selects),
                    {f"p{i}": parts[i] for i in order})
    hub.execute("detach site")
    return hub


def _mart(con, name) -> pd.DataFrame:
    return con.execute(f"select * from marts.{name}").df()


def _same(want: pd.DataFrame, got: pd.DataFrame, name: str) -> float:
    assert list(got.columns) == list(want.columns), name
    assert len(got) == len(want), name
    floats = [c for c in want.columns if pd.api.types.is_float_dtype(want[c]) or pd.api.types.is_float_dtype(got[c])]
    keys = [c for c in want.columns if c not in floats]
    as_text = {c: (lambda s: s.map(repr)) for c in keys}
    want = want.assign(**{c: f(want[c]) for c, f in as_text.items()}).sort_values(keys).reset_index(drop=True)
    got = got.assign(**{c: f(got[c]) for c, f in as_text.items()}).sort_values(keys).reset_index(drop=True)
    assert got[keys].equals(want[keys]), f"{name}: counts or keys differ"
    worst = 0.0
    for c in floats:
        x, y = want[c].to_numpy(float), got[c].to_numpy(float)
        assert np.array_equal(np.isnan(x), np.isnan(y)), f"{name}.{c}: null in one only"
        m = ~np.isnan(x)
        rel = np.abs(x[m] - y[m]) / np.maximum(np.abs(x[m]), 1e-300)
        rel[np.abs(x[m] - y[m]) <= 1e-15] = 0.0
        worst = max(worst, float(rel.max(initial=0.0)))
    assert worst <= 1e-12, f"{name}: worst relative difference {worst:.1e}"
    return worst


@pytest.mark.parametrize("order, sites, seed", [([0, 1, 2], 3, 1), ([2, 0, 1], 3, 2), ([1, 0], 2, 3)])
def test_marts_from_merged_sites_equal_the_single_run(site, order, sites, seed):
    single = duckdb.connect(str(site), read_only=True)
    try:
        want = {name: _mart(single, name) for name in MARTS}
    finally:
        single.close()
    hub = _hub(site, order, sites, seed)
    rows = marts.build_all(hub, contract.Settings())
    assert set(rows) == set(MARTS)
    for name in MARTS:
        _same(want[name], _mart(hub, name), name)
    assert {t for (t,) in hub.execute("select table_schema from information_schema.tables").fetchall()} == {
        "ref", "agg", "marts"}


def test_agg_tables_carry_no_patient_episode_or_date(site):
    con = duckdb.connect(str(site), read_only=True)
    try:
        cols = con.execute("select table_name, column_name, data_type from information_schema.columns "
                           "where table_schema = 'agg'").fetchall()
    finally:
        con.close()
    assert {t for t, _, _ in cols} == set(agg.TABLES) == set(agg.KEYS)
    assert all(any(c == "clinic_id" for t2, c, _ in cols if t2 == t) for t in agg.TABLES)
    assert not [c for _, c, ty in cols if "patient" in c or "episode_id" in c or "date" in c or ty in ("DATE", "TIMESTAMP")]


def test_agg_tables_are_unique_on_their_keys(site):
    con = duckdb.connect(str(site), read_only=True)
    try:
        for table, keys in agg.KEYS.items():
            frame = con.execute(f"select * from agg.{table}").df()
            assert len(frame) > 0, table
            assert grain.duplicate_keys(frame, keys).empty, table
    finally:
        con.close()
