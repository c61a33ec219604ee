-- quarantine.sessions: the rejected rows of the pending batches, exactly as received, with reasons.
insert into quarantine.sessions
select
    clinic_id, patient_id, session_id, episode_id, session_date, session_day, session_year,
    condition_code, duration_min, techniques, therapist_id, cpt_code, age_band, sex, payer,
    _batch_id, _row_number, reasons
from checked_sessions
where len(reasons) > 0
order by _batch_id, _row_number
