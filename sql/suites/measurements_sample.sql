-- The staged scores of some batches as the great-expectations suite reads them (pipeline/suites.py).
-- Every row when $stride = 1. Else a deterministic sample (the same rows every time): the rows
-- whose (batch, row number) hashes to 0 modulo $stride, and, whatever the sample, the edge rows:
-- per measure the rows with the smallest and the largest value; per measure and timepoint (a few
-- dozen groups whatever the size) its first row and the rows with the longest clinic_id and
-- session_id. Every column is NOT NULL in staging's DDL, so there is no pattern of empty values
-- to sample (tests/quality/test_suites.py checks this against the suite's rules). So a range,
-- length, allowed-value or required-value rule that any of these staged rows breaks is broken by
-- a sampled row (what only the random part can catch here: the identifier patterns and
-- duplicates). Of tied rows the one with the smallest row key, so the same rows every run
-- (lengths packed with the row key as in sessions_sample.sql; the values, doubles, are found in a
-- second pass against their measure's bounds). One pass groups, one finds the extremes, one reads
-- the sampled rows whole, by row key. $all_batches (the batches given are every staged batch)
-- spares the filter on the batch.
with pending as not materialized (
    select *, rowid as _key from staging.measurements where $all_batches or list_contains($batch_ids, _batch_id)
),
grouped as (
    select
        measure, min(value) as lo, max(value) as hi, min(_key) as first_key,
        xor(max((length(clinic_id)::ubigint << 32) | xor(_key::ubigint, 4294967295)) & 4294967295, 4294967295) as clinic_key,
        xor(max((length(session_id)::ubigint << 32) | xor(_key::ubigint, 4294967295)) & 4294967295, 4294967295) as session_key
    from pending
    where $stride > 1
    group by measure, timepoint
),
bounds as (
    select measure, min(lo) as lo, max(hi) as hi from grouped group by measure
),
extremes as (
    select unnest([min(m._key) filter (where m.value = b.lo), min(m._key) filter (where m.value = b.hi)]) as row_key
    from pending as m
    inner join bounds as b on m.measure = b.measure
    where m.value = b.lo or m.value = b.hi
    group by m.measure
),
edges as (
    select row_key::bigint as row_key from extremes where row_key is not null
    union all
    select unnest([first_key, clinic_key::bigint, session_key::bigint]) from grouped
    union all
    select _key from pending where hash(_batch_id, _row_number) % $stride::ubigint = 0
)
select clinic_id, session_id, measure, timepoint, value::double as value, _batch_id, _row_number
from pending
where $stride = 1 or _key in (select row_key from edges)
order by _batch_id, _row_number
