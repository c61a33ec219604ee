"""The aggregates layer: clinic-level sufficient statistics (agg.*, docs/aggregates-layer.md),
one asset per table, each built by its sql/aggregates/<table>.sql (pipeline/agg.py)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.intermediate import INT_KEYS
from pipeline import agg

AGG_KEYS = {name: dg.AssetKey(["agg", name]) for name in agg.TABLES}
DESCRIPTIONS = {
    "effect_cells": "Per clinic x condition x band x measure: n, exact sums (and squares, cross-products) of "
                    "baseline, final and improvement, responders, zeros, exposure sums.",
    "improvement_counts": "Per clinic cell, the histogram of |improvement| with its positive counts (signed-rank sums).",
    "trend_cells": "Per clinic x condition x measure x start period: the outcome sums.",
    "duration_cells": "Per clinic x condition x measure x session-length band: the outcome sums and minutes.",
    "completeness_cells": "Per clinic x condition x measure: episodes scored, with a baseline, complete.",
    "condition_episodes": "Per clinic x condition: every episode, scored or not.",
    "benchmark_moments": "Per clinic x measure x condition: the cross-products of the case-mix terms, improvement "
                         "and responder (what the case-mix models need; no row per episode).",
    "case_mix_counts": "Per clinic x measure x condition x age band x sex x payer x baseline band: episodes (no outcome).",
}


def _agg_asset(table: str) -> dg.AssetsDefinition:
    @dg.asset(key=AGG_KEYS[table], group_name="aggregates", kinds={"duckdb"}, description=DESCRIPTIONS[table],
              deps=[INT_KEYS[name] for name in agg.TABLES[table]])
    def _build(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with warehouse_db.get_connection() as con:
            return dg.MaterializeResult(metadata={"rows": agg.build(con, table)})
    return _build


effect_cells = _agg_asset("effect_cells")
improvement_counts = _agg_asset("improvement_counts")
trend_cells = _agg_asset("trend_cells")
duration_cells = _agg_asset("duration_cells")
completeness_cells = _agg_asset("completeness_cells")
condition_episodes = _agg_asset("condition_episodes")
benchmark_moments = _agg_asset("benchmark_moments")
case_mix_counts = _agg_asset("case_mix_counts")
