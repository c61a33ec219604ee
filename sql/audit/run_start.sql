-- Record the start of a pipeline run (once per Dagster run id).
insert into audit.runs (run_id, started_at, code_version, status)
select $run_id, $started_at, $code_version, 'running'
where not exists (select 1 from audit.runs where run_id = $run_id)
