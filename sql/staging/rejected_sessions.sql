-- The session rows of the pending batches that break a rule of the contract, each with the list
-- of rules it breaks: only their keys and reasons are kept (a few rows), never a wide copy of the
-- batch. Rules' values arrive as parameters from pipeline/contract.py.
create or replace temp table rejected_sessions as
with checked as (
    select
        t._batch_id,
        t._row_number,
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
                 when (t._loaded_at, t._batch_id, t._row_number) <> f.first_copy
                   or s.session_id is not null then 'session_id_duplicate' end,
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
    from typed_sessions($batch_ids, $list_separator) as t
    left join repeated_sessions as f
      on f.k_clinic_id is not distinct from t.c_clinic_id and f.k_session_id is not distinct from t.c_session_id
    left join staging.sessions as s
        on s.clinic_id = t.c_clinic_id and s.session_id = t.c_session_id
)

select * from checked
where len(reasons) > 0
