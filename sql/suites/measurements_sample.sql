-- The staged scores of some batches as the great-expectations suite reads them (pipeline/suites.py).
-- At most $max_rows rows: beyond that a deterministic sample (the same rows every time).
select clinic_id, session_id, measure, timepoint, value::double as value, _batch_id, _row_number
from staging.measurements
where list_contains($batch_ids, _batch_id)
order by hash(_batch_id, _row_number)
limit $max_rows
