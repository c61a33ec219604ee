-- A run found dead by a later run: 'interrupted' (its process is gone: killed, or the machine stopped)
-- or 'failed' (its Dagster run failed). It ended at an unknown moment, so finished_at stays empty; a
-- run that ends after all (a live run taken for dead) records its real end over this (audit/run_finish).
update audit.runs
set status = $status, reason = $reason
where run_id = $run_id and status = 'running'
