-- audit.agg_inputs: what each agg table was last built from (pipeline/agg.py): per table and
-- clinic, the inputs of agg_clinic_inputs.sql, and the table's build fingerprint (its SQL, its
-- parameters, pipeline/agg.py, the episode layer's builds, the registry, DuckDB's version). The
-- next build of the table rebuilds only the clinics whose inputs differ, and every clinic when
-- the fingerprint does or the table has no record.
create table if not exists audit.agg_inputs (
    agg_table varchar not null,
    build varchar not null,
    clinic_id varchar not null,
    episodes_build varchar,
    sessions bigint,
    sessions_digest hugeint,
    scores bigint,
    scores_digest hugeint,
    outcomes_build varchar,
    outcome_episodes_build varchar,
    outcome_sessions bigint,
    outcome_sessions_digest hugeint,
    outcome_scores bigint,
    outcome_scores_digest hugeint
)
