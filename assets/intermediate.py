"""Episodes of care and their measured treatment frequency."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.staging import STG_MEASUREMENTS, STG_SESSIONS
from pipeline.resources import OutcomesSettings

INT_TABLES = {
    "int_sessions": "Sessions with condition group and day number.",
    "int_episode_sessions": "Each session with its episode of care (the clinic's or derived by the gap rule).",
    "int_episodes": "One row per episode: sessions, span, sessions per week, frequency band.",
    "int_episode_measures": "Per episode and measure: number of scores, baseline and final.",
}
INT_KEYS = {name: dg.AssetKey(["intermediate", name]) for name in INT_TABLES}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(INT_KEYS[name], group_name="intermediate", kinds={"duckdb"}, description=text,
                     deps=[STG_SESSIONS, STG_MEASUREMENTS])
        for name, text in INT_TABLES.items()
    ],
)
def episodes(warehouse_db: DuckDBResource, settings: OutcomesSettings):
    from pipeline import models  # here: loading the definitions imports neither pandas nor scipy
    with warehouse_db.get_connection() as con:
        counts = models.build_episodes(con, settings.contract_settings())
    for name, key in INT_KEYS.items():
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": counts.get(name, 0)} if name in counts else None)
