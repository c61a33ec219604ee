-- audit.runs: every pipeline run, its code version and what it did.
create table if not exists audit.runs (
    run_id varchar not null, started_at timestamp not null, finished_at timestamp,
    code_version varchar, batches_new integer, batches_rejected integer, status varchar
)
