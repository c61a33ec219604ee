-- Forget the record of agg.$table (before it is written again, in the build's transaction).
delete from audit.agg_inputs
where agg_table = $table
