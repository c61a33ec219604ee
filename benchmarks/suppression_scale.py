"""How small-cell suppression scales with the size of the network.

    .venv/bin/python benchmarks/suppression_scale.py [N_CLINICS ...]      (default 40 400 4000)

Builds a synthetic network of N clinics (a mix of small and large clinics: episodes per
clinic log-normal, so many cells are small) x 7 condition groups x 3 measures x the five
frequency bands and the ``all`` band, with the network rows; the clinic trends (8 quarters
and ``all`` per clinic x condition x measure, their ``all`` tied to the effect table as
``pipeline.marts.clinic_trends`` does); and the completeness table (clinic and network
rows per condition x measure, tied to the effect table as ``pipeline.marts.completeness`` does). Runs the
three suppressions and prints, per table, the cells, the cells hidden, and the seconds.
Only cells with at least one episode exist, as in the warehouse.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from pipeline.marts.clinic_trends import TREND_FIGURES, TREND_KEYS
from pipeline.marts.effect_sizes import COLUMNS
from pipeline.suppression import COMPLETENESS_HIERARCHIES, TREND_HIERARCHIES, suppress_counts, suppress_effect_sizes

CONDITIONS = ["neck_pain", "low_back_pain", "shoulder", "headache", "knee", "hip", "fibromyalgia"]
MEASURES = ["pain_nrs", "psfs", "promis_pf"]
BANDS = ["twice_weekly", "weekly", "fortnightly", "monthly", "single_session"]
BAND_P = np.array([0.15, 0.35, 0.25, 0.15, 0.10])
PERIODS = [f"{y}-Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
MIN_N = 11


def _network(n_clinics: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Episodes per clinic x condition x measure x band (and responders), shape (N, 7, 3, 5)."""
    rng = np.random.default_rng(seed)
    clinic_size = rng.lognormal(mean=7.5, sigma=1.0, size=n_clinics)          # median ~1,800 episodes
    clinic_size[rng.random(n_clinics) < 0.3] /= 10                             # a third are small clinics
    cond_share = rng.dirichlet(np.full(len(CONDITIONS), 2.0), size=n_clinics)
    measured = rng.uniform(0.3, 0.9, size=(n_clinics, 1, len(MEASURES)))
    lam = clinic_size[:, None, None] * cond_share[:, :, None] * measured
    total = rng.poisson(lam)
    n = np.zeros(total.shape + (len(BANDS),), dtype=np.int64)
    flat = total.reshape(-1)
    n.reshape(-1, len(BANDS))[:] = rng.multinomial(flat, BAND_P)
    responders = rng.binomial(n, 0.55)
    return n, responders


def effect_table(n: np.ndarray, responders: np.ndarray) -> pd.DataFrame:
    n_clinics = n.shape[0]
    clinics = np.array([f"clinic{i:05d}" for i in range(n_clinics)], dtype=object)
    n_all = np.concatenate([n, n.sum(axis=3, keepdims=True)], axis=3)           # clinic rows with 'all'
    r_all = np.concatenate([responders, responders.sum(axis=3, keepdims=True)], axis=3)
    n_full = np.concatenate([n_all, n_all.sum(axis=0, keepdims=True)], axis=0)  # + the network row
    r_full = np.concatenate([r_all, r_all.sum(axis=0, keepdims=True)], axis=0)
    shape = n_full.shape
    idx = np.indices(shape).reshape(len(shape), -1)
    df = pd.DataFrame({
        "level": np.where(idx[0] == n_clinics, "network", "clinic"),
        "clinic_id": np.append(clinics, None)[idx[0]],
        "condition_group": np.array(CONDITIONS, dtype=object)[idx[1]],
        "frequency_band": np.array(BANDS + ["all"], dtype=object)[idx[3]],
        "measure": np.array(MEASURES, dtype=object)[idx[2]],
        "n": n_full.reshape(-1), "responders": r_full.reshape(-1),
    })
    df = df[df["n"] > 0].reset_index(drop=True)
    rng = np.random.default_rng(1)
    for col in COLUMNS:
        if col not in df:
            df[col] = rng.normal(size=len(df)) if col not in ("q_value", "suppressed") else None
    df["suppressed"] = False
    return df[COLUMNS]


def trend_table(n: np.ndarray, responders: np.ndarray, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    total = n.sum(axis=3)                                                     # (N, 7, 3)
    per = rng.multinomial(total.reshape(-1), np.full(len(PERIODS), 1 / len(PERIODS))).reshape(total.shape + (len(PERIODS),))
    per = np.concatenate([per, total[..., None]], axis=3)
    resp = rng.binomial(per, 0.55)
    resp[..., -1] = resp[..., :-1].sum(axis=3)
    idx = np.indices(per.shape).reshape(4, -1)
    df = pd.DataFrame({
        "level": "clinic",
        "clinic_id": np.array([f"clinic{i:05d}" for i in range(n.shape[0])], dtype=object)[idx[0]],
        "condition_group": np.array(CONDITIONS, dtype=object)[idx[1]],
        "measure": np.array(MEASURES, dtype=object)[idx[2]],
        "period": np.array(PERIODS + ["all"], dtype=object)[idx[3]],
        "n": per.reshape(-1), "responders": resp.reshape(-1),
    })
    df = df[df["n"] > 0].reset_index(drop=True)
    for col in TREND_FIGURES:
        if col not in df:
            df[col] = 1.0
    return df[TREND_KEYS + TREND_FIGURES]


def completeness_table(n: np.ndarray, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    complete = n.sum(axis=3)
    with_baseline = complete + rng.poisson(0.3 * complete + 0.5)
    scored = with_baseline + rng.poisson(0.1 * with_baseline + 0.2)
    episodes = scored + rng.poisson(0.1 * scored + 0.2)
    cols = [episodes, scored, with_baseline, complete]
    cols = [np.concatenate([c, c.sum(axis=0, keepdims=True)], axis=0) for c in cols]
    n_clinics = n.shape[0]
    idx = np.indices(cols[0].shape).reshape(3, -1)
    df = pd.DataFrame({
        "level": np.where(idx[0] == n_clinics, "network", "clinic"),
        "clinic_id": np.append(np.array([f"clinic{i:05d}" for i in range(n_clinics)], dtype=object), None)[idx[0]],
        "condition_group": np.array(CONDITIONS, dtype=object)[idx[1]],
        "measure": np.array(MEASURES, dtype=object)[idx[2]],
        "episodes": cols[0].reshape(-1), "episodes_scored": cols[1].reshape(-1),
        "episodes_with_baseline": cols[2].reshape(-1), "episodes_complete": cols[3].reshape(-1),
    })
    df = df[df["episodes"] > 0].reset_index(drop=True)
    df["_unscored"] = df["episodes"] - df["episodes_scored"]
    df["_without_baseline"] = df["episodes_scored"] - df["episodes_with_baseline"]
    df["_without_final"] = df["episodes_with_baseline"] - df["episodes_complete"]
    return df


def _hidden_alls(effects: pd.DataFrame, table: pd.DataFrame, keys: list[str]) -> tuple[pd.Series, pd.Series]:
    shared = effects[(effects["level"] == "clinic") & (effects["frequency_band"] == "all")]
    shared = shared.assign(_hidden=shared["suppressed"].astype(bool), _resp_hidden=shared["responders"].isna())
    if "period" in keys:
        shared = shared.assign(period="all")
    flags = table[keys].merge(shared[keys + ["_hidden", "_resp_hidden"]], on=keys, how="left")
    return flags["_hidden"].fillna(False).astype(bool), flags["_resp_hidden"].fillna(False).astype(bool)


def run(n_clinics: int) -> list[tuple[str, int, int, float]]:
    n, responders = _network(n_clinics)
    effects_in = effect_table(n, responders)
    t0 = time.perf_counter()
    effects = suppress_effect_sizes(effects_in, MIN_N)
    t_eff = time.perf_counter() - t0

    trends_in = trend_table(n, responders)
    hidden, resp_hidden = _hidden_alls(effects, trends_in, TREND_KEYS)
    t0 = time.perf_counter()
    trends = suppress_effect_sizes(trends_in, MIN_N, TREND_HIERARCHIES, tuple(TREND_KEYS),
                                   also_hidden=hidden, also_responders_hidden=resp_hidden)
    t_tr = time.perf_counter() - t0

    comp_in = completeness_table(n)
    keys = ["level", "clinic_id", "condition_group", "measure"]
    hidden_totals = effects[(effects["frequency_band"] == "all") & effects["suppressed"].astype(bool)]
    marked = comp_in[keys].merge(hidden_totals[keys].assign(_hit=True), on=keys, how="left")
    counts = ["episodes", "episodes_scored", "episodes_with_baseline", "episodes_complete",
              "_unscored", "_without_baseline", "_without_final"]
    t0 = time.perf_counter()
    comp = suppress_counts(comp_in, counts, "episodes_scored", MIN_N, COMPLETENESS_HIERARCHIES,
                           also_hidden=marked["_hit"].fillna(False).astype(bool))
    t_co = time.perf_counter() - t0
    return [("effect_sizes", len(effects), int(effects["suppressed"].sum()), t_eff),
            ("clinic_trends", len(trends), int(trends["suppressed"].sum()), t_tr),
            ("completeness", len(comp), int(comp["suppressed"].sum()), t_co)]


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [40, 400, 4000]
    print(f"{'clinics':>8} {'table':<14} {'cells':>9} {'hidden':>9} {'seconds':>8}")
    for size in sizes:
        rows = run(size)
        for name, cells, hidden, seconds in rows:
            print(f"{size:>8} {name:<14} {cells:>9} {hidden:>9} {seconds:>8.2f}")
        print(f"{size:>8} {'total':<14} {sum(r[1] for r in rows):>9} {sum(r[2] for r in rows):>9} "
              f"{sum(r[3] for r in rows):>8.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
