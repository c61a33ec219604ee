-- Record the end of a pipeline run.
update audit.runs set finished_at = $finished_at, status = $status where run_id = $run_id
