-- An incremental build: remove the rows of intermediate.int_episode_sessions of the clinics in $clinics
-- (they are inserted again from their staged rows).
delete from intermediate.int_episode_sessions where list_contains($clinics, clinic_id)
