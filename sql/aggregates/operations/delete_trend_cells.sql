-- An incremental build: remove the rows of agg.trend_cells of the clinics in $clinics (changed or no
-- longer built; inserted again by insert_trend_cells.sql in the same transaction).
delete from agg.trend_cells where list_contains($clinics, clinic_id)
