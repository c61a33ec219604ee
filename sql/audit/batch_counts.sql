-- Fill in the staged and quarantined row counts of the batches just staged (both tables).
update audit.batches as b
set rows_staged = (select count(*) from staging.sessions where _batch_id = b.batch_id)
                + (select count(*) from staging.measurements where _batch_id = b.batch_id),
    rows_quarantined = (select count(*) from quarantine.sessions where _batch_id = b.batch_id)
                     + (select count(*) from quarantine.measurements where _batch_id = b.batch_id)
where b.status = 'accepted' and list_contains($batch_ids, b.batch_id)
