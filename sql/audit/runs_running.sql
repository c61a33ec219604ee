-- The runs other than this one still recorded as running, with the process that started each.
select run_id, host, pid, process_start
from audit.runs
where status = 'running' and run_id <> $run_id
order by started_at
