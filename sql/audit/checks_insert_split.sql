-- Record, for one table of the batches just split, that rows in raw = rows staged + rows quarantined
-- (written in the split's own transaction: the record is also the mark that the batch was split).
insert into audit.checks (batch_id, table_name, suite, expectation, column_name, success,
                          unexpected_count, details, checked_at)
with batches as (
    select unnest($batch_ids) as batch_id
),

raw_rows as (
    select _batch_id as batch_id, count(*) as n from raw.sessions
    where $table_name = 'sessions' and list_contains($batch_ids, _batch_id) group by all
    union all
    select _batch_id, count(*) from raw.measurements
    where $table_name = 'measurements' and list_contains($batch_ids, _batch_id) group by all
),

staged as (
    select _batch_id as batch_id, count(*) as n from staging.sessions
    where $table_name = 'sessions' and list_contains($batch_ids, _batch_id) group by all
    union all
    select _batch_id, count(*) from staging.measurements
    where $table_name = 'measurements' and list_contains($batch_ids, _batch_id) group by all
),

quarantined as (
    select _batch_id as batch_id, count(*) as n from quarantine.sessions
    where $table_name = 'sessions' and list_contains($batch_ids, _batch_id) group by all
    union all
    select _batch_id, count(*) from quarantine.measurements
    where $table_name = 'measurements' and list_contains($batch_ids, _batch_id) group by all
),

counted as (
    select b.batch_id, coalesce(r.n, 0) as rows_raw, coalesce(s.n, 0) as rows_staged,
           coalesce(q.n, 0) as rows_quarantined
    from batches as b
    left join raw_rows as r on r.batch_id = b.batch_id
    left join staged as s on s.batch_id = b.batch_id
    left join quarantined as q on q.batch_id = b.batch_id
)

select
    batch_id, $table_name, $suite, $expectation, null,
    rows_raw = rows_staged + rows_quarantined,
    abs(rows_raw - rows_staged - rows_quarantined),
    json_object('rows_raw', rows_raw, 'rows_staged', rows_staged, 'rows_quarantined', rows_quarantined)::varchar,
    $checked_at
from counted
order by batch_id
