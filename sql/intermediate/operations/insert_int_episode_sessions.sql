-- An incremental build: the rows of intermediate.int_episode_sessions of the clinics in $clinics
-- (deleted first), by the same macro as the full build (macro_episode_sessions_of.sql).
insert into intermediate.int_episode_sessions
select * from episode_sessions_of($clinics, $gap_days)
