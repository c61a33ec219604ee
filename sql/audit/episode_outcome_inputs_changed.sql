-- The clinics whose episodes differ from those int_episode_outcomes was built from.
select coalesce(e.clinic_id, o.clinic_id) as clinic_id
from audit.episode_inputs as e
full join audit.episode_outcome_inputs as o on e.clinic_id = o.clinic_id
where
    e.clinic_id is null or o.clinic_id is null or e.build <> o.build
    or e.sessions <> o.sessions or e.sessions_digest <> o.sessions_digest
    or e.scores <> o.scores or e.scores_digest <> o.scores_digest
order by clinic_id
