"""The intermediate layer: episodes of care, their measured frequency, score series and outcomes
(pipeline/intermediate.py runs sql/intermediate/<table>.sql)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.staging import STG_MEASUREMENTS, STG_SESSIONS
from pipeline import intermediate
from pipeline.resources import OutcomesSettings

INT_TABLES = {
    "int_sessions": "Sessions with condition group and day number.",
    "int_episode_sessions": "Each session with its episode of care (the clinic's or derived by the gap rule).",
    "int_episodes": "One row per episode: sessions, span, sessions per week, frequency band.",
    "int_episode_measures": "Per episode and measure: number of scores, baseline and final.",
}
INT_KEYS = {name: dg.AssetKey(["intermediate", name]) for name in [*INT_TABLES, "int_episode_outcomes"]}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(INT_KEYS[name], group_name="intermediate", kinds={"duckdb"}, description=text,
                     deps=[STG_SESSIONS, STG_MEASUREMENTS])
        for name, text in INT_TABLES.items()
    ],
)
def episodes(warehouse_db: DuckDBResource, settings: OutcomesSettings):
    with warehouse_db.get_connection() as con:
        counts = intermediate.build_episodes(con, settings.contract_settings())
    for name in INT_TABLES:
        yield dg.MaterializeResult(asset_key=INT_KEYS[name], metadata={"rows": counts[name]} if name in counts else None)


@dg.asset(key=INT_KEYS["int_episode_outcomes"], group_name="intermediate", kinds={"duckdb"},
          deps=[INT_KEYS["int_episodes"], INT_KEYS["int_episode_measures"]],
          description="One row per episode and measure with a baseline, a final score and the improvement.")
def int_episode_outcomes(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"rows": intermediate.build_episode_outcomes(con)})
