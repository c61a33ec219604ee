"""The intermediate layer from staging (full rebuild, set-based): episodes of care, their
measured frequency, their series of scores and their outcomes (sql/intermediate/<table>.sql,
file name = table name). Each function returns the row counts it produced."""
from __future__ import annotations

import json
import logging

import duckdb

from pipeline import contract
from pipeline.warehouse import count, run

log = logging.getLogger("outcomes")

# Tables of earlier versions that nothing builds any more (their statistics are agg.* now):
# dropped, so that a warehouse holds only what a run builds.
RETIRED = ("int_effect_cells", "int_trend_cells", "int_duration_cells", "int_completeness")
# The settings that change the episodes, and so every aggregate: recorded in audit.analysis_settings
# when the episodes are built; a site's aggregates file carries them, and a hub merges only sites
# that agree (docs/aggregates.md). suppression_min_n is not one: suppression runs on the marts.
RECORDED_SETTINGS = ("episode_gap_days",)
CHUNK_SESSIONS = 2_500_000  # sessions per chunk of whole clinics: keeps the score aggregation in memory


def band_params() -> dict:
    lows = {band: low for band, low, _ in contract.FREQUENCY_BANDS}
    return {"twice_weekly_min": lows["twice_weekly"], "weekly_min": lows["weekly"], "fortnightly_min": lows["fortnightly"]}


def drop_if_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop a model that is now a view where an older warehouse still holds it as a table."""
    kind = con.execute("select table_type from information_schema.tables where table_schema = $s and table_name = $t",
                       {"s": schema, "t": name}).fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        con.execute(f'drop table "{schema}"."{name}"')  # identifiers are constants of this package


def _clinic_chunks(con: duckdb.DuckDBPyConnection) -> list[list[str]]:
    """The clinics in consecutive chunks of at most CHUNK_SESSIONS sessions (a bigger clinic alone).
    Aggregating a 10M-session network at once spilled to disk under a 3 GB memory limit and cost
    1.7x the CPU of doing it in four chunks (docs/scaling.md)."""
    chunks: list[list[str]] = [[]]
    size = 0
    for clinic, sessions in run(con, "intermediate/operations/clinic_sessions"):
        if chunks[-1] and size + sessions > CHUNK_SESSIONS:
            chunks.append([])
            size = 0
        chunks[-1].append(clinic)
        size += sessions
    return chunks


def build_episodes(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> dict[str, int]:
    """Sessions with condition groups (a view), episodes of care and their measured frequency,
    and each episode's series of scores per measure."""
    drop_if_table(con, "intermediate", "int_sessions")
    for name in RETIRED:
        drop_if_table(con, "intermediate", name)
    run(con, "intermediate/int_sessions")
    run(con, "intermediate/int_episode_sessions", {"gap_days": settings.episode_gap_days})
    for name in RECORDED_SETTINGS:
        run(con, "audit/analysis_setting_record", {"setting": name, "value": json.dumps(getattr(settings, name))})
    run(con, "intermediate/int_episodes", band_params())
    run(con, "intermediate/int_episode_measures")
    for clinics in _clinic_chunks(con):
        run(con, "intermediate/operations/insert_int_episode_measures", {"clinics": clinics})
    counts = {t: count(con, "intermediate", t) for t in ("int_episode_sessions", "int_episodes", "int_episode_measures")}
    counts["int_sessions"] = counts["int_episode_sessions"]  # the same sessions (counting the view would compute it)
    log.info("[episodes] %d sessions in %d episodes; %d episode x measure series",
             counts["int_sessions"], counts["int_episodes"], counts["int_episode_measures"])
    return counts


def build_episode_outcomes(con: duckdb.DuckDBPyConnection) -> int:
    """intermediate.int_episode_outcomes (published by the view marts.episode_outcomes)."""
    run(con, "intermediate/int_episode_outcomes")
    n = count(con, "intermediate", "int_episode_outcomes")
    log.info("[intermediate] int_episode_outcomes: %d episode x measure rows", n)
    return n
