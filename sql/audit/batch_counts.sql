-- Fill in the staged and quarantined row counts of the batches just staged (both tables), from
-- audit.batch_row_counts.
update audit.batches as b
set rows_staged = c.rows_staged, rows_quarantined = c.rows_quarantined
from (select batch_id, sum(rows_staged) as rows_staged, sum(rows_quarantined) as rows_quarantined
      from audit.batch_row_counts where list_contains($batch_ids, batch_id) group by batch_id) as c
where c.batch_id = b.batch_id and b.status = 'accepted'
