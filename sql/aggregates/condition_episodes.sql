-- agg.condition_episodes for every clinic ($clinics is null: the macro filters nothing;
-- macro_condition_episodes_of.sql has the rule), in the order of its grain. An incremental build
-- (pipeline/agg.py) replaces the rows of the clinics whose episodes changed instead
-- (operations/delete_ and insert_condition_episodes.sql).
create or replace table agg.condition_episodes as
select * from condition_episodes_of($clinics)
order by all
