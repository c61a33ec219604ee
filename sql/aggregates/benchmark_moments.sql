-- agg.benchmark_moments for every clinic ($clinics is null: the macro filters nothing;
-- macro_benchmark_moments_of.sql has the rule), in the order of its grain. An incremental build
-- (pipeline/agg.py) replaces the rows of the clinics whose episodes changed instead
-- (operations/delete_ and insert_benchmark_moments.sql).
create or replace table agg.benchmark_moments as
select * from benchmark_moments_of($clinics, $bands)
order by all
