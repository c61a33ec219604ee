-- quarantine.sessions: the rejected rows of the pending batches, exactly as received, with reasons.
insert into quarantine.sessions
select
    r.clinic_id, r.patient_id, r.session_id, r.episode_id, r.session_date, r.session_day, r.session_year,
    r.condition_code, r.duration_min, r.techniques, r.therapist_id, r.cpt_code, r.age_band, r.sex, r.payer,
    r._batch_id, r._row_number, x.reasons
from raw.sessions as r
join rejected_sessions as x on x._batch_id = r._batch_id and x._row_number = r._row_number
order by r._batch_id, r._row_number
