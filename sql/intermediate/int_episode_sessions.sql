-- intermediate.int_episode_sessions: each session with its episode of care, for every clinic in
-- $clinics (all of staging's; macro_episode_sessions_of.sql has the rule). An incremental build
-- replaces the rows of the clinics whose staged rows changed (operations/delete_ and
-- insert_int_episode_sessions.sql).
create or replace table intermediate.int_episode_sessions as
select * from episode_sessions_of($clinics, $gap_days)
