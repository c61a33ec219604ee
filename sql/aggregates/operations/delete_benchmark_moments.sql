-- An incremental build: remove the rows of agg.benchmark_moments of the clinics in $clinics (changed or no
-- longer built; inserted again by insert_benchmark_moments.sql in the same transaction).
delete from agg.benchmark_moments where list_contains($clinics, clinic_id)
