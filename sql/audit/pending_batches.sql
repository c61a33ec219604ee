-- Accepted batches not yet split into staging and quarantine, in delivery order.
select batch_id from audit.batches
where status = 'accepted' and rows_staged is null
order by loaded_at, batch_id
