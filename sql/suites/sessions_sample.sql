-- The staged sessions of some batches as the great-expectations suite reads them (pipeline/suites.py):
-- numbers as double and dates as timestamps (GE compares those vectorised), the technique list
-- joined by the contract's separator, and the year of session_date beside session_year.
-- Every row when $stride = 1. Else a deterministic sample (the same rows every time): the rows
-- whose (batch, row number) hashes to 0 modulo $stride, and, whatever the sample, the edge rows:
-- the smallest and the largest value of every ranged column and of session_year minus the year
-- of session_date, the longest value of every free-text column, one row of each value of every
-- coded column (so also its longest value) and one row of each pattern of empty columns. So a
-- range, length, allowed-value, code-pattern, required-value or year-mismatch rule that any of
-- these staged rows breaks is broken by a sampled row (what only the random part can catch: the
-- identifier patterns and duplicates).
-- Cheap at every size: no pass carries a whole row. The extremes come from one aggregate pass
-- over bigints that pack (value, row key) so that, of tied rows, the one with the smallest row
-- key wins (the same rows every run; arg_min would return whichever tied row a thread met
-- first); the codes from one pass of grouping sets; the rows themselves are read only for the
-- sample. Packing: a 32-bit value (int, days of a date, a length) offset by 2^31, times 2^32,
-- plus the row key (below 2^32): a ubigint.
with keyed as (
    select
        rowid::ubigint as k,
        (duration_min::bigint + 2147483648)::ubigint * 4294967296 as duration_min,
        ((session_date - date '1970-01-01')::bigint + 2147483648)::ubigint * 4294967296 as session_date,
        (session_day::bigint + 2147483648)::ubigint * 4294967296 as session_day,
        (session_year::bigint + 2147483648)::ubigint * 4294967296 as session_year,
        (least(greatest(session_year::bigint - year(session_date), -2147483648), 2147483647) + 2147483648)::ubigint
            * 4294967296 as year_gap,  -- clamped to 32 bits: still nonzero where the years differ
        length(clinic_id)::ubigint * 4294967296 as clinic_id,
        length(patient_id)::ubigint * 4294967296 as patient_id,
        length(session_id)::ubigint * 4294967296 as session_id,
        length(episode_id)::ubigint * 4294967296 as episode_id,
        length(therapist_id)::ubigint * 4294967296 as therapist_id
    from staging.sessions
    where $stride > 1 and list_contains($batch_ids, _batch_id)
),
extremes as (
    select unnest([
        min(duration_min + k) % 4294967296, 4294967295 - max(duration_min + 4294967295 - k) % 4294967296,
        min(session_date + k) % 4294967296, 4294967295 - max(session_date + 4294967295 - k) % 4294967296,
        min(session_day + k) % 4294967296, 4294967295 - max(session_day + 4294967295 - k) % 4294967296,
        min(session_year + k) % 4294967296, 4294967295 - max(session_year + 4294967295 - k) % 4294967296,
        min(year_gap + k) % 4294967296, 4294967295 - max(year_gap + 4294967295 - k) % 4294967296,
        4294967295 - max(clinic_id + 4294967295 - k) % 4294967296,
        4294967295 - max(patient_id + 4294967295 - k) % 4294967296,
        4294967295 - max(session_id + 4294967295 - k) % 4294967296,
        4294967295 - max(episode_id + 4294967295 - k) % 4294967296,
        4294967295 - max(therapist_id + 4294967295 - k) % 4294967296
    ]) as row_key
    from keyed
),
coded as (
    select min(rowid) as row_key
    from staging.sessions
    where $stride > 1 and list_contains($batch_ids, _batch_id)
    group by grouping sets (
        (condition_code), (techniques), (cpt_code), (age_band), (sex), (payer),
        ((clinic_id is null)::int + 2 * (patient_id is null)::int + 4 * (session_id is null)::int
         + 8 * (episode_id is null)::int + 16 * (session_date is null)::int + 32 * (session_day is null)::int
         + 64 * (session_year is null)::int + 128 * (condition_code is null)::int + 256 * (duration_min is null)::int
         + 512 * (techniques is null)::int + 1024 * (therapist_id is null)::int + 2048 * (cpt_code is null)::int
         + 4096 * (age_band is null)::int + 8192 * (sex is null)::int + 16384 * (payer is null)::int)
    )
),
edges as (
    select row_key from extremes where row_key is not null
    union
    select row_key from coded
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
from staging.sessions
where list_contains($batch_ids, _batch_id)
  and ($stride = 1 or hash(_batch_id, _row_number) % $stride::ubigint = 0 or rowid in (select row_key from edges))
order by _batch_id, _row_number
