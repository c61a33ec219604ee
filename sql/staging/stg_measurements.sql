-- staging.measurements: the valid scores of the pending batches, typed (from checked_measurements).
insert into staging.measurements
select
    c_clinic_id as clinic_id,
    c_session_id as session_id,
    c_measure as measure,
    c_timepoint as timepoint,
    v_value as value,
    _batch_id,
    _row_number
from checked_measurements
where len(reasons) = 0
order by _batch_id, _row_number
