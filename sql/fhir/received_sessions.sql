-- The sessions of a FHIR batch as the contract's raw columns (as text), for the shared insert into raw.sessions
-- (sql/raw/insert_sessions.sql): no date (Safe Harbor), no techniques or payer. A view: the rows are written
-- once, into raw, each with its row number in file order (sql/fhir/sessions.sql).
create or replace temp view received_sessions as
select clinic_id, patient_id, session_id, episode_id, null::varchar as session_date, session_day, session_year,
       condition_code, duration_min, null::varchar as techniques, therapist_id, cpt_code, age_band, sex,
       null::varchar as payer, _batch_id, _row_number
from fhir_sessions
