-- Record the start of a pipeline run (once per Dagster run id), with the process that runs it.
insert into audit.runs (run_id, started_at, code_version, status, host, pid, process_start)
select $run_id, $started_at, $code_version, 'running', $host, $pid, $process_start
where not exists (select 1 from audit.runs where run_id = $run_id)
