-- staging.measurements: the scores of the pending batches that break no rule, typed (every row
-- not in rejected_measurements); in no particular order (each row carries its batch and row number).
insert into staging.measurements
select
    c_clinic_id as clinic_id,
    c_session_id as session_id,
    c_measure as measure,
    c_timepoint as timepoint,
    v_value as value,
    t._batch_id,
    t._row_number
from typed_measurements($batch_ids) as t
anti join rejected_measurements as x on x._batch_id = t._batch_id and x._row_number = t._row_number
