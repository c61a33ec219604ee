-- audit.runs: every pipeline run, its code version and what it did. status is 'running' while it
-- runs, then 'success', 'failed' (failed_step: the step that failed; reason: one sentence) or
-- 'interrupted' (stopped by a signal, or found dead by a later run: pipeline/provenance.py).
-- host, pid and process_start name the process that started it (how a later run tells a live
-- run from a killed one). Columns added later are also in sql/ddl/audit_runs_add_*.sql.
create table if not exists audit.runs (
    run_id varchar not null, started_at timestamp not null, finished_at timestamp,
    code_version varchar, batches_new integer, batches_rejected integer, status varchar,
    failed_step varchar, reason varchar, host varchar, pid integer, process_start varchar
)
