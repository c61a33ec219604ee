-- The clinics whose staged rows differ from what their episodes were built from: a new batch, a
-- corrected delivery, rows removed, a clinic new or no longer staged.
select coalesce(n.clinic_id, r.clinic_id) as clinic_id
from staged_clinic_digests as n
full join audit.episode_inputs as r on n.clinic_id = r.clinic_id
where
    n.clinic_id is null or r.clinic_id is null
    or n.sessions <> r.sessions or n.sessions_digest <> r.sessions_digest
    or n.scores <> r.scores or n.scores_digest <> r.scores_digest
order by clinic_id
