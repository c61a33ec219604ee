"""marts.clinic_benchmarks: each clinic's observed vs expected (risk-adjusted) improvement and
responder rate, per condition and measure, suppressed.

Grain: one row per clinic_id x condition_group x measure; unique on those. Inputs: the models
of pipeline/marts/benchmark_model_fit.py (fitted on agg.benchmark_moments and
agg.case_mix_counts summed over clinics), each clinic's sums under them over the same tables
(sql/marts/inputs/benchmark_cell_sums.sql, benchmark_responder_sums.sql), and
marts.effect_sizes (its clinic x 'all'-band cells: a benchmark is hidden where that cell is, its
responder figures null where that cell's are). Figures (statistics.md, "Risk-adjusted
benchmarking"): observed_improvement, expected_improvement, difference and its t interval;
observed and expected_responder_rate, responder_difference and its normal interval
(``stats.riskadjust.observed_minus_expected_sums``, the summed form of
``observed_minus_expected``). The same step writes marts.benchmark_model_fit.
"""
from __future__ import annotations

import logging

import duckdb
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


def clinic_benchmarks(cells: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """marts.clinic_benchmarks from each clinic x condition x measure's sums (KEYS, n, sum_o,
    sum_e, ss, responders, sum_p, var_p: sql/marts/inputs/benchmark_cell_sums.sql and
    benchmark_responder_sums.sql) and marts.effect_sizes."""
    if cells.empty:
        return pd.DataFrame(columns=COLUMNS)
    n = cells["n"].to_numpy(float)
    imp = riskadjust.observed_minus_expected_sums(n, cells["sum_o"], cells["sum_e"], residual_ss=cells["ss"])
    rate = riskadjust.observed_minus_expected_sums(n, cells["responders"], cells["sum_p"], expected_var=cells["var_p"])
    bench = pd.DataFrame({
        **{k: cells[k] for k in KEYS}, "n": cells["n"].round().astype("int64"),
        "observed_improvement": imp.observed, "expected_improvement": imp.expected, "difference": imp.difference,
        "difference_ci_low": imp.ci_low, "difference_ci_high": imp.ci_high,
        "observed_responder_rate": rate.observed, "expected_responder_rate": rate.expected,
        "responder_difference": rate.difference, "responder_difference_ci_low": rate.ci_low,
        "responder_difference_ci_high": rate.ci_high})
    return _suppressed(bench, effects)


def clinic_sums(con: duckdb.DuckDBPyConnection, gamma: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Each clinic x condition x measure's sums under the fitted models, in DuckDB over the agg
    tables: the models' coefficients and probabilities are registered for the two queries."""
    con.register("case_mix_gamma", gamma[["measure", "condition_group", "term", "gamma"]])
    con.register("case_mix_probabilities", expected[["measure", *benchmark_model_fit.PATTERN, "expected_p"]])
    try:
        sums = read_input(con, "benchmark_cell_sums")
        responders = read_input(con, "benchmark_responder_sums")
    finally:
        con.unregister("case_mix_gamma")
        con.unregister("case_mix_probabilities")
    return sums.merge(responders, on=KEYS, how="left")


def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """marts.clinic_benchmarks and marts.benchmark_model_fit; their rows."""
    clinics = read_input(con, "benchmark_clinics").set_index("measure")["clinics"].to_dict()
    gamma, expected, fits = benchmark_model_fit.case_mix_models(
        read_input(con, "benchmark_moments"), read_input(con, "case_mix_patterns"), clinics)
    bench = clinic_benchmarks(clinic_sums(con, gamma, expected), read_mart(con, "effect_sizes"))
    replace_table(con, TABLE, bench)
    replace_table(con, benchmark_model_fit.TABLE, fits)
    log.info("[marts] clinic_benchmarks: %d clinic x condition x measure rows (risk-adjusted)", len(bench))
    return {TABLE: len(bench), benchmark_model_fit.TABLE: len(fits)}
