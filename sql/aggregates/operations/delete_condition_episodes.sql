-- An incremental build: remove the rows of agg.condition_episodes of the clinics in $clinics (changed or no
-- longer built; inserted again by insert_condition_episodes.sql in the same transaction).
delete from agg.condition_episodes where list_contains($clinics, clinic_id)
