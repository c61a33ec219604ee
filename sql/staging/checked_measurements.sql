-- Every raw measurement row of the pending batches, cleaned and typed, with the rules it breaks.
-- Runs after the sessions of the same batches are staged (a score needs a known session).
create or replace temp table checked_measurements as
with source as (
    select r.*, b.loaded_at as _loaded_at
    from raw.measurements as r
    join audit.batches as b on b.batch_id = r._batch_id and b.status = 'accepted'
    where list_contains($batch_ids, r._batch_id)
),

cleaned as (
    select
        *,
        nullif(trim(clinic_id), '') as c_clinic_id,
        nullif(trim(session_id), '') as c_session_id,
        lower(nullif(trim(measure), '')) as c_measure,
        lower(nullif(trim(timepoint), '')) as c_timepoint,
        nullif(trim(value), '') as c_value,
        try_cast(nullif(trim(value), '') as double) as v_value,
        greatest(length(clinic_id), length(session_id), length(measure), length(timepoint), length(value)) as max_len
    from source
),

-- The first copy of each score (clinic, session, measure, timepoint), in delivery order. A hash
-- aggregate and a join: several times cheaper than a row_number() window sorting every column.
first_copies as (
    select c_clinic_id, c_session_id, c_measure, c_timepoint,
           min((_loaded_at, _batch_id, _row_number)) as first_copy
    from cleaned
    group by all
),

numbered as (
    select c.*, (c._loaded_at, c._batch_id, c._row_number) <> f.first_copy as later_copy
    from cleaned as c
    join first_copies as f
      on f.c_clinic_id is not distinct from c.c_clinic_id and f.c_session_id is not distinct from c.c_session_id
     and f.c_measure is not distinct from c.c_measure and f.c_timepoint is not distinct from c.c_timepoint
),

checked as (
    select
        c.*,
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
            case when later_copy or dup.session_id is not null then 'measurement_duplicate' end,
            case when max_len > $max_chars then 'field_oversize' end
        ], lambda x: x is not null) as reasons
    from numbered as c
    left join staging.sessions as s
        on s.clinic_id = c.c_clinic_id and s.session_id = c.c_session_id
    left join (select distinct clinic_id, session_id from quarantine.sessions) as q
        on q.clinic_id = c.c_clinic_id and q.session_id = c.c_session_id
    left join ref.measures as m
        on m.code = c.c_measure
    left join staging.measurements as dup
        on dup.clinic_id = c.c_clinic_id and dup.session_id = c.c_session_id
       and dup.measure = c.c_measure and dup.timepoint = c.c_timepoint
)

select * from checked
