-- quarantine.measurements: the rejected scores of the pending batches, as received, with reasons.
insert into quarantine.measurements
select r.clinic_id, r.session_id, r.measure, r.timepoint, r.value, r._batch_id, r._row_number, x.reasons
from raw.measurements as r
join rejected_measurements as x on x._batch_id = r._batch_id and x._row_number = r._row_number
order by r._batch_id, r._row_number
