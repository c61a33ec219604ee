"""The intermediate layer from staging (set-based): episodes of care, their measured frequency,
their series of scores and their outcomes (sql/intermediate/<table>.sql, file name = table name,
each from a table macro of the clinics it is given, sql/intermediate/macro_*_of.sql).

Incremental by clinic: an episode never crosses clinics and its id is numbered within its
patient, so a clinic's rows depend only on that clinic's staged rows (and the settings, the
registry and this code). The warehouse records what the tables were built from
(audit.episode_inputs: per clinic its staged rows and a digest of them, and the build's
fingerprint; audit.episode_outcome_inputs for int_episode_outcomes), and a build deletes and
inserts only the rows of the clinics whose staged rows changed (a new batch, a corrected
delivery, rows removed, a new clinic), in one transaction with the new record. It rebuilds every
clinic when the fingerprint (settings, band limits, the layer's SQL and this module, the
registry, the columns of staging and ref, DuckDB's version) or the recorded analysis settings
differ, or a table or the record is missing. Each function returns the row counts it produced."""
from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

import duckdb

from pipeline import contract
from pipeline.provenance import recorded_settings
from pipeline.warehouse import SQL_DIR, code_digest, count, run, table_exists, transaction

log = logging.getLogger("outcomes")

# Tables of earlier versions that nothing builds any more (their statistics are agg.* now):
# dropped, so that a warehouse holds only what a run builds.
RETIRED = ("int_effect_cells", "int_trend_cells", "int_duration_cells", "int_completeness")
# The settings that change the episodes, and so every aggregate: recorded in audit.analysis_settings
# when the episodes are built; a site's aggregates file carries them, and a hub merges only sites
# that agree (docs/aggregates.md). suppression_min_n is not one: suppression runs on the marts.
RECORDED_SETTINGS = ("episode_gap_days",)
CHUNK_SESSIONS = 2_500_000  # sessions per chunk of whole clinics: keeps the score aggregation in memory
EPISODE_TABLES = ("int_episode_sessions", "int_episodes", "int_episode_measures")
# Table macros (temporary): each made once the tables it reads exist.
SESSIONS_MACRO = "intermediate/macro_episode_sessions_of"
EPISODES_MACRO = "intermediate/macro_episodes_of"
OUTCOME_MACRO = "intermediate/macro_episode_outcomes_of"
# The SQL whose text is part of the build's fingerprint: the layer's, and the record's.
RECORD_SQL = ("staged_clinic_digests", "episode_inputs", "episode_inputs_changed",
              "episode_outcome_inputs", "episode_outcome_inputs_changed")


def band_params() -> dict:
    lows = {band: low for band, low, _ in contract.FREQUENCY_BANDS}
    return {"twice_weekly_min": lows["twice_weekly"], "weekly_min": lows["weekly"], "fortnightly_min": lows["fortnightly"]}


def drop_if_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop a model that is now a view where an older warehouse still holds it as a table."""
    kind = con.execute("select table_type from information_schema.tables where table_schema = $s and table_name = $t",
                       {"s": schema, "t": name}).fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        con.execute(f'drop table "{schema}"."{name}"')  # identifiers are constants of this package


@lru_cache(maxsize=None)
def _code_digest() -> str:
    """The text of the episode layer's SQL, its record's, and this module's (which joins them)."""
    layer = sorted(p.relative_to(SQL_DIR).with_suffix("").as_posix() for p in (SQL_DIR / "intermediate").rglob("*.sql"))
    return code_digest(Path(__file__), layer + [f"audit/{n}" for n in RECORD_SQL])


def layer_fingerprint(con: duckdb.DuckDBPyConnection, layer: str, **parts) -> str:
    """What changes the layer's rows for every clinic at once, as one sha256."""
    parts |= {"layer": layer, "code": _code_digest(), "duckdb": duckdb.__version__,
              "registry": run(con, "audit/registry_digest"), "columns": run(con, "audit/episode_input_columns")}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _episode_build(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> str:
    return layer_fingerprint(con, "episodes", settings={n: getattr(settings, n) for n in RECORDED_SETTINGS}, bands=band_params())


def _episode_clinics_to_rebuild(con: duckdb.DuckDBPyConnection, build: str,
                                settings: contract.Settings) -> tuple[list[str] | None, str]:
    """The clinics whose staged rows changed since the recorded build (None: every clinic), and why."""
    if not all(table_exists(con, "intermediate", t) for t in EPISODE_TABLES):
        return None, "no episode tables"
    if not table_exists(con, "audit", "episode_inputs"):
        return None, "no record of the last build"
    if [b for (b,) in run(con, "audit/episode_inputs_builds")] != [build]:
        return None, "settings, registry, schema or code differ from the last build's"
    recorded = recorded_settings(con)
    if any(recorded.get(n) != getattr(settings, n) for n in RECORDED_SETTINGS):
        return None, "the recorded analysis settings differ"
    return [c for (c,) in run(con, "audit/episode_inputs_changed")], ""


def _clinic_chunks(con: duckdb.DuckDBPyConnection, clinics: list[str]) -> list[list[str]]:
    """The clinics in consecutive chunks of at most CHUNK_SESSIONS sessions (a bigger clinic alone).
    Aggregating a 10M-session network at once spilled to disk under a 3 GB memory limit and cost
    1.7x the CPU of doing it in four chunks (docs/scaling.md)."""
    chunks: list[list[str]] = [[]]
    size = 0
    for clinic, sessions in run(con, "intermediate/operations/clinic_sessions", {"clinics": clinics}):
        if chunks[-1] and size + sessions > CHUNK_SESSIONS:
            chunks.append([])
            size = 0
        chunks[-1].append(clinic)
        size += sessions
    return chunks


def _insert_measures(con: duckdb.DuckDBPyConnection, clinics: list[str]) -> None:
    for chunk in _clinic_chunks(con, clinics):
        run(con, "intermediate/operations/insert_int_episode_measures", {"clinics": chunk})


def _build_all_episodes(con: duckdb.DuckDBPyConnection, params: dict) -> None:
    """Every clinic's episodes, the tables made anew (the record is dropped first: an interrupted
    rebuild leaves none, so the next build is a full one too)."""
    run(con, "audit/episode_inputs_drop")
    run(con, "intermediate/int_episode_sessions", params)
    run(con, EPISODES_MACRO)
    run(con, "intermediate/int_episodes", params)
    run(con, "intermediate/int_episode_measures")
    _insert_measures(con, params["clinics"])


def _rebuild_clinic_episodes(con: duckdb.DuckDBPyConnection, params: dict) -> None:
    """The rows of the clinics in params["clinics"], deleted and inserted again from staging."""
    for table in EPISODE_TABLES:
        run(con, f"intermediate/operations/delete_{table}", params)
    run(con, "intermediate/operations/insert_int_episode_sessions", params)
    run(con, EPISODES_MACRO)
    run(con, "intermediate/operations/insert_int_episodes", params)
    _insert_measures(con, params["clinics"])


def build_episodes(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> dict[str, int]:
    """Sessions with condition groups (a view), episodes of care and their measured frequency,
    and each episode's series of scores per measure: for the clinics whose staged rows changed
    since the recorded build, or for every clinic (see the module's docstring)."""
    drop_if_table(con, "intermediate", "int_sessions")
    for name in RETIRED:
        drop_if_table(con, "intermediate", name)
    run(con, "intermediate/int_sessions")
    run(con, SESSIONS_MACRO)
    run(con, "audit/staged_clinic_digests")
    build = _episode_build(con, settings)
    clinics, why = _episode_clinics_to_rebuild(con, build, settings)
    params = {"gap_days": settings.episode_gap_days, **band_params(), "build": build}
    if clinics is None:
        params["clinics"] = [c for (c,) in run(con, "intermediate/operations/staged_clinics")]
        _build_all_episodes(con, params)
        _record_episode_build(con, settings, params)
        log.info("[episodes] every clinic's episodes rebuilt (%d clinics): %s", len(params["clinics"]), why)
    elif clinics:
        params["clinics"] = clinics
        with transaction(con):
            _rebuild_clinic_episodes(con, params)
            _record_episode_build(con, settings, params)
        log.info("[episodes] the episodes of %d clinic(s) rebuilt (their staged rows changed): %s",
                 len(clinics), ", ".join(clinics[:10]) + (" ..." if len(clinics) > 10 else ""))
    else:
        log.info("[episodes] no clinic's staged rows changed since the episodes were built")
    counts = {t: count(con, "intermediate", t) for t in EPISODE_TABLES}
    counts["int_sessions"] = counts["int_episode_sessions"]  # the same sessions (counting the view would compute it)
    log.info("[episodes] %d sessions in %d episodes; %d episode x measure series",
             counts["int_sessions"], counts["int_episodes"], counts["int_episode_measures"])
    return counts


def _record_episode_build(con: duckdb.DuckDBPyConnection, settings: contract.Settings, params: dict) -> None:
    for name in RECORDED_SETTINGS:
        run(con, "audit/analysis_setting_record", {"setting": name, "value": json.dumps(getattr(settings, name))})
    run(con, "audit/episode_inputs", params)


def _outcome_clinics_to_rebuild(con: duckdb.DuckDBPyConnection, build: str) -> tuple[list[str] | None, str]:
    """The clinics whose episodes changed since int_episode_outcomes was built (None: every clinic)."""
    if not table_exists(con, "intermediate", "int_episode_outcomes"):
        return None, "no table"
    if not table_exists(con, "audit", "episode_inputs") or not table_exists(con, "audit", "episode_outcome_inputs"):
        return None, "no record of the episodes or of the last build"
    if [b for (b,) in run(con, "audit/episode_outcome_inputs_builds")] != [build]:
        return None, "the episodes were rebuilt in full, or the registry, schema or code differ"
    return [c for (c,) in run(con, "audit/episode_outcome_inputs_changed")], ""


def build_episode_outcomes(con: duckdb.DuckDBPyConnection) -> int:
    """intermediate.int_episode_outcomes (published by the view marts.episode_outcomes): for the
    clinics whose episodes changed since it was built, or for every clinic."""
    run(con, OUTCOME_MACRO)
    recorded = table_exists(con, "audit", "episode_inputs")
    episodes = sorted(b for (b,) in run(con, "audit/episode_inputs_builds")) if recorded else None
    params = {"build": layer_fingerprint(con, "outcomes", episodes=episodes)}
    clinics, why = _outcome_clinics_to_rebuild(con, params["build"])
    if clinics is None:
        run(con, "audit/episode_outcome_inputs_drop")
        params["clinics"] = [c for (c,) in run(con, "intermediate/operations/episode_clinics")]
        run(con, "intermediate/int_episode_outcomes", params)
        if recorded:
            run(con, "audit/episode_outcome_inputs", params)
        log.info("[intermediate] int_episode_outcomes rebuilt for every clinic: %s", why)
    elif clinics:
        params["clinics"] = clinics
        with transaction(con):
            run(con, "intermediate/operations/delete_int_episode_outcomes", params)
            run(con, "intermediate/operations/insert_int_episode_outcomes", params)
            run(con, "audit/episode_outcome_inputs", params)
        log.info("[intermediate] int_episode_outcomes rebuilt for %d clinic(s)", len(clinics))
    n = count(con, "intermediate", "int_episode_outcomes")
    log.info("[intermediate] int_episode_outcomes: %d episode x measure rows", n)
    return n
