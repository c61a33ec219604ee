-- staging.sessions: typed rows that passed every rule of the contract.
create table if not exists staging.sessions (
    clinic_id varchar not null, patient_id varchar not null, session_id varchar not null,
    episode_id varchar, session_date date, session_day integer, session_year integer,
    condition_code varchar not null,  -- upper case, dot removed
    duration_min integer not null, techniques varchar[], therapist_id varchar, cpt_code varchar,
    age_band varchar, sex varchar, payer varchar,
    _batch_id varchar not null, _row_number bigint not null
)
