-- Store expectation results, one row per batch and expectation (the lists are zipped by position).
insert into audit.checks (batch_id, table_name, suite, expectation, column_name, success,
                          unexpected_count, details, checked_at)
select
    unnest($batch_ids), $table_name, $suite, unnest($expectations), unnest($column_names),
    unnest($successes), unnest($unexpected_counts), unnest($details), $checked_at
