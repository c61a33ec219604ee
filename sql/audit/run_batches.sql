-- How many batches a run accepted and rejected.
update audit.runs set batches_new = $batches_new, batches_rejected = $batches_rejected where run_id = $run_id
