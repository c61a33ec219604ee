-- Record received batches, one row each (the lists are zipped by position); staged and quarantined
-- counts are filled in by the staging step (audit/batch_counts).
insert into audit.batches (batch_id, clinic_id, status, reasons, sha256, rows_raw, rows_staged,
                           rows_quarantined, loaded_at, folder, exported_at)
select unnest($batch_ids::varchar[]), unnest($clinic_ids::varchar[]), unnest($statuses::varchar[]),
       unnest($reasons::varchar[][]), unnest($sha256s::varchar[]), unnest($rows_raw::bigint[]), null, null,
       unnest($loaded_ats::timestamp[]), unnest($folders::varchar[]), unnest($exported_ats::varchar[])
