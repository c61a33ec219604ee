"""The cell statistics computed in DuckDB agree with pipeline.stats on the raw vectors."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pipeline import contract, stats
from tests.sql.conftest import add_scores, add_sessions, build_marts


def _episodes(con, rng, n, clinic, band_days, offset):
    sessions, scores, pairs = [], [], []
    for i in range(n):
        pid = f"{clinic}-p{offset + i:04d}"
        s1, s2 = f"{clinic}-s{offset + i:04d}a", f"{clinic}-s{offset + i:04d}b"
        sessions += [(clinic, pid, s1, dt.date(2026, 1, 1), "M545", 60),
                     (clinic, pid, s2, dt.date(2026, 1, 1) + dt.timedelta(days=band_days), "M545", 60)]
        x = float(rng.integers(3, 10))
        y = float(np.clip(x - rng.integers(-2, 5), 0, 10))  # integer scores: ties and zeros on purpose
        scores += [(clinic, s1, "pain_nrs", "pre", x), (clinic, s2, "pain_nrs", "post", y)]
        pairs.append((x, y))
    add_sessions(con, sessions)
    add_scores(con, scores)
    return pairs


@pytest.fixture()
def built(con):
    rng = np.random.default_rng(3)
    a = _episodes(con, rng, 40, "c1", 7, 0)      # weekly
    b = _episodes(con, rng, 25, "c1", 14, 100)   # fortnightly
    c = _episodes(con, rng, 30, "c2", 7, 200)    # weekly
    build_marts(con, contract.Settings(suppression_min_n=1))
    return con, {"c1": {"weekly": a, "fortnightly": b}, "c2": {"weekly": c}}


def _cell(con, level, clinic, band):
    cur = con.execute(
        "select * from marts.effect_sizes where level = $l and clinic_id is not distinct from $c "
        "and frequency_band = $b and measure = 'pain_nrs'", {"l": level, "c": clinic, "b": band})
    cols = [d[0] for d in cur.description]
    return dict(zip(cols, cur.fetchone()))


FIGURES = ["n", "baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post", "mean_improvement",
           "sd_improvement", "d_z", "g_z", "g_z_ci_low", "g_z_ci_high", "smcr", "smcr_var", "wilcoxon_p",
           "responders", "responder_rate", "responder_ci_low", "responder_ci_high"]


@pytest.mark.parametrize("level, clinic, band", [
    ("clinic", "c1", "weekly"), ("clinic", "c1", "fortnightly"), ("clinic", "c1", "all"),
    ("clinic", "c2", "weekly"), ("network", None, "weekly"), ("network", None, "all"),
])
def test_sql_cells_match_prepost_on_the_vectors(built, level, clinic, band):
    con, data = built
    clinics = [clinic] if clinic else list(data)
    pairs = [p for c in clinics for b, ps in data[c].items() if band in ("all", b) for p in ps]
    x, y = np.array(pairs).T
    expected = stats.prepost(x, y, better="lower", mcid=2.0)
    got = _cell(con, level, clinic, band)
    for f in FIGURES:
        want = getattr(expected, f)
        assert got[f] == pytest.approx(want, rel=1e-12, abs=1e-12), f


def test_q_values_are_bh_over_each_levels_published_cells(built):
    con, _ = built
    for level in ("network", "clinic"):
        p, q = zip(*con.execute("select wilcoxon_p, q_value from marts.effect_sizes where level = $l and not suppressed "
                                "order by clinic_id, frequency_band", {"l": level}).fetchall())
        assert list(q) == pytest.approx(stats.bh_qvalues(list(p)), rel=1e-12)
