-- An incremental build: remove the rows of agg.improvement_counts of the clinics in $clinics (changed or no
-- longer built; inserted again by insert_improvement_counts.sql in the same transaction).
delete from agg.improvement_counts where list_contains($clinics, clinic_id)
