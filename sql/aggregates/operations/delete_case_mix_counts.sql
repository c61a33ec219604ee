-- An incremental build: remove the rows of agg.case_mix_counts of the clinics in $clinics (changed or no
-- longer built; inserted again by insert_case_mix_counts.sql in the same transaction).
delete from agg.case_mix_counts where list_contains($clinics, clinic_id)
