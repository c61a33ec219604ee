-- Per clinic, what its agg rows are computed from now (pipeline/agg.py): the record of its
-- episodes (audit.episode_inputs: int_episodes and int_episode_measures were built from these
-- staged rows, by this build) and of its outcomes (audit.episode_outcome_inputs: the episodes
-- int_episode_outcomes was built from, and that build), '' and -1 where a clinic has no row in
-- one of them. A temporary table: the comparison with audit.agg_inputs and the new record read it.
create or replace temp table agg_clinic_inputs as
select
    coalesce(e.clinic_id, o.clinic_id) as clinic_id,
    coalesce(e.build, '') as episodes_build,
    coalesce(e.sessions, -1) as sessions,
    coalesce(e.sessions_digest, -1) as sessions_digest,
    coalesce(e.scores, -1) as scores,
    coalesce(e.scores_digest, -1) as scores_digest,
    coalesce(o.outcomes_build, '') as outcomes_build,
    coalesce(o.build, '') as outcome_episodes_build,
    coalesce(o.sessions, -1) as outcome_sessions,
    coalesce(o.sessions_digest, -1) as outcome_sessions_digest,
    coalesce(o.scores, -1) as outcome_scores,
    coalesce(o.scores_digest, -1) as outcome_scores_digest
from audit.episode_inputs as e
full join audit.episode_outcome_inputs as o on e.clinic_id = o.clinic_id
