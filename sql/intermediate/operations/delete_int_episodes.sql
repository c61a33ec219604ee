-- An incremental build: remove the rows of intermediate.int_episodes of the clinics in $clinics
-- (they are inserted again from their staged rows).
delete from intermediate.int_episodes where list_contains($clinics, clinic_id)
