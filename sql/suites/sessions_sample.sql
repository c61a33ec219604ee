-- The staged sessions of some batches as the great-expectations suite reads them (pipeline/suites.py):
-- numbers as double and dates as timestamps (GE compares those vectorised), the technique list
-- joined by the contract's separator, and the year of session_date beside session_year.
-- Every row when $stride = 1. Else a deterministic sample (the same rows every time): the rows
-- whose key hashes to 0 modulo $stride, and, whatever the sample, the edges (of tied rows the one
-- with the smallest row key, so the same rows every run): the rows with the
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
bounds as (
    select
        min(duration_min) as duration_min_lo, max(duration_min) as duration_min_hi,
        min(session_date) as session_date_lo, max(session_date) as session_date_hi,
        min(session_day) as session_day_lo, max(session_day) as session_day_hi,
        min(session_year) as session_year_lo, max(session_year) as session_year_hi,
        max(length(clinic_id)) as clinic_id_len,
        max(length(patient_id)) as patient_id_len,
        max(length(session_id)) as session_id_len,
        max(length(episode_id)) as episode_id_len,
        max(length(condition_code)) as condition_code_len,
        max(length(techniques)) as techniques_len,
        max(length(therapist_id)) as therapist_id_len,
        max(length(cpt_code)) as cpt_code_len,
        max(length(age_band)) as age_band_len,
        max(length(sex)) as sex_len,
        max(length(payer)) as payer_len
    from staged
    where $stride > 1
),
extremes as (
    select unnest([
        min(s.row_key) filter (where s.duration_min = b.duration_min_lo),
        min(s.row_key) filter (where s.duration_min = b.duration_min_hi),
        min(s.row_key) filter (where s.session_date = b.session_date_lo),
        min(s.row_key) filter (where s.session_date = b.session_date_hi),
        min(s.row_key) filter (where s.session_day = b.session_day_lo),
        min(s.row_key) filter (where s.session_day = b.session_day_hi),
        min(s.row_key) filter (where s.session_year = b.session_year_lo),
        min(s.row_key) filter (where s.session_year = b.session_year_hi),
        min(s.row_key) filter (where length(s.clinic_id) = b.clinic_id_len),
        min(s.row_key) filter (where length(s.patient_id) = b.patient_id_len),
        min(s.row_key) filter (where length(s.session_id) = b.session_id_len),
        min(s.row_key) filter (where length(s.episode_id) = b.episode_id_len),
        min(s.row_key) filter (where length(s.condition_code) = b.condition_code_len),
        min(s.row_key) filter (where length(s.techniques) = b.techniques_len),
        min(s.row_key) filter (where length(s.therapist_id) = b.therapist_id_len),
        min(s.row_key) filter (where length(s.cpt_code) = b.cpt_code_len),
        min(s.row_key) filter (where length(s.age_band) = b.age_band_len),
        min(s.row_key) filter (where length(s.sex) = b.sex_len),
        min(s.row_key) filter (where length(s.payer) = b.payer_len)
    ]) as row_key
    from staged as s
    cross join bounds as b
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
