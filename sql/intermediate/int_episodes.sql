-- intermediate.int_episodes: one row per episode of care, with its measured frequency, for every
-- clinic in $clinics (macro_episodes_of.sql has the rule; band limits arrive as parameters). An
-- incremental build replaces the rows of the clinics whose staged rows changed.
create or replace table intermediate.int_episodes as
select * from episodes_of($clinics, $twice_weekly_min, $weekly_min, $fortnightly_min)
