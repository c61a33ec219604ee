-- Record the end of a pipeline run: 'success', or 'failed' / 'interrupted' with the step and the reason.
update audit.runs
set finished_at = $finished_at, status = $status, failed_step = $failed_step, reason = $reason
where run_id = $run_id
