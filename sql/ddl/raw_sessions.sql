-- raw.sessions: every received row, as text, with its lineage (batch, data row number from 1).
create table if not exists raw.sessions (
    clinic_id varchar, patient_id varchar, session_id varchar, episode_id varchar,
    session_date varchar, session_day varchar, session_year varchar, condition_code varchar,
    duration_min varchar, techniques varchar, therapist_id varchar, cpt_code varchar,
    age_band varchar, sex varchar, payer varchar,
    _batch_id varchar not null, _row_number bigint not null
)
