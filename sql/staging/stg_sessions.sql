-- staging.sessions: the rows of the pending batches that break no rule, typed (every row not in
-- rejected_sessions); in no particular order (each row carries its batch and row number).
insert into staging.sessions
select
    c_clinic_id as clinic_id,
    c_patient_id as patient_id,
    c_session_id as session_id,
    c_episode_id as episode_id,
    v_session_date as session_date,
    n_session_day::integer as session_day,
    coalesce(n_session_year::integer, year(v_session_date)) as session_year,
    replace(c_condition_code, '.', '') as condition_code,
    n_duration_min::integer as duration_min,
    v_techniques as techniques,
    c_therapist_id as therapist_id,
    c_cpt_code as cpt_code,
    c_age_band as age_band,
    c_sex as sex,
    c_payer as payer,
    t._batch_id,
    t._row_number
from typed_sessions($batch_ids, $list_separator) as t
anti join rejected_sessions as x on x._batch_id = t._batch_id and x._row_number = t._row_number
