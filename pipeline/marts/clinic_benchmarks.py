"""marts.clinic_benchmarks: each clinic's observed vs expected (risk-adjusted) improvement and
responder rate, per condition and measure, suppressed.

Grain: one row per clinic_id x condition_group x measure; unique on those. Inputs:
agg.benchmark_groups (the clinics' episodes by case-mix pattern,
sql/marts/inputs/benchmark_groups.sql, and summed over clinics,
sql/marts/inputs/benchmark_patterns.sql, for the models of pipeline/marts/benchmark_model_fit.py)
and marts.effect_sizes (its clinic x 'all'-band cells: a benchmark is hidden where that cell
is, its responder figures null where that cell's are). Figures (statistics.md,
"Risk-adjusted benchmarking"): observed_improvement, expected_improvement, difference and its
t interval; observed and expected_responder_rate, responder_difference and its normal interval
(``stats.riskadjust.observed_minus_expected_sums``, the grouped form of
``observed_minus_expected``). The same step writes marts.benchmark_model_fit.
"""
from __future__ import annotations

import logging

import duckdb
import numpy as np
import pandas as pd

from pipeline.marts import benchmark_model_fit
from pipeline.marts._cells import clinic_all_flags, read_input, read_mart, replace_table
from pipeline.stats import riskadjust

log = logging.getLogger("outcomes")

TABLE = "clinic_benchmarks"
KEYS = ["clinic_id", "condition_group", "measure"]
COLUMNS = [*KEYS, "n", "observed_improvement", "expected_improvement", "difference", "difference_ci_low",
           "difference_ci_high", "observed_responder_rate", "expected_responder_rate", "responder_difference",
           "responder_difference_ci_low", "responder_difference_ci_high", "suppressed"]
FIGURES = [c for c in COLUMNS if c not in (*KEYS, "suppressed")]
RESPONDER_FIGURES = [c for c in FIGURES if "responder" in c]


def _clinic_sums(groups: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Per clinic x condition x measure, the sums over its episodes of observed and expected, the
    residual sum of squares about the expected (within + between its patterns) and the
    responders' expectation and variance under the logistic model."""
    on = ["measure", *benchmark_model_fit.PATTERN]
    g = groups.merge(expected[[*on, "expected", "expected_p"]], on=on, how="left")
    n = g["n"].astype(float)
    g = g.assign(sum_o=n * g["mean_improvement"], sum_e=n * g["expected"],
                 ss=g["m2_improvement"] + n * (g["mean_improvement"] - g["expected"]) ** 2,
                 sum_p=n * g["expected_p"], var_p=n * g["expected_p"] * (1 - g["expected_p"]))
    return g.groupby(KEYS, sort=True).agg(
        n=("n", "sum"), sum_o=("sum_o", "sum"), sum_e=("sum_e", "sum"), ss=("ss", "sum"),
        responders=("responders", "sum"), sum_p=("sum_p", "sum"), var_p=("var_p", "sum")).reset_index()


def _suppressed(bench: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    flags = clinic_all_flags(effects, KEYS)
    bench = bench.merge(flags, on=KEYS, how="left")
    hidden = bench.pop("_hidden").fillna(True).astype(bool)
    resp_hidden = bench.pop("_resp_hidden").fillna(True).astype(bool)
    bench[FIGURES] = bench[FIGURES].astype("object")
    bench[FIGURES] = bench[FIGURES].where(bench[FIGURES].notna(), None)
    bench.loc[hidden, FIGURES] = None
    bench.loc[resp_hidden, RESPONDER_FIGURES] = None
    bench["suppressed"] = hidden
    return bench[COLUMNS]


def clinic_benchmarks(groups: pd.DataFrame, patterns: pd.DataFrame,
                      effects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """marts.clinic_benchmarks and marts.benchmark_model_fit from the clinics' pattern groups
    (clinic_id, measure, PATTERN, n, mean_improvement, m2_improvement, responders), the same
    summed over clinics, and marts.effect_sizes."""
    clinics = groups.groupby("measure")["clinic_id"].nunique().to_dict()
    expected, fits = benchmark_model_fit.case_mix_models(patterns, clinics)
    if groups.empty:
        return pd.DataFrame(columns=COLUMNS), fits
    cells = _clinic_sums(groups, expected)
    n = cells["n"].to_numpy(float)
    imp = riskadjust.observed_minus_expected_sums(n, cells["sum_o"], cells["sum_e"], residual_ss=cells["ss"])
    rate = riskadjust.observed_minus_expected_sums(n, cells["responders"], cells["sum_p"], expected_var=cells["var_p"])
    bench = pd.DataFrame({
        **{k: cells[k] for k in KEYS}, "n": cells["n"].astype("int64"),
        "observed_improvement": imp.observed, "expected_improvement": imp.expected, "difference": imp.difference,
        "difference_ci_low": imp.ci_low, "difference_ci_high": imp.ci_high,
        "observed_responder_rate": rate.observed, "expected_responder_rate": rate.expected,
        "responder_difference": rate.difference, "responder_difference_ci_low": rate.ci_low,
        "responder_difference_ci_high": rate.ci_high})
    return _suppressed(bench, effects), fits


def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """marts.clinic_benchmarks and marts.benchmark_model_fit; their rows."""
    bench, fits = clinic_benchmarks(read_input(con, "benchmark_groups"), read_input(con, "benchmark_patterns"),
                                    read_mart(con, "effect_sizes"))
    replace_table(con, TABLE, bench)
    replace_table(con, benchmark_model_fit.TABLE, fits)
    log.info("[marts] clinic_benchmarks: %d clinic x condition x measure rows (risk-adjusted)", len(bench))
    return {TABLE: len(bench), benchmark_model_fit.TABLE: len(fits)}
