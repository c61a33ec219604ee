-- Accepted batches whose rows of one table were split (the split record is in audit.checks) and
-- not yet checked by the suite, or that failed it last time (they are checked again).
select b.batch_id
from audit.batches as b
where b.status = 'accepted'
  and exists (select 1 from audit.checks as c
              where c.batch_id = b.batch_id and c.table_name = $table_name and c.suite = $split_suite)
  and (not exists (select 1 from audit.checks as c
                   where c.batch_id = b.batch_id and c.table_name = $table_name and c.suite = $suite)
       or exists (select 1 from audit.checks as c
                  where c.batch_id = b.batch_id and c.table_name = $table_name and c.suite = $suite
                    and not c.success))
order by b.loaded_at, b.batch_id
