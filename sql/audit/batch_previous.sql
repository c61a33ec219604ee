-- Is there an accepted earlier delivery of this export (other content, same batch id)?
select count(*) > 0 from audit.batches where batch_id = $batch_id and status = 'accepted'
