-- Record, for one table of the batches just split, that rows in raw = rows staged + rows quarantined
-- (audit.batch_row_counts; written in the split's own transaction: the record is also the mark that the
-- batch was split).
insert into audit.checks (batch_id, table_name, suite, expectation, column_name, success,
                          unexpected_count, details, checked_at)
select
    batch_id, $table_name, $suite, $expectation, null,
    rows_raw = rows_staged + rows_quarantined,
    abs(rows_raw - rows_staged - rows_quarantined),
    json_object('rows_raw', rows_raw, 'rows_staged', rows_staged, 'rows_quarantined', rows_quarantined)::varchar,
    $checked_at
from audit.batch_row_counts
where table_name = $table_name and list_contains($batch_ids, batch_id)
order by batch_id
