-- The clinics of agg.$table whose inputs differ from what its rows were built from: their
-- episodes or outcomes rebuilt (a new batch, a corrected delivery), a clinic new or removed.
with recorded as (
    select * from audit.agg_inputs where agg_table = $table
)

select coalesce(n.clinic_id, r.clinic_id) as clinic_id
from agg_clinic_inputs as n
full join recorded as r on n.clinic_id = r.clinic_id
where
    n.clinic_id is null or r.clinic_id is null
    or n.episodes_build <> r.episodes_build or n.outcomes_build <> r.outcomes_build
    or n.outcome_episodes_build <> r.outcome_episodes_build
    or n.sessions <> r.sessions or n.sessions_digest <> r.sessions_digest
    or n.scores <> r.scores or n.scores_digest <> r.scores_digest
    or n.outcome_sessions <> r.outcome_sessions or n.outcome_sessions_digest <> r.outcome_sessions_digest
    or n.outcome_scores <> r.outcome_scores or n.outcome_scores_digest <> r.outcome_scores_digest
order by clinic_id
