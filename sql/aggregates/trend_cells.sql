-- agg.trend_cells for every clinic ($clinics is null: the macro filters nothing;
-- macro_trend_cells_of.sql has the rule), in the order of its grain. An incremental build
-- (pipeline/agg.py) replaces the rows of the clinics whose episodes changed instead
-- (operations/delete_ and insert_trend_cells.sql).
create or replace table agg.trend_cells as
select * from trend_cells_of($clinics)
order by all
