-- The staged scores of some batches as the great-expectations suite reads them (pipeline/suites.py).
-- Every row when $stride = 1. Else a deterministic sample (the same rows every time): the rows
-- whose key hashes to 0 modulo $stride, and, whatever the sample, the edges (of tied rows the one with
-- the smallest row key, so the same rows every run): per measure the rows
-- with the smallest and the largest value, the rows with the longest value of every text column,
-- one row of each measure and timepoint, and one row of each pattern of empty columns (see
-- sessions_sample.sql: what only the random part can catch here are the identifier patterns and
-- duplicates).
with staged as (
    select rowid as row_key, clinic_id, session_id, measure, timepoint, value, _batch_id, _row_number
    from staging.measurements
    where list_contains($batch_ids, _batch_id)
),
bounds as (
    select measure, min(value) as lo, max(value) as hi
    from staged
    where $stride > 1
    group by measure
),
lengths as (
    select
        max(length(clinic_id)) as clinic_len, max(length(session_id)) as session_len,
        max(length(measure)) as measure_len, max(length(timepoint)) as timepoint_len
    from staged
    where $stride > 1
),
extremes as (
    select unnest([min(s.row_key) filter (where s.value = b.lo), min(s.row_key) filter (where s.value = b.hi)]) as row_key
    from staged as s
    inner join bounds as b on s.measure = b.measure
    group by s.measure
    union all
    select unnest([
        min(s.row_key) filter (where length(s.clinic_id) = l.clinic_len),
        min(s.row_key) filter (where length(s.session_id) = l.session_len),
        min(s.row_key) filter (where length(s.measure) = l.measure_len),
        min(s.row_key) filter (where length(s.timepoint) = l.timepoint_len)
    ]) as row_key
    from staged as s
    cross join lengths as l
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
