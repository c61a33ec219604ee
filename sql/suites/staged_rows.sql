-- Rows staged per batch of one table, for the batches given.
select _batch_id as batch_id, count(*) as n
from (
    select _batch_id from staging.sessions where $table_name = 'sessions' and list_contains($batch_ids, _batch_id)
    union all
    select _batch_id from staging.measurements where $table_name = 'measurements' and list_contains($batch_ids, _batch_id)
)
group by all
