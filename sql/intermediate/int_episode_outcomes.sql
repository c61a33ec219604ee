-- intermediate.int_episode_outcomes: one row per episode and measure with a baseline and a final
-- score, for every clinic in $clinics (macro_episode_outcomes_of.sql has the rule), in the order
-- of its grain. An incremental build replaces the rows of the clinics whose episodes changed
-- (operations/delete_ and insert_int_episode_outcomes.sql), appended at the end: readers order.
create or replace table intermediate.int_episode_outcomes as
select * from episode_outcomes_of($clinics)
order by clinic_id, patient_id, episode_id, measure
