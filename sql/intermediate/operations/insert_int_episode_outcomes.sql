-- An incremental build: the rows of intermediate.int_episode_outcomes of the clinics in $clinics
-- (deleted first), by the same macro as the full build (macro_episode_outcomes_of.sql).
insert into intermediate.int_episode_outcomes
select * from episode_outcomes_of($clinics)
order by clinic_id, patient_id, episode_id, measure
