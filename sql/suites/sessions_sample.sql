-- The staged sessions of some batches as the great-expectations suite reads them (pipeline/suites.py):
-- numbers as double and dates as timestamps (GE compares those vectorised), the technique list
-- joined by the contract's separator, and the year of session_date beside session_year.
-- Every row when $stride = 1. Else a deterministic sample (the same rows every time): the rows
-- whose key hashes to 0 modulo $stride, and, whatever the sample, the edges: the rows with the
-- smallest and the largest value of every ranged column, with the longest value of every text
-- column, one row of each value of every coded column and one row of each pattern of empty
-- columns. So a range, length, allowed-value, code-pattern or required-value rule that any of
-- these staged rows breaks is broken by a sampled row (what only the random part can catch:
-- identifier patterns, duplicates, the year mismatch).
with staged as (
    select
        rowid as row_key, clinic_id, patient_id, session_id, episode_id, session_date, session_day,
        session_year, condition_code, duration_min,
        array_to_string(techniques, $list_separator) as techniques,
        therapist_id, cpt_code, age_band, sex, payer, _batch_id, _row_number
    from staging.sessions
    where list_contains($batch_ids, _batch_id)
),
extremes as (
    select unnest([
        arg_min(row_key, duration_min), arg_max(row_key, duration_min),
        arg_min(row_key, session_date), arg_max(row_key, session_date),
        arg_min(row_key, session_day), arg_max(row_key, session_day),
        arg_min(row_key, session_year), arg_max(row_key, session_year),
        arg_max(row_key, length(clinic_id)), arg_max(row_key, length(patient_id)),
        arg_max(row_key, length(session_id)), arg_max(row_key, length(episode_id)),
        arg_max(row_key, length(condition_code)), arg_max(row_key, length(techniques)),
        arg_max(row_key, length(therapist_id)), arg_max(row_key, length(cpt_code)),
        arg_max(row_key, length(age_band)), arg_max(row_key, length(sex)), arg_max(row_key, length(payer))
    ]) as row_key
    from staged
    where $stride > 1
),
coded as (
    select min(row_key) as row_key
    from staged
    where $stride > 1
    group by grouping sets (
        (condition_code), (techniques), (cpt_code), (age_band), (sex), (payer),
        (episode_id is null, session_date is null, session_day is null, session_year is null,
         techniques is null, therapist_id is null, cpt_code is null, age_band is null, sex is null,
         payer is null, clinic_id is null, patient_id is null, session_id is null,
         condition_code is null, duration_min is null)
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
    techniques, therapist_id, cpt_code, age_band, sex, payer,
    _batch_id, _row_number
from staged
where $stride = 1 or hash(_batch_id, _row_number) % $stride::ubigint = 0 or row_key in (select row_key from edges)
order by _batch_id, _row_number
