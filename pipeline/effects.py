"""From the cells' sufficient statistics (computed in DuckDB) to ``marts.effect_sizes``.

Python touches only the table of cells, a whole column at a time: the array twins of
``pipeline.stats`` (``prepost_from_summary_arrays``, ``wilcoxon_p_from_ranks_arrays``,
bit-identical to the per-cell functions notebooks use) compute every figure of every cell at
once, then Benjamini-Hochberg per level, then suppression. The cost is linear in the number
of cells (about a microsecond a cell), so a network of thousands of clinics takes a second.

:func:`cell_figures` and :func:`trend_cell_figures` are the per-row reference (one call of
the scalar functions per cell); the tests assert that the tables equal theirs.
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from pipeline import contract, stats
from pipeline.suppression import TREND_HIERARCHIES, suppress_effect_sizes

KEYS = ["level", "clinic_id", "condition_group", "frequency_band", "measure"]
COLUMNS = KEYS + [
    "n", "baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post",
    "mean_improvement", "sd_improvement", "d_z", "g_z", "g_z_ci_low", "g_z_ci_high",
    "smcr", "smcr_var", "wilcoxon_p", "responders", "responder_rate", "responder_ci_low",
    "responder_ci_high", "q_value", "suppressed",
]
FIGURE_COLUMNS = [c for c in COLUMNS if c not in ("q_value", "suppressed")]
COUNTS = ("n", "responders")


def _none_if_nan(value):
    return None if value is None or pd.isna(value) else value


def cell_figures(cell: dict) -> dict:
    """Every published figure of one cell from its sufficient statistics (unsuppressed).

    The per-row reference of :func:`effect_figures`, by the scalar functions."""
    p = stats.wilcoxon_p_from_ranks(
        n_nonzero=int(cell["n_nonzero"]), v_plus=float(cell["v_plus"]),
        tie_term=float(cell["tie_term"]), zeros=int(cell["zeros"]),
    )
    pp = stats.prepost_from_summary(
        n=int(cell["n"]),
        baseline_mean=float(cell["baseline_mean"]), baseline_sd=_none_if_nan(cell["baseline_sd"]),
        final_mean=float(cell["final_mean"]), final_sd=_none_if_nan(cell["final_sd"]),
        r_pre_post=_none_if_nan(cell["r_pre_post"]),
        mean_improvement=float(cell["mean_improvement"]), sd_improvement=_none_if_nan(cell["sd_improvement"]),
        responders=int(cell["responders"]), wilcoxon_p=p,
    )
    return {**{k: cell[k] for k in KEYS}, **asdict(pp)}


def _numbers(cells: pd.DataFrame, name: str) -> np.ndarray:
    """A column as float64, NaN where null (DuckDB's HUGEINT and DECIMAL arrive as Decimal)."""
    return cells[name].to_numpy(dtype=np.float64, na_value=np.nan)


_INFERRED_STR = pd.Series(["x"]).dtype  # what pandas infers for a column of Python strings


def _key(column: pd.Series):
    """A key column as pandas infers it from the column's Python values, as the per-row path
    built it (str with NaN for missing); a column already of that dtype is taken as it is."""
    return column.array if column.dtype == _INFERRED_STR else column.tolist()


def _published(name: str, values: np.ndarray):
    """A figure array as the column pandas infers from the scalar results (None for NaN):
    float64 with NaN; counts int64 when none is missing; a column with no value at all is
    object, all None."""
    missing = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.size, dtype=bool)
    if missing.all():
        return np.full(values.size, None, dtype=object)
    if name in COUNTS and not missing.any():
        return values.astype(np.int64)
    return values


def _table(cells: pd.DataFrame, keys: list[str], figures: dict[str, np.ndarray]) -> pd.DataFrame:
    data = {k: _key(cells[k]) for k in keys}
    data.update({name: _published(name, values) for name, values in figures.items()})
    return pd.DataFrame(data, columns=[*keys, *figures])


def _prepost(cells: pd.DataFrame, wilcoxon_p: np.ndarray | None = None) -> stats.PrePostArrays:
    return stats.prepost_from_summary_arrays(
        n=_numbers(cells, "n"),
        baseline_mean=_numbers(cells, "baseline_mean"), baseline_sd=_numbers(cells, "baseline_sd"),
        final_mean=_numbers(cells, "final_mean"), final_sd=_numbers(cells, "final_sd"),
        r_pre_post=_numbers(cells, "r_pre_post"),
        mean_improvement=_numbers(cells, "mean_improvement"), sd_improvement=_numbers(cells, "sd_improvement"),
        responders=_numbers(cells, "responders"), wilcoxon_p=wilcoxon_p,
    )


def effect_figures(cells: pd.DataFrame) -> pd.DataFrame:
    """Every figure of every cell, unsuppressed: the columns of marts.effect_sizes but
    ``q_value`` and ``suppressed``, one row per cell in the cells' order.

    The same table, value for value and dtype for dtype, as one :func:`cell_figures` per row;
    a figure undefined for a cell is NaN there (None in a column with no value at all)."""
    if cells.empty:
        return pd.DataFrame([], columns=FIGURE_COLUMNS)
    p = stats.wilcoxon_p_from_ranks_arrays(
        n_nonzero=_numbers(cells, "n_nonzero"), v_plus=_numbers(cells, "v_plus"),
        tie_term=_numbers(cells, "tie_term"), zeros=_numbers(cells, "zeros"),
    )
    return _table(cells, KEYS, _prepost(cells, p).columns())


def _objects(values: np.ndarray) -> np.ndarray:
    """Python floats, None where NaN (as ``stats.bh_qvalues`` returns them)."""
    out = np.array(values.tolist(), dtype=object)
    out[np.isnan(values)] = None
    return out


def effect_sizes(cells: pd.DataFrame, min_n: int = contract.SUPPRESSION_MIN_N) -> pd.DataFrame:
    """The effect-size table: figures per cell, suppression, then q-values over published cells."""
    df = effect_figures(cells)
    df["q_value"] = None
    df["suppressed"] = False
    df = suppress_effect_sizes(df, min_n)
    for level in ("network", "clinic"):
        mask = (df["level"] == level) & ~df["suppressed"].astype(bool)
        q = stats.bh_qvalues_array(df.loc[mask, "wilcoxon_p"].to_numpy(dtype=np.float64, na_value=np.nan))
        df.loc[mask, "q_value"] = pd.Series(_objects(q), index=df.index[mask], dtype="object")
    return df[COLUMNS]


TREND_KEYS = ["level", "clinic_id", "condition_group", "measure", "period"]
TREND_FIGURES = ["n", "mean_improvement", "sd_improvement", "g_z", "g_z_ci_low", "g_z_ci_high", "responders",
                 "responder_rate", "responder_ci_low", "responder_ci_high"]


def trend_cell_figures(cell: dict) -> dict:
    """The trend figures of one clinic x condition x measure x period: the per-row reference
    of :func:`trend_figures`, by ``stats.prepost_from_summary``."""
    pp = stats.prepost_from_summary(
        n=int(cell["n"]), baseline_mean=float(cell["baseline_mean"]), baseline_sd=_none_if_nan(cell["baseline_sd"]),
        final_mean=float(cell["final_mean"]), final_sd=_none_if_nan(cell["final_sd"]),
        r_pre_post=_none_if_nan(cell["r_pre_post"]), mean_improvement=float(cell["mean_improvement"]),
        sd_improvement=_none_if_nan(cell["sd_improvement"]), responders=int(cell["responders"]))
    return {**{k: cell[k] for k in TREND_KEYS}, **{f: getattr(pp, f) for f in TREND_FIGURES}}


def trend_figures(cells: pd.DataFrame) -> pd.DataFrame:
    """The trend table before suppression (TREND_KEYS + TREND_FIGURES), all cells at once;
    equal to one :func:`trend_cell_figures` per row."""
    if cells.empty:
        return pd.DataFrame([], columns=TREND_KEYS + TREND_FIGURES)
    figures = _prepost(cells).columns()
    return _table(cells, TREND_KEYS, {f: figures[f] for f in TREND_FIGURES})


def clinic_trends(cells: pd.DataFrame, effects: pd.DataFrame, min_n: int = contract.SUPPRESSION_MIN_N) -> pd.DataFrame:
    """A clinic's effect by the period its episodes started, suppressed like the effect table.

    Each period's figures are those of ``stats.prepost_from_summary`` (computed for all
    periods at once by its array twin, :func:`trend_figures`); the periods of a clinic x
    condition x measure add up to its 'all' row, which is the same set of episodes as the
    'all' band of marts.effect_sizes and is hidden wherever that cell is.
    """
    df = trend_figures(cells)
    shared = effects[(effects["level"] == "clinic") & (effects["frequency_band"] == contract.ALL_BANDS)]
    shared = shared.assign(period=contract.ALL_BANDS, _hidden=shared["suppressed"].astype(bool),
                           _resp_hidden=shared["responders"].isna())
    flags = df[TREND_KEYS].merge(shared[TREND_KEYS + ["_hidden", "_resp_hidden"]], on=TREND_KEYS, how="left")
    out = suppress_effect_sizes(
        df, min_n, TREND_HIERARCHIES, tuple(TREND_KEYS),
        also_hidden=flags["_hidden"].fillna(False).astype(bool),
        also_responders_hidden=flags["_resp_hidden"].fillna(False).astype(bool),
    )
    return out[TREND_KEYS + TREND_FIGURES + ["suppressed"]]
