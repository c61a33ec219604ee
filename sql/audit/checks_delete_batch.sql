-- Forget the quality-check results of an earlier delivery of a batch (a re-export replaces it).
delete from audit.checks where batch_id = $batch_id
