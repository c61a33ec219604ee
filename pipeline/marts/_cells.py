"""What every mart module shares: reading its input query (sql/marts/inputs/<name>.sql, over
agg.* with the summary-statistics macros), writing its table, and unpacking a table of cells
into ``pipeline.stats`` (a whole column at a time, NaN where null) and back into a published
column (None where undefined)."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipeline import stats
from pipeline.agg import one_thread
from pipeline.warehouse import frame, run, table_frame

MACROS = ("marts/macro_summed_outcomes", "marts/macro_summary_statistics", "marts/macro_moment_points")
SUMMARY = ("baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post", "mean_improvement", "sd_improvement")


def read_input(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    """The rows of sql/marts/inputs/<name>.sql (on one thread: its few floating sums are then the
    same bit for bit on every run)."""
    for macro in MACROS:
        run(con, macro)
    with one_thread(con):
        return frame(con, f"marts/inputs/{name}", params)


def read_mart(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return table_frame(con, "marts", table)


def replace_table(con: duckdb.DuckDBPyConnection, table: str, data: pd.DataFrame) -> int:
    """Write a small pandas table as marts.<table> (a constant of the calling module); its rows."""
    con.register("_frame", data)
    try:
        con.execute(f'create or replace table marts."{table}" as select * from _frame')
    finally:
        con.unregister("_frame")
    return len(data)


def none_if_nan(value):
    """A Python value for one published figure: None where it is null or NaN."""
    return None if value is None or pd.isna(value) else value


def numbers(cells: pd.DataFrame, name: str) -> np.ndarray:
    """A column as float64, NaN where null (DuckDB's HUGEINT and DECIMAL arrive as Decimal)."""
    return cells[name].to_numpy(dtype=np.float64, na_value=np.nan)


def prepost_arrays(cells: pd.DataFrame, wilcoxon_p: np.ndarray | None = None) -> stats.PrePostArrays:
    """Every figure of every cell of a table with the summary columns (SUMMARY, n, responders)."""
    return stats.prepost_from_summary_arrays(
        n=numbers(cells, "n"), **{name: numbers(cells, name) for name in SUMMARY},
        responders=numbers(cells, "responders"), wilcoxon_p=wilcoxon_p,
    )


def prepost_row(cell: dict, wilcoxon_p: float | None = None) -> stats.PrePost:
    """The same figures of one cell (a dict of a row) by the scalar function: the per-row reference."""
    return stats.prepost_from_summary(
        n=int(cell["n"]),
        baseline_mean=float(cell["baseline_mean"]), baseline_sd=none_if_nan(cell["baseline_sd"]),
        final_mean=float(cell["final_mean"]), final_sd=none_if_nan(cell["final_sd"]),
        r_pre_post=none_if_nan(cell["r_pre_post"]),
        mean_improvement=float(cell["mean_improvement"]), sd_improvement=none_if_nan(cell["sd_improvement"]),
        responders=int(cell["responders"]), wilcoxon_p=wilcoxon_p,
    )


_INFERRED_STR = pd.Series(["x"]).dtype  # what pandas infers for a column of Python strings


def key_column(column: pd.Series):
    """A key column as pandas infers it from the column's Python values, as the per-row path
    built it (str with NaN for missing); a column already of that dtype is taken as it is."""
    return column.array if column.dtype == _INFERRED_STR else column.tolist()


def published(values: np.ndarray, is_count: bool = False):
    """A figure array as the column pandas infers from the scalar results (None for NaN):
    float64 with NaN; counts int64 when none is missing; a column with no value at all is
    object, all None."""
    missing = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.size, dtype=bool)
    if missing.all():
        return np.full(values.size, None, dtype=object)
    if is_count and not missing.any():
        return values.astype(np.int64)
    return values


def objects(values: np.ndarray) -> np.ndarray:
    """Python floats, None where NaN (as ``stats.bh_qvalues`` returns them)."""
    out = np.array(values.tolist(), dtype=object)
    out[np.isnan(values)] = None
    return out


def figure_table(cells: pd.DataFrame, keys: list[str], figures: dict[str, np.ndarray],
                 counts: tuple[str, ...] = ("n", "responders")) -> pd.DataFrame:
    data = {k: key_column(cells[k]) for k in keys}
    data.update({name: published(values, name in counts) for name, values in figures.items()})
    return pd.DataFrame(data, columns=[*keys, *figures])


def clinic_all_flags(effects: pd.DataFrame, keys: list[str], **assign) -> pd.DataFrame:
    """The clinic x 'all'-band cells of marts.effect_sizes with their ``_hidden`` (suppressed)
    and ``_resp_hidden`` (responder figures null) flags: the other clinic-level marts hide a
    row wherever its cell here is hidden (else they would undo its complementary suppression)."""
    shared = effects[(effects["level"] == "clinic") & (effects["frequency_band"] == "all")]
    shared = shared.assign(**assign, _hidden=shared["suppressed"].astype(bool), _resp_hidden=shared["responders"].isna())
    return shared[[*keys, "_hidden", "_resp_hidden"]]
