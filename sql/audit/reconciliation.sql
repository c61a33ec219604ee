-- Per accepted batch and table that has been split: rows received (raw) against rows staged plus
-- quarantined (audit.batch_row_counts). A table counts as split once its split record ($suite) is in
-- audit.checks, so the sessions check sees a new batch before its measurements are staged.
select c.batch_id, c.table_name, c.rows_raw, c.rows_staged, c.rows_quarantined
from audit.batch_row_counts as c
join audit.batches as b on b.batch_id = c.batch_id and b.status = 'accepted'
where b.rows_staged is not null
   or exists (select 1 from audit.checks as k
              where k.batch_id = c.batch_id and k.table_name = c.table_name and k.suite = $suite)
order by c.batch_id, c.table_name
