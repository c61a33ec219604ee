-- Every raw session row of the pending batches, cleaned and typed, with the list of contract
-- rules it breaks (empty = valid). Rules' values arrive as parameters from pipeline/contract.py.
create or replace temp table checked_sessions as
with source as (
    select r.*, b.loaded_at as _loaded_at
    from raw.sessions as r
    join audit.batches as b on b.batch_id = r._batch_id and b.status = 'accepted'
    where list_contains($batch_ids, r._batch_id)
),

cleaned as (
    select
        *,
        nullif(trim(clinic_id), '') as c_clinic_id,
        nullif(trim(patient_id), '') as c_patient_id,
        nullif(trim(session_id), '') as c_session_id,
        nullif(trim(episode_id), '') as c_episode_id,
        nullif(trim(session_date), '') as c_session_date,
        nullif(trim(session_day), '') as c_session_day,
        nullif(trim(session_year), '') as c_session_year,
        upper(nullif(trim(condition_code), '')) as c_condition_code,
        nullif(trim(duration_min), '') as c_duration_min,
        nullif(trim(techniques), '') as c_techniques,
        nullif(trim(therapist_id), '') as c_therapist_id,
        nullif(trim(cpt_code), '') as c_cpt_code,
        nullif(trim(age_band), '') as c_age_band,
        upper(nullif(trim(sex), '')) as c_sex,
        lower(nullif(trim(payer), '')) as c_payer
    from source
),

typed as (
    select
        *,
        try_strptime(c_session_date, '%Y-%m-%d')::date as v_session_date,
        try_cast(c_session_day as double) as n_session_day,
        try_cast(c_session_year as double) as n_session_year,
        try_cast(c_duration_min as double) as n_duration_min,
        list_transform(string_split(c_techniques, $list_separator), lambda t: lower(trim(t))) as v_techniques,
        greatest(
            length(clinic_id), length(patient_id), length(session_id), length(episode_id),
            length(session_date), length(session_day), length(session_year), length(condition_code),
            length(duration_min), length(techniques), length(therapist_id), length(cpt_code),
            length(age_band), length(sex), length(payer)
        ) as max_len
    from cleaned
),

-- The first copy of each session id of a clinic, in delivery order. A hash aggregate and a join:
-- several times cheaper than a row_number() window sorting every column.
first_copies as (
    select c_clinic_id, c_session_id, min((_loaded_at, _batch_id, _row_number)) as first_copy
    from cleaned
    group by all
),

numbered as (
    select t.*, (t._loaded_at, t._batch_id, t._row_number) <> f.first_copy as later_copy
    from typed as t
    join first_copies as f
      on f.c_clinic_id is not distinct from t.c_clinic_id and f.c_session_id is not distinct from t.c_session_id
),

checked as (
    select
        t.*,
        list_filter([
            case when c_clinic_id is null then 'clinic_id_missing'
                 when not regexp_full_match(c_clinic_id, $clinic_id_pattern) then 'clinic_id_malformed' end,
            case when c_patient_id is null then 'patient_id_missing'
                 when regexp_matches(c_patient_id, $id_email_pattern)
                   or regexp_matches(c_patient_id, $id_ssn_pattern)
                   or regexp_matches(c_patient_id, $id_phone_pattern)
                     then 'patient_id_identifying'
                 when not regexp_full_match(c_patient_id, $patient_id_pattern) then 'patient_id_malformed' end,
            case when c_session_id is null then 'session_id_missing'
                 when later_copy or s.session_id is not null then 'session_id_duplicate' end,
            case when c_session_date is null and c_session_day is null then 'session_date_missing' end,
            case when c_session_date is null then null
                 when not regexp_full_match(c_session_date, $date_pattern) then 'session_date_malformed'
                 when v_session_date is null then 'session_date_impossible'
                 when v_session_date > current_date then 'session_date_future'
                 when v_session_date < $earliest_date::date then 'session_date_too_early' end,
            case when c_session_day is not null
                  and (n_session_day is null or not isfinite(n_session_day) or n_session_day <> round(n_session_day)
                       or n_session_day < $day_lo or n_session_day > $day_hi) then 'session_day_invalid' end,
            case when c_session_day is not null and c_session_date is null and c_session_year is null
                 then 'session_year_missing' end,
            case when c_session_year is null then null
                 when n_session_year is null or not isfinite(n_session_year) or n_session_year <> round(n_session_year)
                   or n_session_year < $year_lo or n_session_year > $year_hi then 'session_year_invalid'
                 when n_session_year > year(current_date) and c_session_date is null then 'session_date_future'
                 when v_session_date is not null and n_session_year <> year(v_session_date) then 'session_year_mismatch' end,
            case when c_condition_code is null then 'condition_code_missing'
                 when not regexp_full_match(c_condition_code, $icd_pattern) then 'condition_code_invalid' end,
            case when c_duration_min is null then 'duration_missing'
                 when n_duration_min is null or not isfinite(n_duration_min)
                   or n_duration_min <> round(n_duration_min) then 'duration_not_integer'
                 when n_duration_min < $duration_lo or n_duration_min > $duration_hi then 'duration_out_of_range' end,
            case when c_techniques is not null
                  and not list_has_all($techniques, v_techniques) then 'techniques_invalid' end,
            case when c_age_band is not null and not list_contains($age_bands, c_age_band) then 'age_band_invalid' end,
            case when c_sex is not null and not list_contains($sexes, c_sex) then 'sex_invalid' end,
            case when c_payer is not null and not list_contains($payers, c_payer) then 'payer_invalid' end,
            case when max_len > $max_chars then 'field_oversize' end
        ], lambda x: x is not null) as reasons
    from numbered as t
    left join staging.sessions as s
        on s.clinic_id = t.c_clinic_id and s.session_id = t.c_session_id
)

select * from checked
