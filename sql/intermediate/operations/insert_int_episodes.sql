-- An incremental build: the rows of intermediate.int_episodes of the clinics in $clinics (deleted
-- first), by the same macro as the full build (macro_episodes_of.sql).
insert into intermediate.int_episodes
select * from episodes_of($clinics, $twice_weekly_min, $weekly_min, $fortnightly_min)
