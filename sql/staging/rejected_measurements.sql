-- The score rows of the pending batches that break a rule of the contract, each with the list of
-- rules it breaks: only their keys and reasons are kept (a few rows), never a wide copy of the
-- batch. Runs after the sessions of the same batches are staged (a score needs a known session).
create or replace temp table rejected_measurements as
with checked as (
    select
        t._batch_id,
        t._row_number,
        list_filter([
            case when c_clinic_id is null then 'clinic_id_missing'
                 when not regexp_full_match(c_clinic_id, $clinic_id_pattern) then 'clinic_id_malformed' end,
            case when c_session_id is null then 'session_id_missing'
                 when s.session_id is null and q.session_id is not null then 'session_quarantined'
                 when s.session_id is null then 'session_unknown' end,
            case when c_measure is null then 'measure_missing'
                 when m.code is null then 'measure_unknown' end,
            case when c_timepoint is null then 'timepoint_missing'
                 when not list_contains($timepoints, c_timepoint) then 'timepoint_invalid' end,
            case when c_value is null then 'value_missing'
                 when v_value is null then 'value_not_numeric'
                 when isnan(v_value) or isinf(v_value) then 'value_not_finite'
                 when m.code is not null and (v_value < m.range_min or v_value > m.range_max) then 'value_out_of_range' end,
            case when (t._loaded_at, t._batch_id, t._row_number) <> f.first_copy
                   or dup.session_id is not null then 'measurement_duplicate' end,
            case when max_len > $max_chars then 'field_oversize' end
        ], lambda x: x is not null) as reasons
    from typed_measurements($batch_ids) as t
    left join repeated_measurements as f
      on f.k_clinic_id is not distinct from t.c_clinic_id and f.k_session_id is not distinct from t.c_session_id
     and f.k_measure is not distinct from t.c_measure and f.k_timepoint is not distinct from t.c_timepoint
    left join staging.sessions as s
        on s.clinic_id = t.c_clinic_id and s.session_id = t.c_session_id
    left join (select distinct clinic_id, session_id from quarantine.sessions) as q
        on q.clinic_id = t.c_clinic_id and q.session_id = t.c_session_id
    left join ref.measures as m
        on m.code = t.c_measure
    left join staging.measurements as dup
        on dup.clinic_id = t.c_clinic_id and dup.session_id = t.c_session_id
       and dup.measure = t.c_measure and dup.timepoint = t.c_timepoint
)

select * from checked
where len(reasons) > 0
