-- Every pipeline run.
select run_id, started_at, finished_at, code_version, batches_new, batches_rejected, status
from audit.runs
order by started_at
