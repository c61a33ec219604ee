-- Record a received batch; staged and quarantined counts are filled in by the staging step.
insert into audit.batches (batch_id, clinic_id, status, reasons, sha256, rows_raw, rows_staged,
                           rows_quarantined, loaded_at, folder, exported_at)
values ($batch_id, $clinic_id, $status, $reasons::varchar[], $sha256, $rows_raw, null, null,
        $loaded_at, $folder, $exported_at)
