-- An incremental build: remove the rows of agg.completeness_cells of the clinics in $clinics (changed or no
-- longer built; inserted again by insert_completeness_cells.sql in the same transaction).
delete from agg.completeness_cells where list_contains($clinics, clinic_id)
