-- A table macro (temporary, this connection): the raw score rows of the given accepted batches,
-- each value cleaned (trimmed, empty = null, case folded) and typed, next to the values as
-- received. Nothing is materialized: the rules (staging/rejected_measurements) and the valid
-- rows (staging/stg_measurements) each stream over it, reading only the columns they use.
create or replace temp macro typed_measurements(batch_ids) as table
select
    r.*,
    b.loaded_at as _loaded_at,
    nullif(trim(r.clinic_id), '') as c_clinic_id,
    nullif(trim(r.session_id), '') as c_session_id,
    lower(nullif(trim(r.measure), '')) as c_measure,
    lower(nullif(trim(r.timepoint), '')) as c_timepoint,
    nullif(trim(r.value), '') as c_value,
    try_cast(nullif(trim(r.value), '') as double) as v_value,
    greatest(length(r.clinic_id), length(r.session_id), length(r.measure), length(r.timepoint),
             length(r.value)) as max_len
from raw.measurements as r
join audit.batches as b on b.batch_id = r._batch_id and b.status = 'accepted'
where list_contains(batch_ids, r._batch_id)
