-- audit.checks: results of the quality checks (great-expectations suites and invariants).
create table if not exists audit.checks (
    batch_id varchar, table_name varchar, suite varchar not null, expectation varchar not null,
    column_name varchar, success boolean not null, unexpected_count bigint, details varchar,
    checked_at timestamp not null
)
