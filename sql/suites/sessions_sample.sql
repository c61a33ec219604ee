-- The staged sessions of some batches as the great-expectations suite reads them (pipeline/suites.py):
-- numbers as double and dates as timestamps (GE compares those vectorised), the technique list
-- joined by the contract's separator, and the year of session_date beside session_year. At most
-- $max_rows rows: beyond that a deterministic sample (the same rows every time).
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
order by hash(_batch_id, _row_number)
limit $max_rows
