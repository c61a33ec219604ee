-- An incremental build: the rows of agg.improvement_counts of the clinics in $clinics (deleted first), by the
-- same macro as the full build (macro_improvement_counts_of.sql), appended in the order of its grain.
insert into agg.improvement_counts
select * from improvement_counts_of($clinics)
order by all
