-- The staged scores of some batches as the great-expectations suite reads them (pipeline/suites.py).
-- Every row when $stride = 1. Else a deterministic sample (the same rows every time): the rows
-- whose (batch, row number) hashes to 0 modulo $stride, and, whatever the sample, the edge rows:
-- per measure the rows with the smallest and the largest value; per measure, timepoint and
-- pattern of empty columns (a few dozen groups whatever the size) its first row and the rows with
-- the longest clinic_id and session_id. So a range, length, allowed-value or required-value rule
-- that any of these staged rows breaks is broken by a sampled row (what only the random part can
-- catch here: the identifier patterns and duplicates). Of tied rows the one with the smallest row
-- key, so the same rows every run (lengths packed with the row key as in sessions_sample.sql;
-- the values, doubles, are found in a second pass against their measure's bounds). One pass
-- groups, one finds the extremes, one reads the sampled rows whole.
with grouped as (
    select
        measure, min(value) as lo, max(value) as hi, min(rowid) as first_key,
        4294967295 - max(length(clinic_id)::ubigint * 4294967296 + 4294967295 - rowid::ubigint) % 4294967296 as clinic_key,
        4294967295 - max(length(session_id)::ubigint * 4294967296 + 4294967295 - rowid::ubigint) % 4294967296 as session_key
    from staging.measurements
    where $stride > 1 and list_contains($batch_ids, _batch_id)
    group by measure, timepoint,
        (clinic_id is null)::int + 2 * (session_id is null)::int + 4 * (measure is null)::int
        + 8 * (timepoint is null)::int + 16 * (value is null)::int
),
bounds as (
    select measure, min(lo) as lo, max(hi) as hi from grouped where measure is not null group by measure
),
extremes as (
    select unnest([min(m.rowid) filter (where m.value = b.lo), min(m.rowid) filter (where m.value = b.hi)]) as row_key
    from staging.measurements as m
    inner join bounds as b on m.measure = b.measure
    where list_contains($batch_ids, m._batch_id) and (m.value = b.lo or m.value = b.hi)
    group by m.measure
),
edges as (
    select row_key from extremes where row_key is not null
    union
    select unnest([first_key, clinic_key, session_key]) from grouped
)
select clinic_id, session_id, measure, timepoint, value::double as value, _batch_id, _row_number
from staging.measurements
where list_contains($batch_ids, _batch_id)
  and ($stride = 1 or hash(_batch_id, _row_number) % $stride::ubigint = 0 or rowid in (select row_key from edges))
order by _batch_id, _row_number
