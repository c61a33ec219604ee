-- quarantine.measurements: the rejected scores of the pending batches, as received, with reasons.
insert into quarantine.measurements
select clinic_id, session_id, measure, timepoint, value, _batch_id, _row_number, reasons
from checked_measurements
where len(reasons) > 0
order by _batch_id, _row_number
