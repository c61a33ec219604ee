-- An incremental build: remove the rows of agg.effect_cells of the clinics in $clinics (changed or no
-- longer built; inserted again by insert_effect_cells.sql in the same transaction).
delete from agg.effect_cells where list_contains($clinics, clinic_id)
