-- The sessions of a FHIR batch as the contract's raw columns (as text), in file order, for the shared
-- insert into raw.sessions (sql/raw/insert_sessions.sql): no date (Safe Harbor), no techniques or payer.
create or replace temp table received_sessions as
select clinic_id, patient_id, session_id, episode_id, null::varchar as session_date, session_day, session_year,
       condition_code, duration_min, null::varchar as techniques, therapist_id, cpt_code, age_band, sex,
       null::varchar as payer, $batch_id as _batch_id
from fhir_sessions
order by _line
