-- A table macro (temporary, this connection): the raw session rows of the given accepted batches,
-- each value cleaned (trimmed, empty = null, case folded) and typed, next to the values as
-- received. Nothing is materialized: the rules (staging/rejected_sessions) and the valid rows
-- (staging/stg_sessions) each stream over it, reading only the columns they use.
create or replace temp macro typed_sessions(batch_ids, list_separator) as table
with cleaned as (
    select
        r.*,
        b.loaded_at as _loaded_at,
        nullif(trim(r.clinic_id), '') as c_clinic_id,
        nullif(trim(r.patient_id), '') as c_patient_id,
        nullif(trim(r.session_id), '') as c_session_id,
        nullif(trim(r.episode_id), '') as c_episode_id,
        nullif(trim(r.session_date), '') as c_session_date,
        nullif(trim(r.session_day), '') as c_session_day,
        nullif(trim(r.session_year), '') as c_session_year,
        upper(nullif(trim(r.condition_code), '')) as c_condition_code,
        nullif(trim(r.duration_min), '') as c_duration_min,
        nullif(trim(r.techniques), '') as c_techniques,
        nullif(trim(r.therapist_id), '') as c_therapist_id,
        nullif(trim(r.cpt_code), '') as c_cpt_code,
        nullif(trim(r.age_band), '') as c_age_band,
        upper(nullif(trim(r.sex), '')) as c_sex,
        lower(nullif(trim(r.payer), '')) as c_payer
    from raw.sessions as r
    join audit.batches as b on b.batch_id = r._batch_id and b.status = 'accepted'
    where list_contains(batch_ids, r._batch_id)
)

select
    *,
    try_strptime(c_session_date, '%Y-%m-%d')::date as v_session_date,
    try_cast(c_session_day as double) as n_session_day,
    try_cast(c_session_year as double) as n_session_year,
    try_cast(c_duration_min as double) as n_duration_min,
    list_transform(string_split(c_techniques, list_separator), lambda t: lower(trim(t))) as v_techniques,
    greatest(
        length(clinic_id), length(patient_id), length(session_id), length(episode_id),
        length(session_date), length(session_day), length(session_year), length(condition_code),
        length(duration_min), length(techniques), length(therapist_id), length(cpt_code),
        length(age_band), length(sex), length(payer)
    ) as max_len
from cleaned
