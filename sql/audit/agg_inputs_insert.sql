-- The record of agg.$table just built: every clinic's inputs now, and the build's fingerprint.
insert into audit.agg_inputs
select $table as agg_table, $build as build, * from agg_clinic_inputs
