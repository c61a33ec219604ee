-- The quality gate's expectation results (no free-text details, no timestamp).
select batch_id, table_name, suite, expectation, column_name, success, unexpected_count
from audit.checks
order by batch_id, table_name, suite, expectation, column_name
