-- An incremental build: the rows of agg.condition_episodes of the clinics in $clinics (deleted first), by the
-- same macro as the full build (macro_condition_episodes_of.sql), appended in the order of its grain.
insert into agg.condition_episodes
select * from condition_episodes_of($clinics)
order by all
