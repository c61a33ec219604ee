"""The published marts: episode outcomes, completeness, effect sizes."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.intermediate import INT_KEYS
from pipeline.resources import OutcomesSettings

EPISODE_OUTCOMES = dg.AssetKey(["marts", "episode_outcomes"])
COMPLETENESS = dg.AssetKey(["marts", "completeness"])
EFFECT_SIZES = dg.AssetKey(["marts", "effect_sizes"])


@dg.asset(key=EPISODE_OUTCOMES, group_name="marts", kinds={"duckdb"},
          deps=[INT_KEYS["int_episodes"], INT_KEYS["int_episode_measures"]],
          description="One row per episode and measure with a baseline and a final score.")
def episode_outcomes(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    from pipeline import models  # here: loading the definitions imports neither pandas nor scipy
    with warehouse_db.get_connection() as con:
        rows = models.build_episode_outcomes(con)
    return dg.MaterializeResult(metadata={"rows": rows})


@dg.asset(key=COMPLETENESS, group_name="marts", kinds={"duckdb"},
          deps=[INT_KEYS["int_episodes"], INT_KEYS["int_episode_measures"], EFFECT_SIZES],
          description="Episodes with any score, a baseline, and both a baseline and a final score (suppressed).")
def completeness(warehouse_db: DuckDBResource, settings: OutcomesSettings) -> dg.MaterializeResult:
    from pipeline import models  # here: loading the definitions imports neither pandas nor scipy
    with warehouse_db.get_connection() as con:
        rows = models.build_completeness(con, settings.contract_settings())
    return dg.MaterializeResult(metadata={"rows": rows})


@dg.asset(key=EFFECT_SIZES, group_name="marts", kinds={"duckdb"}, deps=[EPISODE_OUTCOMES],
          description="Before/after effect sizes per level x condition x frequency band x measure (suppressed).")
def effect_sizes(warehouse_db: DuckDBResource, settings: OutcomesSettings) -> dg.MaterializeResult:
    from pipeline import models  # here: loading the definitions imports neither pandas nor scipy
    with warehouse_db.get_connection() as con:
        rows = models.build_effect_sizes(con, settings.contract_settings())
    return dg.MaterializeResult(metadata={"cells": rows})


CLINIC_TRENDS = dg.AssetKey(["marts", "clinic_trends"])


@dg.asset(key=CLINIC_TRENDS, group_name="marts", kinds={"duckdb"}, deps=[EPISODE_OUTCOMES, EFFECT_SIZES],
          description="Each clinic's effect by the quarter (Safe Harbor: year) its episodes started (suppressed).")
def clinic_trends(warehouse_db: DuckDBResource, settings: OutcomesSettings) -> dg.MaterializeResult:
    from pipeline import models  # here: loading the definitions imports neither pandas nor scipy
    with warehouse_db.get_connection() as con:
        rows = models.build_clinic_trends(con, settings.contract_settings())
    return dg.MaterializeResult(metadata={"rows": rows})
