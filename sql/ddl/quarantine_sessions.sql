-- quarantine.sessions: rejected rows, every original value kept as text, with reason codes.
create table if not exists quarantine.sessions (
    clinic_id varchar, patient_id varchar, session_id varchar, episode_id varchar,
    session_date varchar, session_day varchar, session_year varchar, condition_code varchar,
    duration_min varchar, techniques varchar, therapist_id varchar, cpt_code varchar,
    age_band varchar, sex varchar, payer varchar,
    _batch_id varchar not null, _row_number bigint not null, reasons varchar[] not null
)
