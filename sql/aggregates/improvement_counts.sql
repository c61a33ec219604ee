-- agg.improvement_counts for every clinic ($clinics is null: the macro filters nothing;
-- macro_improvement_counts_of.sql has the rule), in the order of its grain. An incremental build
-- (pipeline/agg.py) replaces the rows of the clinics whose episodes changed instead
-- (operations/delete_ and insert_improvement_counts.sql).
create or replace table agg.improvement_counts as
select * from improvement_counts_of($clinics)
order by all
