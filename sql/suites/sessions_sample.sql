-- The staged sessions of some batches as the great-expectations suite reads them (pipeline/suites.py):
-- numbers as double and dates as timestamps (GE compares those vectorised), the technique list
-- joined by the contract's separator, and the year of session_date beside session_year.
-- Every row when $stride = 1. Else a deterministic sample (the same rows every time): the rows
-- whose (batch, row number) hashes to 0 modulo $stride, and, whatever the sample, the edge rows:
-- the smallest and the largest value of every ranged column and of session_year minus the year
-- of session_date, the longest value of every free-text column, one row of each value of every
-- coded column (so also its longest value) and one row of each pattern of empty values among the
-- nullable columns a rule reads for emptiness (session_date, session_day, session_year: the other
-- required columns are NOT NULL in staging's DDL; tests/quality/test_suites.py checks this against
-- the suite's rules). So a range, length, allowed-value, code-pattern, required-value or
-- year-mismatch rule that any of these staged rows breaks is broken by a sampled row (what only the
-- random part can catch: the identifier patterns and duplicates).
-- Cheap at every size: no pass carries a whole row. The extremes come from one aggregate pass
-- over bigints that pack (value, row key) so that, of tied rows, the one with the smallest row
-- key wins (the same rows every run; arg_min would return whichever tied row a thread met
-- first); the codes from one pass of grouping sets, the technique lists grouped by their 64-bit
-- hash (a third of the cost of grouping by the list; two distinct lists in one check share a
-- hash with probability about k^2 / 2^65 for k distinct lists, 5e-16 for 130, and then only one
-- of them is sure to be sampled); the rows themselves are read only for the sample, by row key.
-- Packing: a 32-bit value (int, days of a date, a length) offset by 2^31, shifted by 32 bits, or'd
-- with the row key (below 2^32): a ubigint; the largest with the row key's bits flipped (xor),
-- so that of tied rows the smallest key wins. Bit operations, not + and *: DuckDB checks every
-- integer + and * for overflow (a third of this query's cost when it did). $all_batches (the
-- batches given are every staged batch) spares the filter on the batch.
with pending as not materialized (
    select *, rowid as _key from staging.sessions where $all_batches or list_contains($batch_ids, _batch_id)
),
keyed as (
    select
        _key::ubigint as k,
        ((duration_min::bigint + 2147483648)::ubigint << 32) as duration_min,
        (((session_date - date '1970-01-01')::bigint + 2147483648)::ubigint << 32) as session_date,
        ((session_day::bigint + 2147483648)::ubigint << 32) as session_day,
        ((session_year::bigint + 2147483648)::ubigint << 32) as session_year,
        ((least(greatest(session_year::bigint - year(session_date), -2147483648), 2147483647) + 2147483648)::ubigint
            << 32) as year_gap,  -- clamped to 32 bits: still nonzero where the years differ
        (length(clinic_id)::ubigint << 32) as clinic_id,
        (length(patient_id)::ubigint << 32) as patient_id,
        (length(session_id)::ubigint << 32) as session_id,
        (length(episode_id)::ubigint << 32) as episode_id,
        (length(therapist_id)::ubigint << 32) as therapist_id
    from pending
    where $stride > 1
),
extremes as (
    select unnest([
        min(duration_min | k) & 4294967295, xor(max(duration_min | xor(k, 4294967295)) & 4294967295, 4294967295),
        min(session_date | k) & 4294967295, xor(max(session_date | xor(k, 4294967295)) & 4294967295, 4294967295),
        min(session_day | k) & 4294967295, xor(max(session_day | xor(k, 4294967295)) & 4294967295, 4294967295),
        min(session_year | k) & 4294967295, xor(max(session_year | xor(k, 4294967295)) & 4294967295, 4294967295),
        min(year_gap | k) & 4294967295, xor(max(year_gap | xor(k, 4294967295)) & 4294967295, 4294967295),
        xor(max(clinic_id | xor(k, 4294967295)) & 4294967295, 4294967295),
        xor(max(patient_id | xor(k, 4294967295)) & 4294967295, 4294967295),
        xor(max(session_id | xor(k, 4294967295)) & 4294967295, 4294967295),
        xor(max(episode_id | xor(k, 4294967295)) & 4294967295, 4294967295),
        xor(max(therapist_id | xor(k, 4294967295)) & 4294967295, 4294967295)
    ]) as row_key
    from keyed
),
coded as (
    select min(_key) as row_key
    from pending
    where $stride > 1
    group by grouping sets (
        (condition_code), (hash(techniques)), (cpt_code), (age_band), (sex), (payer),
        (session_date is null, session_day is null, session_year is null)
    )
),
edges as (
    select row_key::bigint as row_key from extremes where row_key is not null
    union all
    select row_key::bigint from coded
    union all
    select _key from pending where hash(_batch_id, _row_number) % $stride::ubigint = 0
)
select
    clinic_id, patient_id, session_id, episode_id,
    session_date::timestamp as session_date,
    session_day::double as session_day,
    session_year::double as session_year,
    year(session_date)::double as session_date_year,
    condition_code,
    duration_min::double as duration_min,
    array_to_string(techniques, $list_separator) as techniques,
    therapist_id, cpt_code, age_band, sex, payer,
    _batch_id, _row_number
from pending
where $stride = 1 or _key in (select row_key from edges)
order by _batch_id, _row_number
