-- Expectation results of the quality gate (the free-text details column is not published).
select batch_id, table_name, suite, expectation, column_name, success, unexpected_count, checked_at
from audit.checks
order by checked_at, suite, batch_id, table_name, expectation, column_name
