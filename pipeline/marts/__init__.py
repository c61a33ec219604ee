"""The marts: every published table, one entry point each, named after it.

=====================  ======================================  ==================================
table                  entry point                             reads
=====================  ======================================  ==================================
episode_outcomes       sql/marts/episode_outcomes.sql (view)   intermediate.int_episode_outcomes
effect_sizes           pipeline/marts/effect_sizes.py          agg.effect_cells, agg.improvement_counts
completeness           pipeline/marts/completeness.py          agg.condition_episodes, agg.completeness_cells, effect_sizes
clinic_trends          pipeline/marts/clinic_trends.py         agg.trend_cells, effect_sizes
pooled_effects         pipeline/marts/pooled_effects.py        effect_sizes
dose_response_points   pipeline/marts/dose_response_points.py  effect_sizes, agg.effect_cells, agg.duration_cells
dose_response          pipeline/marts/dose_response.py         dose_response_points
clinic_benchmarks      pipeline/marts/clinic_benchmarks.py     agg.benchmark_moments, agg.case_mix_counts, effect_sizes
benchmark_model_fit    pipeline/marts/benchmark_model_fit.py   agg.benchmark_moments, agg.case_mix_counts (same step as clinic_benchmarks)
=====================  ======================================  ==================================

Each module's docstring names its grain, its inputs and the statistics.md section of each
figure. Every mart but episode_outcomes reads only ``agg.*``, ``ref.*`` and the marts above
it, so :func:`build_all` builds them on a warehouse that holds nothing else (a hub that merged
sites' aggregates, docs/aggregates-layer.md); the single run calls the same code.
"""
from __future__ import annotations

import logging

import duckdb

from pipeline import contract
from pipeline.intermediate import drop_if_table
from pipeline.warehouse import count, run

log = logging.getLogger("outcomes")


def build_episode_outcomes(con: duckdb.DuckDBPyConnection) -> int:
    """marts.episode_outcomes, the view over intermediate.int_episode_outcomes; its rows."""
    drop_if_table(con, "marts", "episode_outcomes")  # a table in warehouses of earlier versions
    run(con, "marts/episode_outcomes")
    rows = count(con, "marts", "episode_outcomes")
    log.info("[marts] episode_outcomes: %d episode x measure rows with a baseline and a final score", rows)
    return rows


def build_all(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> dict[str, int]:
    """Every mart but episode_outcomes from ``agg.*`` (and ``ref.*``), in dependency order; their rows."""
    from pipeline.marts import (clinic_benchmarks, clinic_trends, completeness, dose_response,
                                dose_response_points, effect_sizes, pooled_effects)

    rows = {
        "effect_sizes": effect_sizes.build(con, settings),
        "completeness": completeness.build(con, settings),
        "clinic_trends": clinic_trends.build(con, settings),
        "pooled_effects": pooled_effects.build(con),
        "dose_response_points": dose_response_points.build(con, settings),
        "dose_response": dose_response.build(con),
    }
    rows.update(clinic_benchmarks.build(con))
    return rows
