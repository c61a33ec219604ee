-- Forget every check result of one table of these batches: they are being split (again), so the
-- split record and the suites' results are written anew.
delete from audit.checks
where table_name = $table_name and list_contains($batch_ids, batch_id)
