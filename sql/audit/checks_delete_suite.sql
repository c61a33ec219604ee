-- Forget the earlier results of one suite for these batches (they are about to be written anew).
delete from audit.checks
where suite = $suite and table_name = $table_name and list_contains($batch_ids, batch_id)
