"""Evidence across clinics: pooled effects, dose-response and risk-adjusted benchmarks."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.marts import EFFECT_SIZES, EPISODE_OUTCOMES
from pipeline.resources import OutcomesSettings

POOLED = dg.AssetKey(["marts", "pooled_effects"])
DOSE = dg.AssetKey(["marts", "dose_response"])
DOSE_POINTS = dg.AssetKey(["marts", "dose_response_points"])
BENCHMARKS = dg.AssetKey(["marts", "clinic_benchmarks"])
MODEL_FIT = dg.AssetKey(["marts", "benchmark_model_fit"])


@dg.asset(key=POOLED, group_name="marts", kinds={"duckdb"}, deps=[EFFECT_SIZES],
          description="Per condition x band x measure, the clinics' SMCR pooled by REML (metafor's algorithm).")
def pooled_effects(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    from pipeline import models  # here: loading the definitions imports neither pandas nor scipy
    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"rows": models.build_pooled_effects(con)})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(DOSE, group_name="marts", kinds={"duckdb"}, deps=[EFFECT_SIZES, EPISODE_OUTCOMES],
                     description="REML meta-regression of cell SMCRs on sessions per week and on session length."),
        dg.AssetSpec(DOSE_POINTS, group_name="marts", kinds={"duckdb"}, deps=[EFFECT_SIZES, EPISODE_OUTCOMES],
                     description="The published cells each dose-response regression used."),
    ],
)
def dose_response(warehouse_db: DuckDBResource, settings: OutcomesSettings):
    from pipeline import models  # here: loading the definitions imports neither pandas nor scipy
    with warehouse_db.get_connection() as con:
        rows = models.build_dose_response(con, settings.contract_settings())
    yield dg.MaterializeResult(asset_key=DOSE, metadata={"rows": rows})
    yield dg.MaterializeResult(asset_key=DOSE_POINTS)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(BENCHMARKS, group_name="marts", kinds={"duckdb"}, deps=[EFFECT_SIZES, EPISODE_OUTCOMES],
                     description="Observed vs expected (risk-adjusted) improvement and responder rate per clinic."),
        dg.AssetSpec(MODEL_FIT, group_name="marts", kinds={"duckdb"}, deps=[EPISODE_OUTCOMES],
                     description="Fit of the network-wide case-mix models, per measure."),
    ],
)
def clinic_benchmarks(warehouse_db: DuckDBResource):
    from pipeline import models  # here: loading the definitions imports neither pandas nor scipy
    with warehouse_db.get_connection() as con:
        rows = models.build_clinic_benchmarks(con)
    yield dg.MaterializeResult(asset_key=BENCHMARKS, metadata={"rows": rows})
    yield dg.MaterializeResult(asset_key=MODEL_FIT)
