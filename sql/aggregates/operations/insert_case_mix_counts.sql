-- An incremental build: the rows of agg.case_mix_counts of the clinics in $clinics (deleted first), by the
-- same macro as the full build (macro_case_mix_counts_of.sql), appended in the order of its grain.
insert into agg.case_mix_counts
select * from case_mix_counts_of($clinics, $bands)
order by all
