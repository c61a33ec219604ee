-- An incremental build: remove the rows of agg.duration_cells of the clinics in $clinics (changed or no
-- longer built; inserted again by insert_duration_cells.sql in the same transaction).
delete from agg.duration_cells where list_contains($clinics, clinic_id)
