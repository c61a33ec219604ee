-- agg_clinic_inputs (agg_clinic_inputs.sql) for an agg table that reads the episodes but not
-- int_episode_outcomes (agg.completeness_cells, agg.condition_episodes; pipeline/agg.py
-- TABLES): per clinic its row of audit.episode_inputs only, the outcome columns '' and -1.
-- Such a table may be built before int_episode_outcomes is, so its record leaves them out.
create or replace temp table agg_clinic_inputs as
select
    clinic_id,
    build as episodes_build,
    sessions,
    sessions_digest,
    scores,
    scores_digest,
    '' as outcomes_build,
    '' as outcome_episodes_build,
    -1 as outcome_sessions,
    -1 as outcome_sessions_digest,
    -1 as outcome_scores,
    -1 as outcome_scores_digest
from audit.episode_inputs
