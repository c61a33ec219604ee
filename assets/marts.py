"""The published marts (pipeline/marts: one entry point per table, named after it), each read
from the aggregates layer (agg.*) and the marts before it; marts.episode_outcomes is the one
view over intermediate. Blocking checks keep each mart's grain: unique on its keys, and the
suppression rule (pipeline/marts/grain.py)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.aggregates import AGG_KEYS
from assets.intermediate import INT_KEYS
from pipeline import marts
from pipeline.marts import grain
from pipeline.resources import OutcomesSettings
from pipeline.warehouse import table_frame

MART_KEYS = {name: dg.AssetKey(["marts", name]) for name in ["episode_outcomes", *grain.GRAIN]}
EPISODE_OUTCOMES = MART_KEYS["episode_outcomes"]
EFFECT_SIZES = MART_KEYS["effect_sizes"]
COMPLETENESS = MART_KEYS["completeness"]
CLINIC_TRENDS = MART_KEYS["clinic_trends"]
POOLED = MART_KEYS["pooled_effects"]
DOSE_POINTS = MART_KEYS["dose_response_points"]
DOSE = MART_KEYS["dose_response"]
BENCHMARKS = MART_KEYS["clinic_benchmarks"]
MODEL_FIT = MART_KEYS["benchmark_model_fit"]


def _mart(name: str, deps: list, description: str):
    return dg.asset(key=MART_KEYS[name], group_name="marts", kinds={"duckdb"}, deps=deps, description=description)


@_mart("episode_outcomes", [INT_KEYS["int_episode_outcomes"]],
       "One row per episode and measure with a baseline and a final score (a view; sql/marts/episode_outcomes.sql).")
def episode_outcomes(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"rows": marts.build_episode_outcomes(con)})


@_mart("effect_sizes", [AGG_KEYS["effect_cells"], AGG_KEYS["improvement_counts"]],
       "Before/after effect sizes per level x condition x frequency band x measure (suppressed).")
def effect_sizes_mart(warehouse_db: DuckDBResource, settings: OutcomesSettings) -> dg.MaterializeResult:
    from pipeline.marts import effect_sizes  # here: loading the definitions imports neither pandas nor scipy

    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"cells": effect_sizes.build(con, settings.contract_settings())})


@_mart("completeness", [AGG_KEYS["condition_episodes"], AGG_KEYS["completeness_cells"], EFFECT_SIZES],
       "Episodes with any score, a baseline, and both a baseline and a final score (suppressed).")
def completeness_mart(warehouse_db: DuckDBResource, settings: OutcomesSettings) -> dg.MaterializeResult:
    from pipeline.marts import completeness  # here: loading the definitions imports neither pandas nor scipy

    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"rows": completeness.build(con, settings.contract_settings())})


@_mart("clinic_trends", [AGG_KEYS["trend_cells"], EFFECT_SIZES],
       "Each clinic's effect by the quarter (Safe Harbor: year) its episodes started (suppressed).")
def clinic_trends_mart(warehouse_db: DuckDBResource, settings: OutcomesSettings) -> dg.MaterializeResult:
    from pipeline.marts import clinic_trends  # here: loading the definitions imports neither pandas nor scipy

    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"rows": clinic_trends.build(con, settings.contract_settings())})


@_mart("pooled_effects", [EFFECT_SIZES],
       "Per condition x band x measure, the clinics' SMCR pooled by REML (metafor's algorithm).")
def pooled_effects_mart(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    from pipeline.marts import pooled_effects  # here: loading the definitions imports neither pandas nor scipy

    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"rows": pooled_effects.build(con)})


@_mart("dose_response_points", [EFFECT_SIZES, AGG_KEYS["effect_cells"], AGG_KEYS["duration_cells"]],
       "The published cells each dose-response regression uses.")
def dose_response_points_mart(warehouse_db: DuckDBResource, settings: OutcomesSettings) -> dg.MaterializeResult:
    from pipeline.marts import dose_response_points  # here: loading the definitions imports neither pandas nor scipy

    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"rows": dose_response_points.build(con, settings.contract_settings())})


@_mart("dose_response", [DOSE_POINTS],
       "REML meta-regression of cell SMCRs on sessions per week and on session length.")
def dose_response_mart(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    from pipeline.marts import dose_response  # here: loading the definitions imports neither pandas nor scipy

    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata={"rows": dose_response.build(con)})


@dg.multi_asset(specs=[
    dg.AssetSpec(BENCHMARKS, group_name="marts", kinds={"duckdb"}, deps=[AGG_KEYS["benchmark_moments"], AGG_KEYS["case_mix_counts"], EFFECT_SIZES],
                 description="Observed vs expected (risk-adjusted) improvement and responder rate per clinic."),
    dg.AssetSpec(MODEL_FIT, group_name="marts", kinds={"duckdb"}, deps=[AGG_KEYS["benchmark_moments"], AGG_KEYS["case_mix_counts"]],
                 description="Fit of the network-wide case-mix models, per measure."),
])
def clinic_benchmarks_mart(warehouse_db: DuckDBResource):
    from pipeline.marts import clinic_benchmarks  # here: loading the definitions imports neither pandas nor scipy

    with warehouse_db.get_connection() as con:
        rows = clinic_benchmarks.build(con)
    yield dg.MaterializeResult(asset_key=BENCHMARKS, metadata={"rows": rows["clinic_benchmarks"]})
    yield dg.MaterializeResult(asset_key=MODEL_FIT, metadata={"rows": rows["benchmark_model_fit"]})


def _grain_check(name: str) -> dg.AssetChecksDefinition:
    """Blocking: marts.<name> is unique on its keys and (if suppressed) keeps the suppression rule."""
    keys = grain.GRAIN[name]

    @dg.asset_check(asset=MART_KEYS[name], name=f"{name}_grain", blocking=True,
                    description=f"unique on ({', '.join(keys)})"
                                + ("; no small cell published" if name in grain.SUPPRESSED_COUNTS else ""))
    def _check(warehouse_db: DuckDBResource, settings: OutcomesSettings) -> dg.AssetCheckResult:
        with warehouse_db.get_connection() as con:
            table = table_frame(con, "marts", name)
        dupes = grain.duplicate_keys(table, keys)
        problems = [f"{len(dupes)} key values on more than one row"] if len(dupes) else []
        if name in grain.SUPPRESSED_COUNTS:
            problems += grain.suppression_breaches(table, keys, grain.SUPPRESSED_COUNTS[name],
                                                   settings.contract_settings().suppression_min_n)
        return dg.AssetCheckResult(passed=not problems, severity=dg.AssetCheckSeverity.ERROR,
                                   description="; ".join(problems) or "grain and suppression rule hold",
                                   metadata={"rows": len(table)})
    return _check


effect_sizes_grain = _grain_check("effect_sizes")
completeness_grain = _grain_check("completeness")
clinic_trends_grain = _grain_check("clinic_trends")
pooled_effects_grain = _grain_check("pooled_effects")
dose_response_points_grain = _grain_check("dose_response_points")
dose_response_grain = _grain_check("dose_response")
clinic_benchmarks_grain = _grain_check("clinic_benchmarks")
benchmark_model_fit_grain = _grain_check("benchmark_model_fit")
