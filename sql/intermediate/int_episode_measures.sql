-- intermediate.int_episode_measures, empty: filled clinic by clinic (operations/insert_int_episode_measures.sql).
create or replace table intermediate.int_episode_measures (
    clinic_id varchar, patient_id varchar, episode_id varchar, measure varchar,
    scores bigint, baseline double, final double
)
