-- Accepted batches whose $table_name rows are not split into staging and quarantine yet, in delivery
-- order. A batch's scores are split only after its sessions (a score is checked against the staged
-- sessions): a batch received by another run between this run's two splits waits for its own
-- sessions split, instead of having every score quarantined as of an unknown session.
select b.batch_id
from audit.batches as b
where b.status = 'accepted' and b.rows_staged is null
  and ($table_name = 'sessions' or exists (
      select 1 from audit.checks as c
      where c.batch_id = b.batch_id and c.table_name = 'sessions' and c.suite = $split_suite))
order by b.loaded_at, b.batch_id
