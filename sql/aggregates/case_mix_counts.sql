-- agg.case_mix_counts for every clinic ($clinics is null: the macro filters nothing;
-- macro_case_mix_counts_of.sql has the rule), in the order of its grain. An incremental build
-- (pipeline/agg.py) replaces the rows of the clinics whose episodes changed instead
-- (operations/delete_ and insert_case_mix_counts.sql).
create or replace table agg.case_mix_counts as
select * from case_mix_counts_of($clinics, $bands)
order by all
