-- The staged scores of some batches as the great-expectations suite reads them (pipeline/suites.py).
-- Every row when $stride = 1. Else a deterministic sample (the same rows every time): the rows
-- whose key hashes to 0 modulo $stride, and, whatever the sample, the edges: per measure the rows
-- with the smallest and the largest value, the rows with the longest value of every text column,
-- one row of each measure and timepoint, and one row of each pattern of empty columns (see
-- sessions_sample.sql: what only the random part can catch here are the identifier patterns and
-- duplicates).
with staged as (
    select rowid as row_key, clinic_id, session_id, measure, timepoint, value, _batch_id, _row_number
    from staging.measurements
    where list_contains($batch_ids, _batch_id)
),
extremes as (
    select unnest([arg_min(row_key, value), arg_max(row_key, value)]) as row_key
    from staged
    where $stride > 1
    group by measure
    union all
    select unnest([
        arg_max(row_key, length(clinic_id)), arg_max(row_key, length(session_id)),
        arg_max(row_key, length(measure)), arg_max(row_key, length(timepoint))
    ]) as row_key
    from staged
    where $stride > 1
),
coded as (
    select min(row_key) as row_key
    from staged
    where $stride > 1
    group by grouping sets (
        (measure), (timepoint),
        (clinic_id is null, session_id is null, measure is null, timepoint is null, value is null)
    )
),
edges as (
    select row_key from extremes where row_key is not null
    union
    select row_key from coded
)
select clinic_id, session_id, measure, timepoint, value::double as value, _batch_id, _row_number
from staged
where $stride = 1 or hash(_batch_id, _row_number) % $stride::ubigint = 0 or row_key in (select row_key from edges)
order by _batch_id, _row_number
