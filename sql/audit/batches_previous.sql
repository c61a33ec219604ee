-- Which of these exports have an accepted earlier delivery (other content, same batch id)?
select distinct batch_id from audit.batches where status = 'accepted' and list_contains($batch_ids, batch_id)
