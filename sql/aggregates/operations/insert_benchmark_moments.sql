-- An incremental build: the rows of agg.benchmark_moments of the clinics in $clinics (deleted first), by the
-- same macro as the full build (macro_benchmark_moments_of.sql), appended in the order of its grain.
insert into agg.benchmark_moments
select * from benchmark_moments_of($clinics, $bands)
order by all
